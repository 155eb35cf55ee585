//! 資格情報: the server token (and the store's key, see `vault`), kept only in the OS keychain (Windows Credential Manager; the
//! Secret Service on Linux) — never in SQLite, settings files or logs.

use madoguchi_domain::Code;
use madoguchi_domain::Coded;

const SERVICE: &str = "jp.madoguchi.desk";

/// A bearer token. Its `Debug` never shows it, so it cannot leak through a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The secret itself, for the Authorization header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    #[error("no token stored for {0}")]
    Missing(String),
    #[error("the OS keychain is unavailable: {0}")]
    Unavailable(keyring::Error),
}

impl Coded for KeychainError {
    fn code(&self) -> Code {
        match self {
            Self::Missing(_) => Code::KeychainEmpty,
            Self::Unavailable(_) => Code::KeychainUnavailable,
        }
    }
}

fn entry(server_url: &str) -> Result<keyring::Entry, KeychainError> {
    keyring::Entry::new(SERVICE, server_url).map_err(KeychainError::Unavailable)
}

/// Stores the token for `server_url`, replacing any earlier one.
pub fn save_token(server_url: &str, token: &Token) -> Result<(), KeychainError> {
    entry(server_url)?.set_password(token.expose()).map_err(KeychainError::Unavailable)
}

pub fn load_token(server_url: &str) -> Result<Token, KeychainError> {
    match entry(server_url)?.get_password() {
        Ok(t) => Ok(Token(t)),
        Err(keyring::Error::NoEntry) => Err(KeychainError::Missing(server_url.to_owned())),
        Err(e) => Err(KeychainError::Unavailable(e)),
    }
}

/// Another secret of the desk's (the store's key) under `name`, if stored.
pub(crate) fn load_secret(name: &str) -> Result<Option<String>, KeychainError> {
    match entry(name)?.get_password() {
        Ok(secret) => Ok(Some(secret)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(KeychainError::Unavailable(e)),
    }
}

pub(crate) fn save_secret(name: &str, secret: &str) -> Result<(), KeychainError> {
    entry(name)?.set_password(secret).map_err(KeychainError::Unavailable)
}

pub fn delete_token(server_url: &str) -> Result<(), KeychainError> {
    match entry(server_url)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(KeychainError::Unavailable(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let t = Token::new("s3cret-token");
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
        assert!(!format!("{:?}", Some(&t)).contains("s3cret"));
    }
}
