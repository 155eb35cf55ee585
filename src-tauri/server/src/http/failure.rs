//! A refusal as the API answers it: a status, the coded [`ApiError`] body every client branches
//! on, and the headers it needs (Retry-After).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use madoguchi_domain::api::ApiError;
use madoguchi_domain::{Code, Coded};

use crate::storage::StorageError;

/// An error answer: status, the [`ApiError`] body, and headers it needs (Retry-After).
pub struct Failure(
    pub(crate) StatusCode,
    pub(crate) ApiError,
    pub(crate) Vec<(&'static str, String)>,
);

impl Failure {
    /// A refusal that carries the error's code and its Japanese sentence; the detail is logged.
    pub(crate) fn coded(status: StatusCode, e: &impl Coded) -> Self {
        log::info!("refused with {}: {e}", e.code());
        Self::with_message(status, e.code(), &e.message_ja())
    }

    /// A refusal that says its code's own sentence.
    pub(crate) fn new(status: StatusCode, code: Code) -> Self {
        Self::with_message(status, code, code.message_ja())
    }

    pub(crate) fn with_message(status: StatusCode, code: Code, message: &str) -> Self {
        let body = ApiError {
            code: code.to_string(),
            message: message.into(),
            fields: Vec::new(),
            current: None,
            record: None,
        };
        Self(status, body, Vec::new())
    }

    pub(crate) fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.2.push((name, value));
        self
    }
}

/// A refusal's code, left on the response for the access line's count.
#[derive(Clone)]
pub(crate) struct Refused(pub String);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let code = Refused(self.1.code.clone());
        let mut response = (self.0, Json(self.1)).into_response();
        response.extensions_mut().insert(code);
        for (name, value) in self.2 {
            if let Ok(value) = axum::http::HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

impl From<StorageError> for Failure {
    fn from(e: StorageError) -> Self {
        log::error!("storage: {e}");
        Failure::new(StatusCode::INTERNAL_SERVER_ERROR, Code::ServerStorage)
    }
}
