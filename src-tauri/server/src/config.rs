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
    pub database: String,
    /// PEM certificate chain and private key for HTTPS.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
}

fn default_listen() -> SocketAddr {
    "127.0.0.1:8443".parse().expect("literal address")
}

fn default_database() -> String {
    "sqlite://madoguchi-central.db".into()
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: {source}")]
    Parse { path: String, source: toml::de::Error },
    #[error("HTTPS needs a certificate and key: set tls_cert and tls_key (or MADOGUCHI_TLS_CERT / MADOGUCHI_TLS_KEY)")]
    NoTls,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            database: default_database(),
            tls_cert: None,
            tls_key: None,
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

    /// The certificate and key, both required: the server speaks HTTPS only.
    pub fn tls(&self) -> Result<(&Path, &Path), ConfigError> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(c), Some(k)) => Ok((c, k)),
            _ => Err(ConfigError::NoTls),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_values_and_defaults() {
        let c: Config = toml::from_str(
            "database = \"postgres://x@y/z\"\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"",
        )
        .unwrap();
        assert_eq!(c.listen, default_listen());
        assert_eq!(c.database, "postgres://x@y/z");
        assert!(c.tls().is_ok());
        assert!(matches!(Config::default().tls(), Err(ConfigError::NoTls)));
        assert!(toml::from_str::<Config>("lisen = \"x\"").is_err(), "typos are refused");
    }
}
