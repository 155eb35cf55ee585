//! 設定: a TOML file, overridden by environment variables, overridden by the command line.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Everything `serve` needs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on, e.g. `0.0.0.0:8443`.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// `sqlite:///var/lib/madoguchi/central.db` (the default kind) or `postgres://user@host/db`.
    #[serde(default = "default_database")]
    pub database: SecretUrl,
    /// PEM certificate chain and private key for HTTPS.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// `https://host[:port]` as applicants reach the server: the 疎通確認 links start with it.
    #[serde(default)]
    pub public_url: Option<String>,
    /// The prefecture's mail relay: `smtp://host:port` (STARTTLS), `smtps://host:port`,
    /// credentials allowed in the URL. None: notices are held, not sent.
    #[serde(default)]
    pub smtp_relay: Option<SecretUrl>,
    #[serde(default)]
    pub smtp_user: Option<String>,
    #[serde(default)]
    pub smtp_password: Option<Secret>,
    /// A file holding the relay's password (its first line), read at start.
    #[serde(default)]
    pub smtp_password_file: Option<PathBuf>,
    /// PEM of the CA the relay's certificate is signed by, if not a public one.
    #[serde(default)]
    pub smtp_ca: Option<PathBuf>,
    /// From of every notice (default `G-MIS事務局 <info@g-mis.net>`).
    #[serde(default)]
    pub mail_from: Option<String>,
    /// Bounces come back to `bounce+…@` this domain.
    #[serde(default)]
    pub bounce_domain: Option<String>,
    /// Address:port the bounce listener (SMTP) takes mail on.
    #[serde(default)]
    pub bounce_listen: Option<SocketAddr>,
    /// `utf-8` (default) or `iso-2022-jp`.
    #[serde(default)]
    pub mail_charset: Option<String>,
    /// Whether `serve` migrates the database first (default: yes for SQLite, no for
    /// PostgreSQL — `db migrate` does it once for all processes).
    #[serde(default)]
    pub migrate: Option<bool>,
    /// Database connections one process keeps at most (default SQLite 8, PostgreSQL 16).
    #[serde(default)]
    pub pool_size: Option<u32>,
    /// The ops listener (Prometheus `/metrics`, plain HTTP): loopback or an internal address.
    #[serde(default)]
    pub ops_listen: Option<SocketAddr>,
    /// The token a scraper must send (`Authorization: Bearer …`), or a file holding it.
    #[serde(default)]
    pub ops_token: Option<Secret>,
    #[serde(default)]
    pub ops_token_file: Option<PathBuf>,
    /// The public intake's limits (`[limits]`; each value defaults on its own).
    #[serde(default)]
    pub limits: crate::limits::Limits,
    /// The bounce listener's limits (`[inbound]`; each value defaults on its own).
    #[serde(default)]
    pub inbound: crate::mail::InboundLimits,
}

/// A password: read like a string, never shown (`Debug` prints `***`).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// A URL that may carry credentials (the relay's, the database's): shown with its password
/// replaced, used as the string it is.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct SecretUrl(pub String);

impl std::ops::Deref for SecretUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", crate::redact::redact(&self.0))
    }
}

impl std::str::FromStr for SecretUrl {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

fn default_listen() -> SocketAddr {
    "127.0.0.1:8443".parse().expect("literal address")
}

fn default_database() -> SecretUrl {
    SecretUrl("sqlite://madoguchi-central.db".into())
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: {source}")]
    Parse { path: String, source: toml::de::Error },
    #[error("HTTPS needs a certificate and key: set tls_cert and tls_key (or MADOGUCHI_TLS_CERT / MADOGUCHI_TLS_KEY)")]
    NoTls,
    #[error("{0}")]
    Secret(String),
}

/// A secret kept in a file: its first line (a file written by an editor ends in a newline).
fn first_line(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            database: default_database(),
            tls_cert: None,
            tls_key: None,
            public_url: None,
            smtp_relay: None,
            smtp_user: None,
            smtp_password: None,
            smtp_ca: None,
            mail_from: None,
            bounce_domain: None,
            bounce_listen: None,
            mail_charset: None,
            migrate: None,
            pool_size: None,
            smtp_password_file: None,
            ops_listen: None,
            ops_token: None,
            ops_token_file: None,
            limits: Default::default(),
            inbound: Default::default(),
        }
    }
}

