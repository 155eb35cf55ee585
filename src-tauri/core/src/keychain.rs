//! 資格情報: the server token (and the store's key, see `vault`), kept only in the OS keychain (Windows Credential Manager; the
//! Secret Service on Linux) — never in SQLite, settings files or logs.

use madoguchi_domain::Code;
use madoguchi_domain::Coded;

/// Tokens and the store's keys live under services of their own, so no server URL, however
/// crafted, can name (and overwrite) a store's key.
const TOKENS: &str = "jp.madoguchi.desk.server-token";
const KEYS: &str = "jp.madoguchi.desk.store-key";
/// Where both lived before: an entry found only there is moved on first read.
const LEGACY: &str = "jp.madoguchi.desk";
/// The store keys' names (`store-key:<path>`), in the legacy service and now.
pub(crate) const KEY_PREFIX: &str = "store-key:";

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

fn entry(service: &str, name: &str) -> Result<keyring::Entry, KeychainError> {
    keyring::Entry::new(service, name).map_err(KeychainError::Unavailable)
}

/// The secret `name` of `service`; one found only under the legacy service is moved (saved
/// here first, removed there after). A token's name never starts as a key's, nor the other
/// way round, so neither can be read as the other.
fn load(service: &str, name: &str) -> Result<Option<String>, KeychainError> {
    let is_key = name.starts_with(KEY_PREFIX);
    if is_key != (service == KEYS) {
        return Ok(None);
    }
    match entry(service, name)?.get_password() {
        Ok(secret) => return Ok(Some(secret)),
        Err(keyring::Error::NoEntry) => {}
        Err(e) => return Err(KeychainError::Unavailable(e)),
    }
    let legacy = entry(LEGACY, name)?;
    match legacy.get_password() {
        Ok(secret) => {
            entry(service, name)?.set_password(&secret).map_err(KeychainError::Unavailable)?;
            if let Err(e) = legacy.delete_credential() {
                log::warn!("keychain: the old entry stays after its move: {e}");
            }
            Ok(Some(secret))
        }
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(KeychainError::Unavailable(e)),
    }
}

/// A token is never stored under a store key's name.
fn token_name(server_url: &str) -> Result<&str, KeychainError> {
    if server_url.starts_with(KEY_PREFIX) {
        return Err(KeychainError::Missing(server_url.to_owned()));
    }
    Ok(server_url)
}

/// Stores the token for `server_url`, replacing any earlier one.
pub fn save_token(server_url: &str, token: &Token) -> Result<(), KeychainError> {
    let name = token_name(server_url)?;
    entry(TOKENS, name)?.set_password(token.expose()).map_err(KeychainError::Unavailable)
}

pub fn load_token(server_url: &str) -> Result<Token, KeychainError> {
    match load(TOKENS, token_name(server_url)?)? {
        Some(t) => Ok(Token(t)),
        None => Err(KeychainError::Missing(server_url.to_owned())),
    }
}

/// The store's key under `name` (`store-key:<path>`), if stored.
pub(crate) fn load_secret(name: &str) -> Result<Option<String>, KeychainError> {
    load(KEYS, name)
}

pub(crate) fn save_secret(name: &str, secret: &str) -> Result<(), KeychainError> {
    entry(KEYS, name)?.set_password(secret).map_err(KeychainError::Unavailable)
}

pub fn delete_token(server_url: &str) -> Result<(), KeychainError> {
    for service in [TOKENS, LEGACY] {
        match entry(service, token_name(server_url)?)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => {}
            Err(e) => return Err(KeychainError::Unavailable(e)),
        }
    }
    Ok(())
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
