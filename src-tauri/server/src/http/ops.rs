//! 運用: what the machines around the server ask of it — liveness (the process answers),
//! readiness (it should be sent requests: not stopping, its database answers with this
//! binary's schema), and the JSON answer for a path that does not exist.

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use madoguchi_domain::Code;
use serde::Serialize;

use super::failure::Failure;
use super::state::AppState;
use crate::storage::Schema;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    status: &'static str,
}

/// Liveness: the process answers (`/v1/health` is the same, for older balancers).
#[utoipa::path(get, path = "/v1/health/live", responses((status = 200, body = Health)))]
pub(super) async fn live() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[utoipa::path(get, path = "/v1/health", responses((status = 200, body = Health)))]
pub(super) async fn health() -> Json<Health> {
    live().await
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ready`, `draining` (stopping), `database` (unreachable) or `schema` (not this
    /// binary's: migrate, or run the matching binary).
    status: &'static str,
    schema: Option<Schema>,
    /// The mailer, for information (mail trouble never takes the server out of rotation).
    mail: Option<MailReadiness>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MailReadiness {
    /// Seconds since a notice was last handed to the relay (none ever: absent).
    last_sent_age_seconds: Option<i64>,
    /// Seconds the longest-due notice has waited to be sent (nothing due: absent).
    oldest_due_age_seconds: Option<i64>,
}

/// Readiness, for a load balancer: 503 while the server stops, when its database does not
/// answer, or when the database's schema is not this binary's.
#[utoipa::path(get, path = "/v1/health/ready",
    responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
pub(super) async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let not = |status, schema| {
        (StatusCode::SERVICE_UNAVAILABLE, Json(Readiness { status, schema, mail: None }))
    };
    if state.draining.load(Ordering::Relaxed) {
        return not("draining", None);
    }
    match state.storage.schema().await {
        Ok(schema) if schema.is_current() => {
            let age = |at: Option<String>| {
                let at = chrono::DateTime::parse_from_rfc3339(at.as_deref()?).ok()?;
                Some((chrono::Utc::now() - at.to_utc()).num_seconds().max(0))
            };
            let mail = match state.storage.mail_marks().await {
                Ok((sent, due)) => Some(MailReadiness {
                    last_sent_age_seconds: age(sent),
                    oldest_due_age_seconds: age(due),
                }),
                Err(e) => {
                    log::warn!("readiness: the mailer's marks: {e}");
                    None
                }
            };
            (StatusCode::OK, Json(Readiness { status: "ready", schema: Some(schema), mail }))
        }
        Ok(schema) => {
            log::warn!(
                "not ready: schema {} where this binary has {}",
                schema.applied,
                schema.expected
            );
            not("schema", Some(schema))
        }
        Err(e) => {
            log::error!("not ready: the database does not answer: {e}");
            not("database", None)
        }
    }
}

pub(super) async fn fallback() -> Failure {
    Failure::new(StatusCode::NOT_FOUND, Code::ApiNotFound)
}

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/health/live", get(live))
        .route("/v1/health/ready", get(ready))
}
