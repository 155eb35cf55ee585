//! The ops listener: `/metrics` over plain HTTP on an address of the operator's choosing
//! (loopback, or an internal network the monitor shares), apart from the public doors, so a
//! scrape never competes with applicants for their limits. A token, if set, is asked for as
//! `Authorization: Bearer …`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

use super::counts::Metrics;
use crate::storage::Storage;

#[derive(Clone)]
struct Scrape {
    metrics: Arc<Metrics>,
    storage: Arc<dyn Storage>,
    draining: Arc<AtomicBool>,
    /// SHA-256 of the token: compared whole, never character by character.
    token: Option<[u8; 32]>,
}

/// The ops listener while it runs.
pub struct Ops {
    pub addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Ops {
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Starts the ops listener on `addr`.
pub async fn serve(
    addr: SocketAddr,
    token: Option<&str>,
    metrics: Arc<Metrics>,
    storage: Arc<dyn Storage>,
    draining: Arc<AtomicBool>,
) -> std::io::Result<Ops> {
    if token.is_none() && !addr.ip().is_loopback() {
        log::warn!(
            "ops listener on {addr} without a token: anyone who reaches it reads the metrics"
        );
    }
    let token = token.map(|t| Sha256::digest(t.as_bytes()).into());
    let state = Scrape { metrics, storage, draining, token };
    let app = Router::new().route("/metrics", get(scrape)).with_state(state);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    log::info!("ops listener (metrics) on http://{addr}/metrics");
    Ok(Ops { addr, stop, task })
}

async fn scrape(State(s): State<Scrape>, headers: HeaderMap) -> Response {
    if let Some(expected) = s.token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| <[u8; 32]>::from(Sha256::digest(t.as_bytes())));
        if given != Some(expected) {
            log::info!(target: "access", "ops /metrics 401 (no or wrong token)");
            return StatusCode::UNAUTHORIZED.into_response();
        }
    }
    match s.metrics.render(s.storage.as_ref(), s.draining.load(Ordering::Relaxed)).await {
        Ok(text) => {
            let kind = "application/openmetrics-text; version=1.0.0; charset=utf-8";
            ([(header::CONTENT_TYPE, kind)], text).into_response()
        }
        Err(e) => {
            log::error!("metrics: the database's figures: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}
