//! トークン: officers' bearer tokens and the one-time link tokens of the mails, made and hashed
//! below the web layer (storage keeps only hashes and makes link tokens in its transactions).

use sha2::{Digest, Sha256};

/// How long a new officer token is valid unless said otherwise.
pub const TOKEN_DAYS: i64 = 365;

/// The expiry of a token made now, valid for `days`.
pub fn token_expiry(days: i64) -> String {
    crate::clock::stamp(chrono::Utc::now() + chrono::Duration::days(days))
}

/// A one-time link token (疎通確認, 再申請): 43 letters and digits, about 256 bits.
pub fn random_token() -> String {
    use rand::Rng;
    rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(43)
        .map(char::from)
        .collect()
}

/// SHA-256 of a token, hex: what the officers table and the links' rows store.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}
