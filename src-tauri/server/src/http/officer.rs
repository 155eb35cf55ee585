//! 担当者: the officer a request's bearer token belongs to, as an extractor — a handler that
//! takes it is refused (401) without a valid token, and reads and writes only that officer's
//! prefecture.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use madoguchi_domain::Code;

use super::failure::Failure;
use super::state::AppState;
use crate::storage::Officer;
use crate::tokens::token_hash;

/// The officer a request's bearer token belongs to.
pub struct Authenticated(pub Officer);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = Failure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthorised = |why: &str| {
            log::info!(target: "access", "401 {} {}: {why}", parts.method, parts.uri.path());
            Failure::new(StatusCode::UNAUTHORIZED, Code::Auth)
        };
        let Some(token) = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return Err(unauthorised("no bearer token"));
        };
        match state.storage.officer_by_token_hash(&token_hash(token.trim())).await? {
            Some(officer) => Ok(Authenticated(officer)),
            None => Err(unauthorised("a token no officer holds (unknown, expired or revoked)")),
        }
    }
}
