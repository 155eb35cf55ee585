//! TLS of the API and the public pages: the certificate and key (PEM), and session resumption.
//! A desk reconnects often — an idle connection closed, a proxy that drops it, a sleep — and
//! with a session ticket it costs no full handshake (no certificate sent, no signature made).
//! Tickets are encrypted with keys that live in this process only: after a restart every
//! client makes one full handshake again, then holds a new ticket.

use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

use axum_server::accept::Accept;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::ServerSessionMemoryCache;
use rustls::{HandshakeKind, ServerConfig};
use tokio::net::TcpStream;

use crate::http::idle::IdleAcceptor;
use crate::metrics::Metrics;

/// TLS 1.2 sessions remembered by id (TLS 1.3 clients hold stateless tickets instead): one
/// per desk of a large prefecture, a few hundred bytes each.
const SESSIONS: usize = 4096;

/// The server's TLS settings from `cert` and `key`; with `keep`, the running settings' ticket
/// keys and session cache carry over (a renewed certificate does not cost every desk a full
/// handshake).
fn server_config(cert: &Path, key: &Path, keep: Option<&ServerConfig>) -> io::Result<ServerConfig> {
    let bad = |what: &Path, e: rustls::pki_types::pem::Error| {
        io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", what.display()))
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad(cert, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(cert, e))?;
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, e))?;
    let mut config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    match keep {
        Some(running) => {
            config.ticketer = running.ticketer.clone();
            config.session_storage = running.session_storage.clone();
        }
        None => {
            config.ticketer = rustls::crypto::ring::Ticketer::new().map_err(io::Error::other)?;
            config.session_storage = ServerSessionMemoryCache::new(SESSIONS);
        }
    }
    Ok(config)
}

/// TLS with rustls (ring): certificate chain and key, PEM; tickets and a session cache.
pub async fn tls_config(cert: &Path, key: &Path) -> io::Result<RustlsConfig> {
    // Both the server and reqwest use ring; installing twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(RustlsConfig::from_config(Arc::new(server_config(cert, key, None)?)))
}

/// Reads `cert` and `key` again into `tls`, keeping its ticket keys and sessions.
pub fn reload(tls: &RustlsConfig, cert: &Path, key: &Path) -> io::Result<()> {
    let running = tls.get_inner();
    tls.reload_from_config(Arc::new(server_config(cert, key, Some(&running))?));
    Ok(())
}

/// The TLS acceptor (over [`IdleAcceptor`]), counting each handshake as full or resumed.
#[derive(Clone)]
pub struct CountingAcceptor {
    inner: RustlsAcceptor<IdleAcceptor>,
    metrics: Arc<Metrics>,
}

impl CountingAcceptor {
    pub fn new(inner: RustlsAcceptor<IdleAcceptor>, metrics: Arc<Metrics>) -> Self {
        Self { inner, metrics }
    }
}

/// tokio-rustls' server stream over an [`IdleStream`], as axum-server names it.
type TlsStream<S> = <RustlsAcceptor<IdleAcceptor> as Accept<TcpStream, S>>::Stream;

impl<S: Send + 'static> Accept<TcpStream, S> for CountingAcceptor {
    type Stream = TlsStream<S>;
    type Service = S;
    type Future = Pin<Box<dyn Future<Output = io::Result<(TlsStream<S>, S)>> + Send>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let handshake = self.inner.accept(stream, service);
        let metrics = self.metrics.clone();
        Box::pin(async move {
            let (stream, service) = handshake.await?;
            let resumed = stream.get_ref().1.handshake_kind() == Some(HandshakeKind::Resumed);
            metrics.tls_handshake(resumed);
            Ok((stream, service))
        })
    }
}
