//! `serve`: the API over HTTPS, the mail parts, and (when asked) the ops listener, until a
//! signal stops them.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use crate::{config::Config, signals, storage};

/// `serve`'s options; each overrides the settings file.
#[derive(clap::Args, Debug, Default)]
pub(super) struct ServeArgs {
    #[arg(long, env = "MADOGUCHI_LISTEN")]
    listen: Option<std::net::SocketAddr>,
    #[arg(long, env = "MADOGUCHI_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    #[arg(long, env = "MADOGUCHI_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// `https://host[:port]` as applicants reach the server (確認メールのURL).
    #[arg(long, env = "MADOGUCHI_PUBLIC_URL")]
    public_url: Option<String>,
    /// Migrate the database first (`true`/`false`; default: yes for SQLite, no for
    /// PostgreSQL, which `db migrate` migrates once for all its processes). Without, a
    /// database of another schema is refused.
    #[arg(long, env = "MADOGUCHI_MIGRATE")]
    migrate: Option<bool>,
    /// Database connections this process keeps at most (SQLite 8, PostgreSQL 16).
    #[arg(long, env = "MADOGUCHI_POOL_SIZE")]
    pool_size: Option<u32>,
    /// Address:port of the ops listener (Prometheus `/metrics`, plain HTTP): loopback or an
    /// internal address; off when not set. Its token, if any: MADOGUCHI_OPS_TOKEN or
    /// `ops_token_file` in the settings file.
    #[arg(long, env = "MADOGUCHI_OPS_LISTEN")]
    ops_listen: Option<std::net::SocketAddr>,
    #[command(flatten)]
    mail: Box<MailArgs>,
}

/// Serves until `stop` (a signal, or the Windows service manager) resolves.
pub(super) async fn serve(
    mut config: Config,
    args: ServeArgs,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), Box<dyn std::error::Error>> {
    let ServeArgs { listen, tls_cert, tls_key, public_url, migrate, pool_size, ops_listen, mail } =
        args;
    config.pool_size = pool_size.or(config.pool_size);
    config.listen = listen.unwrap_or(config.listen);
    config.public_url = public_url.or(config.public_url);
    config.tls_cert = tls_cert.or(config.tls_cert);
    config.tls_key = tls_key.or(config.tls_key);
    config.ops_listen = ops_listen.or(config.ops_listen);
    if let Ok(token) = std::env::var("MADOGUCHI_OPS_TOKEN") {
        config.ops_token = Some(crate::config::Secret(token));
    }
    mail.over(&mut config);
    let (cert, key) = config.tls()?;
    let (cert, key) = (cert.to_owned(), key.to_owned());
    let tls = crate::tls_config(&cert, &key).await?;
    let ops_token = config.ops_token()?;
    let mail = config.mail()?;
    let metrics = Arc::<crate::metrics::Metrics>::default();
    let options = crate::Options {
        public_url: config.public_url.clone(),
        limits: config.limits,
        sender: Some(mail.from.email.to_string()),
        metrics: metrics.clone(),
    };
    let migrate = migrate
        .or(config.migrate)
        .unwrap_or_else(|| storage::migrates_by_default(&config.database));
    let opened = storage::open_sized(&config.database, migrate, config.pool_size).await?;
    let storage = storage::current(opened).await?;
    warn_of_expiring_tokens(storage.as_ref()).await;
    let listener = std::net::TcpListener::bind(config.listen)?;
    let mail = crate::mail::Service::start(storage.clone(), mail, metrics.clone()).await?;
    signals::reload_on_hangup(tls.clone(), cert, key);
    let running = crate::start(storage.clone(), listener, tls, &options).await?;
    let ops = match config.ops_listen {
        Some(addr) => Some(
            crate::metrics::serve(addr, ops_token.as_deref(), metrics, storage, running.draining())
                .await?,
        ),
        None => None,
    };
    // Where it listens, for a script that started it on port 0 (a closed stdout is no
    // reason to stop serving).
    let mut lines = vec![format!("https://{}", running.addr)];
    lines.extend(mail.inbound.as_ref().map(|i| format!("bounces smtp://{}", i.addr)));
    lines.extend(ops.as_ref().map(|o| format!("ops http://{}/metrics", o.addr)));
    for line in lines {
        let _ = writeln!(std::io::stdout(), "madoguchi-server: {line}");
    }
    running.until(stop, signals::SHUTDOWN_GRACE).await?;
    mail.shutdown().await;
    if let Some(ops) = ops {
        ops.shutdown().await;
    }
    log::info!("stopped");
    Ok(())
}

/// Says at start how many officers' tokens end within [`crate::tokens::WARN_DAYS`], by
/// prefecture, so they are rotated before a desk stops syncing.
async fn warn_of_expiring_tokens(storage: &dyn crate::storage::Storage) {
    let Ok(officers) = storage.officers(None).await else { return };
    let mut soon = std::collections::BTreeMap::<String, usize>::new();
    for o in officers.iter().filter(|o| o.revoked_at.is_none()) {
        if crate::tokens::days_left(&o.expires_at)
            .is_some_and(|d| (0..=crate::tokens::WARN_DAYS).contains(&d))
        {
            *soon.entry(o.prefecture.clone()).or_default() += 1;
        }
    }
    for (prefecture, n) in soon {
        log::warn!(
            "{n} officer token(s) of prefecture {prefecture} end within {} days: `officer rotate`",
            crate::tokens::WARN_DAYS
        );
    }
}

/// Mail options of `serve`; each overrides the settings file.
#[derive(clap::Args, Debug, Default)]
struct MailArgs {
    #[arg(long, env = "MADOGUCHI_SMTP_RELAY", hide_env_values = true)]
    smtp_relay: Option<crate::config::SecretUrl>,
    #[arg(long, env = "MADOGUCHI_SMTP_USER")]
    smtp_user: Option<String>,
    /// A file holding the relay's password (the password itself is taken from the settings
    /// file or MADOGUCHI_SMTP_PASSWORD only: never from the command line, where `ps` shows it).
    #[arg(long, env = "MADOGUCHI_SMTP_PASSWORD_FILE")]
    smtp_password_file: Option<PathBuf>,
    #[arg(long, env = "MADOGUCHI_SMTP_CA")]
    smtp_ca: Option<PathBuf>,
    #[arg(long, env = "MADOGUCHI_MAIL_FROM")]
    mail_from: Option<String>,
    #[arg(long, env = "MADOGUCHI_BOUNCE_DOMAIN")]
    bounce_domain: Option<String>,
    #[arg(long, env = "MADOGUCHI_BOUNCE_LISTEN")]
    bounce_listen: Option<std::net::SocketAddr>,
    #[arg(long, env = "MADOGUCHI_MAIL_CHARSET")]
    mail_charset: Option<String>,
}

impl MailArgs {
    fn over(self, c: &mut Config) {
        c.smtp_relay = self.smtp_relay.or(c.smtp_relay.take());
        c.smtp_user = self.smtp_user.or(c.smtp_user.take());
        c.smtp_password_file = self.smtp_password_file.or(c.smtp_password_file.take());
        if let Ok(password) = std::env::var("MADOGUCHI_SMTP_PASSWORD") {
            c.smtp_password = Some(crate::config::Secret(password));
        }
        c.smtp_ca = self.smtp_ca.or(c.smtp_ca.take());
        c.mail_from = self.mail_from.or(c.mail_from.take());
        c.bounce_domain = self.bounce_domain.or(c.bounce_domain.take());
        c.bounce_listen = self.bounce_listen.or(c.bounce_listen.take());
        c.mail_charset = self.mail_charset.or(c.mail_charset.take());
    }
}
