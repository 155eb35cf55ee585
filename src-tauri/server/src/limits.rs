//! 受付の制限: what keeps the public intake from being flooded — a rate per client address
//! (tower_governor) and per prefecture (governor, keyed by the form's prefecture), a few
//! intakes at a time with the rest refused at once (503) rather than queued in front of
//! officers' decisions, and a time limit on every request. Officers' routes are not limited
//! by address: a prefecture's desks share one proxy address.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Router;
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};
use madoguchi_domain::{Code, Prefecture};
use serde::Deserialize;
use tower::ServiceBuilder;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::PeerIpKeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};

use crate::http::failure::Failure;

/// The limits; the defaults suit one prefecture's traffic with room for a registration drive.
/// A deployment sets its own in the `[limits]` table of the server's TOML (durations in
/// seconds: `address_every_seconds = 6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Intakes one client address may send at once, then one per `address_every`.
    pub address_burst: u32,
    #[serde(rename = "address_every_seconds", deserialize_with = "seconds")]
    pub address_every: Duration,
    /// Intakes one prefecture takes at once, then one per `prefecture_every`.
    pub prefecture_burst: u32,
    #[serde(rename = "prefecture_every_seconds", deserialize_with = "seconds")]
    pub prefecture_every: Duration,
    /// Intakes handled at the same moment; more are refused (503) at once.
    pub concurrent_intakes: usize,
    /// Any request still unanswered after this is ended (408).
    #[serde(rename = "request_timeout_seconds", deserialize_with = "seconds")]
    pub request_timeout: Duration,
}

/// A positive number of seconds, fractions allowed.
pub(crate) fn seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let s = f64::deserialize(d)?;
    Duration::try_from_secs_f64(s)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| serde::de::Error::custom(format!("{s}: not a positive number of seconds")))
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            address_burst: 10,
            address_every: Duration::from_secs(6),
            prefecture_burst: 60,
            prefecture_every: Duration::from_secs(1),
            concurrent_intakes: 8,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// The per-prefecture rate, checked once the form has said which prefecture it is for.
pub struct PrefectureLimiter(DefaultKeyedRateLimiter<Prefecture>);

impl PrefectureLimiter {
    pub fn new(limits: &Limits) -> Self {
        let burst = NonZeroU32::new(limits.prefecture_burst.max(1)).expect("at least one");
        let quota = Quota::with_period(limits.prefecture_every)
            .unwrap_or_else(|| Quota::per_second(burst))
            .allow_burst(burst);
        Self(RateLimiter::keyed(quota))
    }

    /// `Err` (429 with Retry-After) when `prefecture` has used its rate.
    pub fn check(&self, prefecture: Prefecture) -> Result<(), Failure> {
        self.0.check_key(&prefecture).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            log::warn!("intake for prefecture {} over its rate", prefecture.code());
            too_many(wait)
        })
    }
}

fn too_many(wait: Duration) -> Failure {
    Failure::new(StatusCode::TOO_MANY_REQUESTS, Code::ApiRate)
        .with_header("retry-after", wait.as_secs().max(1).to_string())
}

/// `routes` (the public intake) behind the address rate and the concurrency limit, whatever
/// state they take (so the limits need not know the handlers' state, which holds a limiter).
pub fn public<S: Clone + Send + Sync + 'static>(routes: Router<S>, limits: &Limits) -> Router<S> {
    let config = GovernorConfigBuilder::default()
        .period(limits.address_every)
        .burst_size(limits.address_burst.max(1))
        .key_extractor(PeerIpKeyExtractor)
        // Reading the page or opening a link takes no rate: posting does.
        .methods(vec![axum::http::Method::POST])
        .finish()
        .expect("a non-zero period and burst");
    let by_address = GovernorLayer::new(Arc::new(config)).error_handler(|e| match e {
        GovernorError::TooManyRequests { wait_time, .. } => {
            too_many(Duration::from_secs(wait_time)).into_response()
        }
        other => {
            log::error!("rate limit: {other}");
            Failure::new(StatusCode::INTERNAL_SERVER_ERROR, Code::ServerStorage).into_response()
        }
    });
    let at_once = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
            Failure::new(StatusCode::SERVICE_UNAVAILABLE, Code::ApiBusy)
                .with_header("retry-after", "5".into())
        }))
        .load_shed()
        .concurrency_limit(limits.concurrent_intakes.max(1));
    routes.layer(at_once).layer(by_address)
}

/// Every route: a request that runs too long is ended with 408.
pub fn timed(router: Router, limits: &Limits) -> Router {
    router.layer(tower_http::timeout::TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        limits.request_timeout,
    ))
}
