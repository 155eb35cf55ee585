//! 停止と再読込: what the service manager asks of a running server — stop (SIGTERM, Ctrl-C)
//! and read the certificate again (SIGHUP).

/// How long requests and mail transactions in flight have to finish once a stop is asked.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(20);

/// SIGHUP (on Windows: a change to either file, looked for every 30 s) reads the certificate
/// and key again (a renewed certificate): new connections get the new one, open ones keep
/// theirs. A file that does not read leaves the old in place.
pub fn reload_on_hangup(
    tls: axum_server::tls_rustls::RustlsConfig,
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hangup) = signal(SignalKind::hangup()) else { return };
        while hangup.recv().await.is_some() {
            match crate::tls::reload(&tls, &cert, &key) {
                Ok(()) => log::info!("SIGHUP: certificate {} reloaded", cert.display()),
                Err(e) => log::error!("SIGHUP: certificate not reloaded, the old one stays: {e}"),
            }
        }
    });
    // Windows has no SIGHUP: the files are watched instead (a renewal tool writes them).
    #[cfg(not(unix))]
    tokio::spawn(async move {
        let stamp = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let mut seen = (stamp(&cert), stamp(&key));
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            let now = (stamp(&cert), stamp(&key));
            if now != seen {
                seen = now;
                match crate::tls::reload(&tls, &cert, &key) {
                    Ok(()) => log::info!("certificate {} changed: reloaded", cert.display()),
                    Err(e) => {
                        log::error!("certificate changed but not reloaded, the old one stays: {e}")
                    }
                }
            }
        }
    });
}

/// SIGTERM (systemd's stop) or Ctrl-C / SIGINT.
pub async fn stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => log::info!("SIGTERM"),
                    _ = tokio::signal::ctrl_c() => log::info!("SIGINT"),
                }
            }
            Err(e) => {
                log::warn!("SIGTERM cannot be caught ({e}); Ctrl-C still stops gracefully");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        log::info!("Ctrl-C");
    }
}
