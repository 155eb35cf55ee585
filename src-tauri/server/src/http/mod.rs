//! The HTTP API (`/v1`), described by `/openapi.json`, and the public application pages. Every
//! request but intake, the pages and health is authenticated by a bearer token, and every read
//! and write is limited to the officer's prefecture here, on the server. One module per
//! capability, each with its router; this one only assembles them.

mod access;
mod decisions;
mod extract;
pub mod failure;
mod feed;
pub mod idle;
mod intake;
mod officer;
mod openapi;
mod ops;
mod page;
mod records;
mod reminders;
pub mod state;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

pub use failure::Failure;
pub use state::AppState;

pub fn router(
    state: AppState,
    limits: &crate::limits::Limits,
    door: std::sync::Arc<crate::limits::Door>,
) -> Router {
    let public = crate::limits::public(intake::public().merge(page::router()), limits, door);
    let router = Router::new()
        .merge(public)
        .merge(page::style())
        .merge(ops::router())
        .merge(openapi::router())
        .merge(intake::router())
        .merge(decisions::router())
        .merge(feed::router())
        .merge(records::router())
        .merge(reminders::router())
        .fallback(ops::fallback)
        .layer(DefaultBodyLimit::max(crate::limits::MAX_BODY_BYTES))
        // HTTPS only, for a year (the server never speaks plain HTTP); no answer is read as
        // another type than it says.
        .layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .route_layer(axum::middleware::from_fn_with_state(state.metrics.clone(), access::log))
        .with_state(state);
    crate::limits::timed(router, limits)
}
