//! 運用: what the machines around the server ask of it — health, and the JSON answer for a
//! path that does not exist.

use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use madoguchi_domain::Code;
use serde::Serialize;

use super::failure::Failure;
use super::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    status: &'static str,
}

#[utoipa::path(get, path = "/v1/health", responses((status = 200, body = Health)))]
pub(super) async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

pub(super) async fn fallback() -> Failure {
    Failure::new(StatusCode::NOT_FOUND, Code::ApiNotFound)
}

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/v1/health", get(health))
}
