//! 記録: what desks upload whole — calls (対応記録), the prefecture's settings and 要連絡's
//! 連絡記録 — each only for the officer's prefecture, made on the version the server holds.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::put;
use axum::{Json, Router};
use madoguchi_domain::api::{ApiError, CallRecord, PrefectureSettings, Stored};
use madoguchi_domain::worklist::ContactRecord;
use madoguchi_domain::Code;

use super::extract::bad_json;
use super::failure::Failure;
use super::officer::Authenticated;
use super::state::AppState;
use crate::storage::{PutRecord, Record};

pub(super) fn other_prefecture() -> Failure {
    Failure::with_message(
        StatusCode::FORBIDDEN,
        Code::AuthPrefecture,
        "担当する都道府県の記録だけを登録できます。",
    )
}

/// What an upload came to, as the desk reads it.
pub(super) fn stored(outcome: PutRecord) -> Result<Json<Stored>, Failure> {
    match outcome {
        PutRecord::Held(version) => Ok(Json(Stored { stored: true, version })),
        PutRecord::OtherPrefecture => Err(other_prefecture()),
        PutRecord::Stale(current) => {
            let mut f = Failure::new(StatusCode::CONFLICT, Code::RecordStale);
            f.1.record = Some(current);
            Err(f)
        }
    }
}

/// 対応記録: a desk uploads a call whole (again after each change), made on the version it
/// holds; the server stores it as the next version. A copy made on an older version is
/// refused with the server's copy (409); another prefecture's call id is refused (403).
#[utoipa::path(put, path = "/v1/calls/{id}", request_body = CallRecord, security(("bearer" = [])),
    params(("id" = String, Path, description = "the call's id (a UUID made by the desk)")),
    responses((status = 200, body = Stored), (status = 403, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub(super) async fn put_call(
    State(state): State<AppState>,
    Authenticated(officer): Authenticated,
    Path(id): Path<String>,
    body: Result<Json<CallRecord>, JsonRejection>,
) -> Result<Json<Stored>, Failure> {
    let Json(call) = body.map_err(bad_json)?;
    if call.prefecture != officer.prefecture {
        return Err(other_prefecture());
    }
    if call.id != id
        || id.len() > 64
        || call.contact.as_ref().is_some_and(|c| c.len() > 64)
        || call.steps.is_empty()
        || call.steps.len() > 1000
    {
        return Err(Failure::new(StatusCode::UNPROCESSABLE_ENTITY, Code::ApiCall));
    }
    stored(state.storage.put_record(officer.prefecture, &Record::call(call)).await?)
}

/// 連絡記録: who took a 要連絡 entry and the contacts made, so every desk of the prefecture
/// sees them; versioned as calls are.
#[utoipa::path(put, path = "/v1/contacts/{id}", request_body = ContactRecord, security(("bearer" = [])),
    params(("id" = String, Path, description = "the entry's key, as the desks make it")),
    responses((status = 200, body = Stored), (status = 403, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub(super) async fn put_contact(
    State(state): State<AppState>,
    Authenticated(officer): Authenticated,
    Path(id): Path<String>,
    body: Result<Json<ContactRecord>, JsonRejection>,
) -> Result<Json<Stored>, Failure> {
    let Json(contact) = body.map_err(bad_json)?;
    if contact.prefecture != officer.prefecture {
        return Err(other_prefecture());
    }
    if contact.id != id || !contact.is_well_formed() {
        return Err(Failure::new(StatusCode::UNPROCESSABLE_ENTITY, Code::ApiContact));
    }
    stored(state.storage.put_record(officer.prefecture, &Record::contact(contact)).await?)
}

/// The prefecture's settings for every desk: 定期報告期間, 都道府県版の案内, 保存期間,
/// 窓口の連絡先 and 都道府県の運用.
#[utoipa::path(put, path = "/v1/prefecture-settings", request_body = PrefectureSettings, security(("bearer" = [])),
    responses((status = 200, body = Stored), (status = 403, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub(super) async fn put_prefecture_settings(
    State(state): State<AppState>,
    Authenticated(officer): Authenticated,
    body: Result<Json<PrefectureSettings>, JsonRejection>,
) -> Result<Json<Stored>, Failure> {
    let Json(settings) = body.map_err(bad_json)?;
    if settings.prefecture != officer.prefecture {
        return Err(other_prefecture());
    }
    madoguchi_domain::triage::Tree::national()
        .check_overrides(&settings.triage_overrides)
        .map_err(|e| Failure::coded(StatusCode::UNPROCESSABLE_ENTITY, &e))?;
    if let Some(window) = settings.reporting_window {
        window.check().map_err(|e| Failure::coded(StatusCode::UNPROCESSABLE_ENTITY, &e))?;
    }
    if !settings.retention_ok() {
        return Err(Failure::new(StatusCode::UNPROCESSABLE_ENTITY, Code::RetentionDays));
    }
    if !settings.contact_ok() {
        return Err(Failure::new(StatusCode::UNPROCESSABLE_ENTITY, Code::PrefContact));
    }
    if !settings.reminders_ok() {
        return Err(Failure::new(StatusCode::UNPROCESSABLE_ENTITY, Code::PrefReminders));
    }
    settings.practice.check().map_err(|e| Failure::coded(StatusCode::UNPROCESSABLE_ENTITY, &e))?;
    let record = Record::prefecture_settings(settings);
    stored(state.storage.put_record(officer.prefecture, &record).await?)
}

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/calls/{id}", put(put_call))
        .route("/v1/prefecture-settings", put(put_prefecture_settings))
        .route("/v1/contacts/{id}", put(put_contact))
}
