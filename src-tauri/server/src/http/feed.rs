//! 同期: what a desk reads of its prefecture — the changes feed, the notices with their
//! delivery, the accounts.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use madoguchi_domain::api::{Account, ChangesPage, Notice};
use madoguchi_domain::mail_health::MailHealth;

use super::extract::{page, Page};
use super::failure::Failure;
use super::officer::Authenticated;
use super::state::AppState;

/// The changes feed of the officer's prefecture: applications, notices, accounts, registry
/// entries, calls and the prefecture's settings, each as it now stands, after the cursor `since`.
#[utoipa::path(get, path = "/v1/changes", params(Page), security(("bearer" = [])),
    responses((status = 200, body = ChangesPage)))]
pub(super) async fn changes(
    State(state): State<AppState>,
    Authenticated(officer): Authenticated,
    q: Result<Query<Page>, QueryRejection>,
) -> Result<Json<ChangesPage>, Failure> {
    let (since, limit) = page(q)?;
    let page = state.storage.changes(officer.prefecture, since, limit).await?;
    state.metrics.pulled(&officer.prefecture.code(), page.next_cursor);
    let token_expires_at = Some(officer.expires_at);
    Ok(Json(ChangesPage { sender: Some(state.sender.clone()), token_expires_at, ..page }))
}

/// 配信の健全性 of the officer's prefecture: the last day against the week before, the
/// domains refusing most, the 疎通確認 mails confirmed.
#[utoipa::path(get, path = "/v1/mail/health", security(("bearer" = [])),
    responses((status = 200, body = MailHealth)))]
pub(super) async fn mail_health(
    State(state): State<AppState>,
    Authenticated(officer): Authenticated,
) -> Result<Json<MailHealth>, Failure> {
    let health =
        crate::mail_health::health(state.storage.as_ref(), officer.prefecture, chrono::Utc::now());
    Ok(Json(health.await?))
}

/// 通知メール: the notices of the officer's prefecture, each with its delivery (配信状況).
#[utoipa::path(get, path = "/v1/notices", params(Page), security(("bearer" = [])),
    responses((status = 200, body = [Notice])))]
pub(super) async fn notices(
    State(state): State<AppState>,
    Authenticated(officer): Authenticated,
    q: Result<Query<Page>, QueryRejection>,
) -> Result<Json<Vec<Notice>>, Failure> {
    let (since, limit) = page(q)?;
    Ok(Json(state.storage.notices(officer.prefecture, since, limit).await?))
}

#[utoipa::path(get, path = "/v1/accounts", security(("bearer" = [])), responses((status = 200, body = [Account])))]
pub(super) async fn accounts(
    State(state): State<AppState>,
    Authenticated(officer): Authenticated,
) -> Result<Json<Vec<Account>>, Failure> {
    Ok(Json(state.storage.accounts(officer.prefecture).await?))
}

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/changes", get(changes))
        .route("/v1/notices", get(notices))
        .route("/v1/accounts", get(accounts))
        .route("/v1/mail/health", get(mail_health))
}
