//! Reading a request: its body, its path's application number and its page parameters, each
//! refused as a JSON [`Failure`] naming what was wrong rather than axum's plain-text answer.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use madoguchi_domain::api::FieldError;
use madoguchi_domain::Code;
use serde::Deserialize;

use super::failure::Failure;

const MAX_PAGE: i64 = 1000;

/// An application number from the path: a JSON refusal, not axum's plain-text one.
pub(super) fn application_id(path: Result<Path<i64>, PathRejection>) -> Result<i64, Failure> {
    path.map(|Path(id)| id).map_err(|_| {
        Failure::with_message(
            StatusCode::BAD_REQUEST,
            Code::ApiQuery,
            "申請番号が正しくありません。",
        )
    })
}

pub(super) fn bad_json(e: JsonRejection) -> Failure {
    // serde's message quotes the values it could not take (an address, a name): the sender
    // is told, the log only says what kind of body it was.
    let (status, kind) = match e {
        JsonRejection::BytesRejection(_) => {
            (StatusCode::PAYLOAD_TOO_LARGE, "unreadable or too large")
        }
        JsonRejection::MissingJsonContentType(_) => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "not JSON")
        }
        JsonRejection::JsonDataError(_) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "JSON of the wrong shape")
        }
        JsonRejection::JsonSyntaxError(_) => (StatusCode::BAD_REQUEST, "malformed JSON"),
        _ => (StatusCode::BAD_REQUEST, "unreadable"),
    };
    log::info!("rejected body: {kind}");
    let mut f = Failure::new(status, Code::ApiBody);
    f.1.fields.push(FieldError {
        field: "body".into(),
        code: Code::ApiBody.to_string(),
        message: e.body_text(),
    });
    f
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// Cursor (changes) or last id seen (notices); 0 for the start.
    #[serde(default)]
    #[param(minimum = 0)]
    since: i64,
    /// How many at most (default 500).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

pub(super) fn page(q: Result<Query<Page>, QueryRejection>) -> Result<(i64, i64), Failure> {
    let Query(p) = q.map_err(|e| {
        Failure::with_message(
            StatusCode::BAD_REQUEST,
            Code::ApiQuery,
            &format!("検索条件が正しくありません: {e}"),
        )
    })?;
    let limit = p.limit.unwrap_or(500);
    if p.since < 0 || !(1..=MAX_PAGE).contains(&limit) {
        return Err(Failure::with_message(
            StatusCode::BAD_REQUEST,
            Code::ApiQuery,
            &format!("検索条件が正しくありません: since は0以上、limit は1〜{MAX_PAGE}です。"),
        ));
    }
    Ok((p.since, limit))
}
