//! The Madoguchi central server: intake of 新規ユーザ登録申請, officers' decisions, the mail
//! outbox, and the changes feed the desks sync from — over HTTPS only.

pub mod cli;
pub mod config;
pub mod decisions;
pub mod demo;
pub mod http;
pub mod limits;
pub mod mail;
pub mod storage;
#[cfg(feature = "testing")]
pub mod testing;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum_server::tls_rustls::RustlsConfig;

pub use config::Config;
pub use storage::Storage;

/// A server accepting connections; dropping it does not stop it, [`Running::shutdown`] does.
pub struct Running {
    pub addr: SocketAddr,
    handle: axum_server::Handle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting, lets requests in flight finish (up to `grace`), and waits.
    pub async fn shutdown(self, grace: std::time::Duration) {
        self.handle.graceful_shutdown(Some(grace));
        let _ = self.task.await;
    }

    /// Waits until the server stops by itself (an accept error).
    pub async fn wait(self) -> std::io::Result<()> {
        self.task.await.unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// TLS with rustls (ring): certificate chain and key, PEM.
pub async fn tls_config(cert: &Path, key: &Path) -> std::io::Result<RustlsConfig> {
    // Both the server and reqwest use ring; installing twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    RustlsConfig::from_pem_file(cert, key).await
}

/// Serves the API on `listener` with `tls`, the public intake under `limits`.
pub async fn start(
    storage: Arc<dyn Storage>,
    listener: std::net::TcpListener,
    tls: RustlsConfig,
    limits: &limits::Limits,
) -> std::io::Result<Running> {
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let handle = axum_server::Handle::new();
    let prefecture_rate = Arc::new(limits::PrefectureLimiter::new(limits));
    let app = http::router(http::AppState { storage, prefecture_rate }, limits);
    let mut server = axum_server::from_tcp_rustls(listener, tls).handle(handle.clone());
    // A client that sends its headers slowly is cut off (slowloris).
    server
        .http_builder()
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(std::time::Duration::from_secs(10));
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move { server.serve(service).await });
    log::info!("madoguchi-server listening on https://{addr}");
    Ok(Running { addr, handle, task })
}
