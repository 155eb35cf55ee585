//! The per-prefecture rate, checked once the form has said which prefecture it is for. It
//! counts client addresses, not forms: an address counts once an hour for a prefecture (each
//! is already held to its own rate), so a few senders posting valid 東京都 forms cannot spend
//! 東京都's rate and lock its real applicants out.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use governor::{clock::Clock, DefaultKeyedRateLimiter, RateLimiter};
use madoguchi_domain::{Code, Prefecture};

use super::config::{rate, Limits};
use crate::http::failure::Failure;

/// How long an address counts as already seen by a prefecture.
const SEEN_FOR: Duration = Duration::from_secs(3600);

pub struct PrefectureLimiter {
    addresses: DefaultKeyedRateLimiter<Prefecture>,
    /// Addresses each prefecture let in within the hour: only those the rate admitted, so
    /// it holds at most a prefecture's rate of an hour's addresses.
    seen: Mutex<HashMap<(Prefecture, IpAddr), Instant>>,
}

impl PrefectureLimiter {
    pub fn new(limits: &Limits) -> Self {
        let quota = rate(limits.prefecture_burst, limits.prefecture_every);
        Self { addresses: RateLimiter::keyed(quota), seen: Mutex::default() }
    }

    /// `Err` (429 with Retry-After) when `prefecture` has taken its rate of new addresses and
    /// `client` (an address key) is not one of them.
    pub fn check(&self, prefecture: Prefecture, client: IpAddr) -> Result<(), Failure> {
        let key = (prefecture, client);
        let mut seen = self.seen.lock().expect("not poisoned");
        if seen.get(&key).is_some_and(|at| at.elapsed() < SEEN_FOR) {
            return Ok(());
        }
        self.addresses.check_key(&prefecture).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            log::warn!("intake for prefecture {} over its rate of addresses", prefecture.code());
            too_many(wait)
        })?;
        seen.insert(key, Instant::now());
        Ok(())
    }

    /// Forgets what no longer limits anyone.
    pub fn prune(&self) {
        self.addresses.retain_recent();
        self.seen.lock().expect("not poisoned").retain(|_, at| at.elapsed() < SEEN_FOR);
    }
}

/// 429 with how long to wait.
pub(super) fn too_many(wait: Duration) -> Failure {
    Failure::new(StatusCode::TOO_MANY_REQUESTS, Code::ApiRate)
        .with_header("retry-after", wait.as_secs().max(1).to_string())
}
