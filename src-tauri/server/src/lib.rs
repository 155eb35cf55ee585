//! The Madoguchi central server: intake of 新規ユーザ登録申請, officers' decisions, the mail
//! outbox, and the changes feed the desks sync from — over HTTPS only.

pub mod account_import;
pub mod backup;
pub mod cli;
pub mod clock;
pub mod config;
pub mod decisions;
pub mod demo;
pub mod http;
pub mod limits;
pub mod logging;
pub mod mail;
pub mod mail_health;
pub mod metrics;
pub mod redact;
pub mod retention;
pub mod signals;
pub mod storage;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tls;
pub mod tokens;

use std::net::SocketAddr;
use std::sync::Arc;

use axum_server::tls_rustls::RustlsConfig;

pub use config::Config;
pub use storage::Storage;
pub use tls::tls_config;

/// How `start` serves.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub limits: limits::Limits,
    /// `https://host[:port]` as applicants reach the server (the 疎通確認 links start with
    /// it); by default the address it listens on.
    pub public_url: Option<String>,
    /// The address the prefecture's mails come from (`MADOGUCHI_MAIL_FROM`'s): the public pages
    /// ask applicants to accept mail from it. By default the default From's, info@g-mis.net.
    pub sender: Option<String>,
    /// This process's counts, shared with the mail parts and the ops listener.
    pub metrics: Arc<metrics::Metrics>,
}

/// A server accepting connections; dropping it does not stop it, [`Running::shutdown`] does.
pub struct Running {
    pub addr: SocketAddr,
    /// Set once the server begins to stop: readiness answers 503.
    draining: Arc<std::sync::atomic::AtomicBool>,
    /// The public doors' limits, as they stand.
    pub door: Arc<limits::Door>,
    handle: axum_server::Handle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    purge: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Set once the server begins to stop (the ops listener reports it too).
    pub fn draining(&self) -> Arc<std::sync::atomic::AtomicBool> {
        self.draining.clone()
    }

    /// Stops accepting, lets requests in flight finish (up to `grace`), and waits. Readiness
    /// answers 503 from the first moment, on connections still open.
    pub async fn shutdown(self, grace: std::time::Duration) {
        self.draining.store(true, std::sync::atomic::Ordering::Relaxed);
        self.purge.abort();
        self.handle.graceful_shutdown(Some(grace));
        let _ = self.task.await;
    }

    /// Serves until `stop` (a signal) resolves, then shuts down gracefully within `grace`;
    /// an accept error ends it early.
    pub async fn until(
        mut self,
        stop: impl std::future::Future<Output = ()>,
        grace: std::time::Duration,
    ) -> std::io::Result<()> {
        tokio::select! {
            ended = &mut self.task => return ended.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            () = stop => {}
        }
        log::info!("stopping: no new connections; requests in flight have {grace:?} to finish");
        self.shutdown(grace).await;
        Ok(())
    }
}

/// Serves the API on `listener` with `tls`; every ten minutes purges unconfirmed applications
/// whose link expired and idempotent answers older than [`IDEMPOTENCY_DAYS`], and removes the
/// links from the stored copies of notices sent more than ten minutes before; every hour
/// applies each prefecture's 保存期間 ([`retention`]).
pub async fn start(
    storage: Arc<dyn Storage>,
    listener: std::net::TcpListener,
    tls: RustlsConfig,
    options: &Options,
) -> std::io::Result<Running> {
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let handle = axum_server::Handle::new();
    let limits = &options.limits;
    let prefecture_rate = Arc::new(limits::PrefectureLimiter::new(limits));
    let status_rate = Arc::new(limits::StatusLimiter::new(limits));
    let door = limits::Door::new(limits, prefecture_rate.clone(), status_rate.clone());
    let public_url = options.public_url.clone().unwrap_or_else(|| format!("https://{addr}"));
    let purge = tokio::spawn(housekeeping(storage.clone()));
    let draining = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let state = http::AppState {
        draining: draining.clone(),
        metrics: options.metrics.clone(),
        storage,
        prefecture_rate,
        status_rate,
        status_answer: limits.status_answer,
        public_url: public_url.trim_end_matches('/').into(),
        sender: options
            .sender
            .clone()
            .unwrap_or_else(|| mail::Settings::default().from.email.to_string()),
    };
    let app = http::router(state, limits, door.clone());
    let acceptor = tls::CountingAcceptor::new(
        axum_server::tls_rustls::RustlsAcceptor::new(tls)
            .acceptor(http::idle::IdleAcceptor(limits.idle_timeout)),
        options.metrics.clone(),
    );
    let mut server = axum_server::from_tcp(listener).acceptor(acceptor).handle(handle.clone());
    // A client that sends its headers slowly is cut off (slowloris). Over HTTP/2, one
    // connection carries a few streams at once, small header lists, a bounded number of
    // streams reset before they are served (rapid reset), and a peer that stops answering
    // pings is dropped.
    let secs = std::time::Duration::from_secs;
    let builder = server.http_builder();
    builder.http1().timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(secs(10));
    builder
        .http2()
        .timer(hyper_util::rt::TokioTimer::new())
        .max_concurrent_streams(32)
        .max_header_list_size(16 * 1024)
        .max_pending_accept_reset_streams(Some(16))
        .max_local_error_reset_streams(Some(64))
        .keep_alive_interval(Some(secs(30)))
        .keep_alive_timeout(secs(10));
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move { server.serve(service).await });
    log::info!("madoguchi-server listening on https://{addr}");
    Ok(Running { addr, draining, door, handle, task, purge })
}

/// How long a stored idempotent answer is kept: desks retry within minutes, a week covers a
/// desk left offline over a holiday.
pub const IDEMPOTENCY_DAYS: i64 = 7;

async fn housekeeping(storage: Arc<dyn Storage>) {
    for round in 0u64.. {
        // 保存期間, once an hour (from the first round).
        if round % 6 == 0 {
            if let Err(e) = retention::run(storage.as_ref(), chrono::Utc::now(), false).await {
                log::error!("retention: {e}");
            }
        }
        match storage.purge_unconfirmed(&clock::now()).await {
            Ok(0) => {}
            Ok(n) => log::info!("{n} unconfirmed applications purged (address check expired)"),
            Err(e) => log::error!("purging unconfirmed applications: {e}"),
        }
        let before = clock::stamp(chrono::Utc::now() - chrono::Duration::days(IDEMPOTENCY_DAYS));
        match storage.prune_idempotency(&before).await {
            Ok(0) => {}
            Ok(n) => log::info!(
                "{n} stored idempotent answers older than {IDEMPOTENCY_DAYS} days pruned"
            ),
            Err(e) => log::error!("pruning idempotent answers: {e}"),
        }
        let sent_before = clock::stamp(chrono::Utc::now() - chrono::Duration::minutes(10));
        match storage.remove_sent_links(&sent_before).await {
            Ok(0) => {}
            Ok(n) => log::info!("links removed from the stored copies of {n} sent notices"),
            Err(e) => log::error!("removing sent notices' links: {e}"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(600)).await;
    }
}
