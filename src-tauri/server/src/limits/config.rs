//! The limits' values: the defaults, and the `[limits]` table of the server's TOML.

use std::time::Duration;

use ipnet::IpNet;
use serde::Deserialize;

/// Larger bodies are refused with 413, on every route.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The limits; the defaults suit one prefecture's traffic with room for a registration drive.
/// A deployment sets its own in the `[limits]` table of the server's TOML (durations in
/// seconds: `address_every_seconds = 6`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Forms one client address may post at once, then one per `address_every`.
    pub address_burst: u32,
    #[serde(rename = "address_every_seconds", deserialize_with = "seconds")]
    pub address_every: Duration,
    /// Client addresses a prefecture takes forms from at once, then one more per
    /// `prefecture_every`. Each address counts once an hour, so a handful of senders cannot
    /// spend a prefecture's rate for its real applicants; a flood from many addresses does.
    pub prefecture_burst: u32,
    #[serde(rename = "prefecture_every_seconds", deserialize_with = "seconds")]
    pub prefecture_every: Duration,
    /// Mailed links (疎通確認, 差戻し) one address may open at once, then one per
    /// `link_every`: guessing links costs time.
    pub link_burst: u32,
    #[serde(rename = "link_every_seconds", deserialize_with = "seconds")]
    pub link_every: Duration,
    /// Times one 申請番号 may be asked about on the status page at once, then once per
    /// `status_every`, whoever asks (a guessed address costs time per number).
    pub status_burst: u32,
    #[serde(rename = "status_every_seconds", deserialize_with = "seconds")]
    pub status_every: Duration,
    /// The status page answers no sooner than this after the question, found or not, so
    /// its timing tells nothing.
    #[serde(rename = "status_answer_seconds", deserialize_with = "seconds")]
    pub status_answer: Duration,
    /// Public requests handled at the same moment, all addresses; more are refused (503).
    pub concurrent_intakes: usize,
    /// Public requests one address may have in flight; more are refused (503).
    pub address_concurrency: usize,
    /// A public request's body must have arrived whole within this (else 408); it is read
    /// before a handling slot is taken, so slow senders hold none.
    #[serde(rename = "body_timeout_seconds", deserialize_with = "seconds")]
    pub body_timeout: Duration,
    /// Any request still unanswered after this is ended (408).
    #[serde(rename = "request_timeout_seconds", deserialize_with = "seconds")]
    pub request_timeout: Duration,
    /// A connection on which nothing moves either way for this long is closed (HTTP/1.1
    /// keep-alive, HTTP/2, a TLS handshake that stalls).
    #[serde(rename = "idle_timeout_seconds", deserialize_with = "seconds")]
    pub idle_timeout: Duration,
    /// The load balancers and reverse proxies in front of the server (`["10.0.0.0/8",
    /// "192.0.2.10"]`): only from these is `X-Forwarded-For` believed.
    #[serde(deserialize_with = "networks")]
    pub trusted_proxies: Vec<IpNet>,
}

/// `burst` at once, then one more per `every`: every rate the doors keep has this shape.
pub(crate) fn rate(burst: u32, every: Duration) -> governor::Quota {
    let burst = std::num::NonZeroU32::new(burst.max(1)).expect("at least one");
    governor::Quota::with_period(every)
        .unwrap_or_else(|| governor::Quota::per_second(burst))
        .allow_burst(burst)
}

/// A positive number of seconds, fractions allowed.
pub(crate) fn seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let s = f64::deserialize(d)?;
    Duration::try_from_secs_f64(s)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| serde::de::Error::custom(format!("{s}: not a positive number of seconds")))
}

/// Networks (`10.0.0.0/8`) or single addresses (`192.0.2.10`).
fn networks<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<IpNet>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| serde::de::Error::custom(format!("{s}: not an address or network")))
        })
        .collect()
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            address_burst: 10,
            address_every: Duration::from_secs(6),
            prefecture_burst: 60,
            prefecture_every: Duration::from_secs(1),
            link_burst: 10,
            link_every: Duration::from_secs(6),
            status_burst: 5,
            status_every: Duration::from_secs(720),
            status_answer: Duration::from_millis(250),
            concurrent_intakes: 8,
            address_concurrency: 2,
            body_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(120),
            trusted_proxies: Vec::new(),
        }
    }
}
