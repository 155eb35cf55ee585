//! 審査: one application with its audit trail, and officers' decisions — one at a time under an
//! `Idempotency-Key`, or up to 500 in a batch — each limited to the officer's prefecture.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use madoguchi_domain::api::{
    ApiError, ApplicationDetail, BatchResult, DecisionBatch, DecisionBatchAnswer, DecisionRequest,
    DecisionResponse, MAX_BATCH,
};
use madoguchi_domain::Code;

use super::extract::{application_id, bad_json};
use super::failure::Failure;
use super::officer::Authenticated;
use super::state::AppState;
use crate::clock::now;
use crate::decisions::DecisionError;
use crate::storage::{Answer, Decision, Officer, StorageError};
use crate::tokens::token_hash;

pub(super) fn not_found() -> Failure {
    Failure::new(StatusCode::NOT_FOUND, Code::AppNotFound)
}

#[utoipa::path(get, path = "/v1/applications/{id}", security(("bearer" = [])),
    params(("id" = i64, Path, description = "申請番号")),
    responses((status = 200, body = ApplicationDetail), (status = 404, body = ApiError)))]
pub(super) async fn application(
    State(state): State<AppState>,
    Authenticated(officer): Authenticated,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<ApplicationDetail>, Failure> {
    let id = application_id(id)?;
    let application =
        state.storage.application(officer.prefecture, id).await?.ok_or_else(not_found)?;
    let audit = state.storage.audit(officer.prefecture, id).await?;
    Ok(Json(ApplicationDetail { application, audit }))
}

/// 承認・差戻し・却下. Needs an `Idempotency-Key` header: a repeat gets the first answer; the
/// key again with another application or body is refused (422 E-API-IDEMPOTENCY-REUSED).
#[utoipa::path(post, path = "/v1/applications/{id}/decisions", request_body = DecisionRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "申請番号"),
        ("Idempotency-Key" = String, Header, pattern = "^[!-~]{1,200}$", description = "unique per decision, reused on retry")),
    responses((status = 200, body = DecisionResponse), (status = 409, body = ApiError), (status = 404, body = ApiError), (status = 422, body = ApiError)))]
pub(super) async fn decide(
    State(state): State<AppState>,
    Authenticated(officer): Authenticated,
    id: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
    body: Result<Json<DecisionRequest>, JsonRejection>,
) -> Result<Response, Failure> {
    let id = application_id(id)?;
    let Json(request) = body.map_err(bad_json)?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .and_then(idempotency_key)
        .ok_or_else(|| Failure::new(StatusCode::BAD_REQUEST, Code::ApiIdempotency))?;
    let decision =
        Decision { id, request: &request, key, request_hash: request_hash(id, &request) };
    let answer = state
        .storage
        .decide(&officer, std::slice::from_ref(&decision), &state.public_url, &now())
        .await?
        .pop()
        .ok_or_else(|| StorageError::Corrupt("no answer to a decision".into()))?;
    let answer = match answer {
        Ok(answer) => answer,
        Err(refusal) => return Ok(refused(&officer, id, refusal).into_response()),
    };
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    Ok((status, [(axum::http::header::CONTENT_TYPE, "application/json")], answer.body)
        .into_response())
}

/// A decision the server refused, as its answer says it (and the log, without the person).
pub(super) fn refused(officer: &Officer, id: i64, refusal: DecisionError) -> Failure {
    log::info!("decision on {id} by officer {} refused: {refusal}", officer.id);
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::CONFLICT);
    Failure(status, refusal.to_api(), Vec::new())
}

/// A usable idempotency key: printable ASCII, 1–200 characters once trimmed.
pub(super) fn idempotency_key(key: &str) -> Option<&str> {
    let key = key.trim();
    (!key.is_empty() && key.len() <= 200 && key.bytes().all(|b| b.is_ascii_graphic()))
        .then_some(key)
}

/// The key is bound to what it was first used for: this application and this body.
pub(super) fn request_hash(id: i64, request: &DecisionRequest) -> String {
    token_hash(&format!("{id}\n{}", serde_json::to_string(request).unwrap_or_default()))
}

/// 一括送信: up to 500 decisions in one request, in order, each answered as the single
/// endpoint would answer it (a refusal or another prefecture's application is that one's
/// answer; the others go on).
#[utoipa::path(post, path = "/v1/decisions", request_body = DecisionBatch, security(("bearer" = [])),
    responses((status = 200, body = DecisionBatchAnswer), (status = 400, body = ApiError), (status = 422, body = ApiError)))]
pub(super) async fn decide_batch(
    State(state): State<AppState>,
    Authenticated(officer): Authenticated,
    body: Result<Json<DecisionBatch>, JsonRejection>,
) -> Result<Json<DecisionBatchAnswer>, Failure> {
    let Json(batch) = body.map_err(bad_json)?;
    if !(1..=MAX_BATCH).contains(&batch.decisions.len()) {
        return Err(Failure::with_message(
            StatusCode::UNPROCESSABLE_ENTITY,
            Code::ApiBody,
            &format!("一度に送れる決定は1〜{MAX_BATCH}件です。"),
        ));
    }
    // A key that cannot be one is the sender's mistake, not a decision's answer: the batch is
    // refused whole, as the single endpoint refuses a missing header.
    let mut decisions = Vec::with_capacity(batch.decisions.len());
    for d in &batch.decisions {
        let key = idempotency_key(&d.idempotency_key)
            .ok_or_else(|| Failure::new(StatusCode::BAD_REQUEST, Code::ApiIdempotency))?;
        let request_hash = request_hash(d.application_id, &d.request);
        decisions.push(Decision { id: d.application_id, request: &d.request, key, request_hash });
    }
    let answers = state.storage.decide(&officer, &decisions, &state.public_url, &now()).await?;
    let mut results = Vec::with_capacity(answers.len());
    for (d, answer) in batch.decisions.iter().zip(answers) {
        let (status, decided, refusal) = match answer {
            Ok(Answer { status: 200, body }) => (200, Some(body_of(&body)?), None),
            Ok(Answer { status, body }) => (status, None, Some(body_of(&body)?)),
            Err(refusal) => {
                let Failure(status, error, _) = refused(&officer, d.application_id, refusal);
                (status.as_u16(), None, Some(error))
            }
        };
        let idempotency_key = d.idempotency_key.clone();
        results.push(BatchResult { idempotency_key, status, decided, refused: refusal });
    }
    let decided = results.iter().filter(|r| r.decided.is_some()).count();
    log::info!(
        "decision batch by officer {}: {decided} decided, {} refused",
        officer.id,
        results.len() - decided
    );
    Ok(Json(DecisionBatchAnswer { results }))
}

/// A stored answer read back for a batch's reply.
pub(super) fn body_of<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, StorageError> {
    serde_json::from_str(body).map_err(|e| StorageError::Corrupt(format!("stored answer: {e}")))
}

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/applications/{id}", get(application))
        .route("/v1/applications/{id}/decisions", post(decide))
        .route("/v1/decisions", post(decide_batch))
}
