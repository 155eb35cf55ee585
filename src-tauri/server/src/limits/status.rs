//! The status page's rate per 申請番号: each number may be asked about a few times an hour,
//! found or not, so its address cannot be guessed from many client addresses either.

use governor::{clock::Clock, DefaultKeyedRateLimiter, RateLimiter};

use super::config::{rate, Limits};
use super::prefecture::too_many;
use crate::http::failure::Failure;

pub struct StatusLimiter {
    numbers: DefaultKeyedRateLimiter<i64>,
}

impl StatusLimiter {
    pub fn new(limits: &Limits) -> Self {
        Self { numbers: RateLimiter::keyed(rate(limits.status_burst, limits.status_every)) }
    }

    /// `Err` (429 with Retry-After) once `number` was asked about its rate's worth.
    pub fn check(&self, number: i64) -> Result<(), Failure> {
        self.numbers.check_key(&number).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            log::info!("status page: one application number asked about over its rate");
            too_many(wait)
        })
    }

    /// Forgets numbers that no longer limit anyone.
    pub fn prune(&self) {
        self.numbers.retain_recent();
    }

    pub fn keys(&self) -> usize {
        self.numbers.len()
    }
}
