//! The Madoguchi central server: intake of 新規ユーザ登録申請, officers' decisions, the mail
//! outbox, and the changes feed the desks sync from — over HTTPS only.

pub mod cli;
pub mod config;
pub mod decisions;
pub mod demo;
pub mod http;
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

/// Serves the API on `listener` with `tls`.
pub async fn start(
    storage: Arc<dyn Storage>,
    listener: std::net::TcpListener,
    tls: RustlsConfig,
) -> std::io::Result<Running> {
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let handle = axum_server::Handle::new();
    let app = http::router(http::AppState { storage });
    let server = axum_server::from_tcp_rustls(listener, tls).handle(handle.clone());
    let task = tokio::spawn(async move { server.serve(app.into_make_service()).await });
    log::info!("madoguchi-server listening on https://{addr}");
    Ok(Running { addr, handle, task })
}
