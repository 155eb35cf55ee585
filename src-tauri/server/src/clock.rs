//! 時刻: the server's clock as stored — below the web layer, so storage and the HTTP handlers
//! both read it without storage reaching up into http.

/// Now, as stored.
pub fn now() -> String {
    stamp(chrono::Utc::now())
}

/// Stored times: microseconds, UTC, so they compare as text.
pub fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
