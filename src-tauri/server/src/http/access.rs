//! アクセス記録: one line per request — its id (the caller's `X-Request-Id` if sane, else a
//! new one, echoed in the answer), method, route as declared (`/v1/applications/{id}`: no
//! query string, which may hold a mailed link's token, and no path values), status and
//! time. 401s say why in their own line (no token, or one no officer holds); never the token.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use rand::Rng;

use crate::metrics::Metrics;

/// The header a request id travels in, both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// A caller's id is kept if it is short and plain; otherwise one is made.
fn request_id(request: &Request) -> String {
    request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64)
        .filter(|v| v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{:016x}", rand::thread_rng().gen::<u64>()))
}

/// Logs the request and counts it (route, status, time, a refusal's code).
pub async fn log(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&request);
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(no route)".to_owned(), |p| p.as_str().to_owned());
    let mut response = next.run(request).await;
    let status = response.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    log::info!(target: "access", "{id} {method} {route} {status} {ms:.1}ms");
    let code = response.extensions().get::<super::failure::Refused>().map(|c| c.0.as_str());
    metrics.request(&route, method.as_str(), status, ms / 1000.0, code);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}
