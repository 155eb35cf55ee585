//! 報告依頼・督促・申請のお願い: a desk's reminders, mailed as notices to the addresses of the
//! institutions' applications in the officer's prefecture.

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use madoguchi_domain::api::ApiError;
use madoguchi_domain::reminder::{ReminderAnswer, ReminderBatch};
use madoguchi_domain::Code;

use super::extract::bad_json;
use super::failure::Failure;
use super::officer::Authenticated;
use super::state::AppState;
use crate::clock::now;

/// A batch holds up to 500 texts of up to 4,000 characters: more than other requests.
const MAX_BATCH_BYTES: usize = 8 << 20;

/// Queues each reminder as a notice to its application's address (the text as the officer
/// previewed it); one whose application is not found here is refused, the rest go. A batch
/// sent again under its `batch_id` queues nothing twice.
#[utoipa::path(post, path = "/v1/reminders", request_body = ReminderBatch, security(("bearer" = [])),
    responses((status = 200, body = ReminderAnswer), (status = 422, body = ApiError)))]
pub(super) async fn send(
    State(state): State<AppState>,
    Authenticated(officer): Authenticated,
    body: Result<Json<ReminderBatch>, JsonRejection>,
) -> Result<Json<ReminderAnswer>, Failure> {
    let Json(batch) = body.map_err(bad_json)?;
    if !batch.is_well_formed() {
        return Err(Failure::new(StatusCode::UNPROCESSABLE_ENTITY, Code::ApiReminders));
    }
    let results = state.storage.queue_reminders(officer.prefecture, &batch, &now()).await?;
    let queued = results.iter().filter(|r| r.notice_id.is_some()).count();
    log::info!(
        "{} reminders queued for {} ({} asked)",
        queued,
        officer.prefecture.code(),
        batch.items.len()
    );
    Ok(Json(ReminderAnswer { results }))
}

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/v1/reminders", post(send)).layer(DefaultBodyLimit::max(MAX_BATCH_BYTES))
}
