//! トークン: officers' bearer tokens and the one-time link tokens of the mails, made and hashed
//! below the web layer (storage keeps only hashes and makes link tokens in its transactions).

use sha2::{Digest, Sha256};

/// How long a new officer token is valid unless said otherwise.
pub const TOKEN_DAYS: i64 = 365;

/// Tokens expiring within this many days are warned of (`officer list`, the server's start).
pub const WARN_DAYS: i64 = 30;

/// `days`, plus up to `stagger` more at random: tokens made on one day (a migration, a
/// registration drive) then expire on different days, not all on the same one a year later.
pub fn staggered(days: i64, stagger: i64) -> i64 {
    use rand::Rng;
    days + if stagger > 0 { rand::thread_rng().gen_range(0..=stagger) } else { 0 }
}

/// Whole days until `expires_at` (RFC 3339) from now; negative once past.
pub fn days_left(expires_at: &str) -> Option<i64> {
    let at = chrono::DateTime::parse_from_rfc3339(expires_at).ok()?;
    Some((at.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_days())
}

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