impl Config {
    /// The file at `path`, or the defaults when there is none.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let Some(path) = path else { return Ok(Self::default()) };
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.display().to_string(), source })?;
        toml::from_str(&text)
            .map_err(|source| ConfigError::Parse { path: path.display().to_string(), source })
    }

    /// The ops listener's token: from its file, else the settings (or MADOGUCHI_OPS_TOKEN).
    pub fn ops_token(&self) -> Result<Option<String>, ConfigError> {
        match &self.ops_token_file {
            Some(path) => first_line(path).map(Some).map_err(ConfigError::Secret),
            None => Ok(self.ops_token.clone().map(|Secret(t)| t)),
        }
    }

    /// The certificate and key, both required: the server speaks HTTPS only.
    pub fn tls(&self) -> Result<(&Path, &Path), ConfigError> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(c), Some(k)) => Ok((c, k)),
            _ => Err(ConfigError::NoTls),
        }
    }
}

impl Config {
    /// The mail settings these values make.
    pub fn mail(&self) -> Result<crate::mail::Settings, crate::mail::MailConfigError> {
        use crate::mail::{MailConfigError, Relay, Settings};
        let mut settings = Settings::default();
        if let Some(SecretUrl(url)) = &self.smtp_relay {
            let mut relay = Relay::parse(url)?;
            relay.user = self.smtp_user.clone().or(relay.user);
            let from_file = self
                .smtp_password_file
                .as_deref()
                .map(first_line)
                .transpose()
                .map_err(MailConfigError::PasswordFile)?;
            relay.password = from_file
                .or_else(|| self.smtp_password.clone().map(|Secret(p)| p))
                .or(relay.password);
            if let Some(ca) = &self.smtp_ca {
                relay.ca_pem = Some(
                    std::fs::read(ca)
                        .map_err(|e| MailConfigError::Ca(format!("{}: {e}", ca.display())))?,
                );
            }
            settings.relay = Some(relay);
        }
        if let Some(from) = &self.mail_from {
            settings.from = from.parse().map_err(|_| MailConfigError::From(from.clone()))?;
        }
        settings.bounce_domain = self.bounce_domain.clone();
        settings.bounce_listen = self.bounce_listen;
        settings.inbound = self.inbound;
        if let Some(charset) = &self.mail_charset {
            settings.charset = charset.parse()?;
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_password_in_a_debug_print() {
        let c: Config = toml::from_str(
            "smtp_relay = \"smtps://madoguchi:hunter2@relay.example\"\nsmtp_password = \"s3cret\"",
        )
        .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("s3cret"), "{shown}");
        let db: Config =
            toml::from_str("database = \"postgres://madoguchi:pgpass@db/central\"").unwrap();
        assert!(!format!("{db:?}").contains("pgpass"), "{db:?}");
        assert!(shown.contains("relay.example"), "the relay is still named: {shown}");
        assert_eq!(c.mail().unwrap().relay.unwrap().password.as_deref(), Some("s3cret"));
        let file = std::env::temp_dir().join(format!("madoguchi-smtp-{}", std::process::id()));
        std::fs::write(&file, "from-a-file\n").unwrap();
        let c = Config { smtp_password_file: Some(file.clone()), ..c };
        assert_eq!(c.mail().unwrap().relay.unwrap().password.as_deref(), Some("from-a-file"));
        std::fs::remove_file(file).unwrap();
    }

    #[test]
    fn file_values_and_defaults() {
        let c: Config = toml::from_str(
            "database = \"postgres://x@y/z\"\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"",
        )
        .unwrap();
        assert_eq!(c.listen, default_listen());
        assert_eq!(&*c.database, "postgres://x@y/z");
        assert!(c.tls().is_ok());
        assert!(matches!(Config::default().tls(), Err(ConfigError::NoTls)));
        assert!(toml::from_str::<Config>("lisen = \"x\"").is_err(), "typos are refused");
        assert_eq!(c.limits, crate::limits::Limits::default());
    }

    #[test]
    fn limits_in_their_table() {
        let c: Config = toml::from_str(
            "[limits]\naddress_burst = 3\naddress_every_seconds = 0.5\nrequest_timeout_seconds = 60",
        )
        .unwrap();
        let d = crate::limits::Limits::default();
        assert_eq!(c.limits.address_burst, 3);
        assert_eq!(c.limits.address_every, std::time::Duration::from_millis(500));
        assert_eq!(c.limits.request_timeout, std::time::Duration::from_secs(60));
        assert_eq!(c.limits.prefecture_burst, d.prefecture_burst, "the rest default");
        for bad in ["address_every_seconds = 0", "address_every_seconds = -1", "burst = 3"] {
            assert!(toml::from_str::<Config>(&format!("[limits]\n{bad}")).is_err(), "{bad}");
        }
    }
}
