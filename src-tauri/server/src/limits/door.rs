//! The public routes' door (the intake, the pages, the mailed links). In order: who is asking
//! ([`super::client_address`], as a [`ClientKey`]); its rate for posting forms and for
//! opening links (429); how many requests that address has in flight (503 past
//! `address_concurrency`); its body, read whole within `body_timeout` (408) — all before a handling slot of
//! `concurrent_intakes` is taken, so slow or many senders hold none.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use axum::body::Body;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use governor::{clock::Clock, DefaultKeyedRateLimiter, RateLimiter};
use ipnet::IpNet;
use madoguchi_domain::Code;
use tower::ServiceBuilder;

use super::client::{address_key, client_address};
use super::config::{rate, Limits, MAX_BODY_BYTES};
use super::prefecture::{too_many, PrefectureLimiter};
use super::status::StatusLimiter;
use crate::http::failure::Failure;

/// The client a public request came from (its address key), for the handlers' own limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientKey(pub IpAddr);

/// Idle keys are forgotten this often.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

pub struct Door {
    prefecture: Arc<PrefectureLimiter>,
    status: Arc<StatusLimiter>,
    trusted: Vec<IpNet>,
    per_address: usize,
    body_timeout: Duration,
    posts: DefaultKeyedRateLimiter<IpAddr>,
    links: DefaultKeyedRateLimiter<IpAddr>,
    in_flight: Mutex<HashMap<IpAddr, usize>>,
}

impl Door {
    /// The door, and a task that forgets idle keys (its own, `prefecture`'s and `status`'s)
    /// every minute for as long as the door is in use.
    pub fn new(
        limits: &Limits,
        prefecture: Arc<PrefectureLimiter>,
        status: Arc<StatusLimiter>,
    ) -> Arc<Self> {
        let door = Arc::new(Self {
            prefecture,
            status,
            trusted: limits.trusted_proxies.clone(),
            per_address: limits.address_concurrency.max(1),
            body_timeout: limits.body_timeout,
            posts: RateLimiter::keyed(rate(limits.address_burst, limits.address_every)),
            links: RateLimiter::keyed(rate(limits.link_burst, limits.link_every)),
            in_flight: Mutex::default(),
        });
        let weak: Weak<Self> = Arc::downgrade(&door);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(PRUNE_EVERY).await;
                let Some(door) = weak.upgrade() else { return };
                door.prune();
            }
        });
        door
    }

    /// Address keys held now: with rate state or in flight. (What each prefecture let in
    /// within the hour is bounded by its rate.)
    pub fn keys(&self) -> usize {
        let in_flight = self.in_flight.lock().expect("not poisoned").len();
        self.posts.len() + self.links.len() + self.status.keys() + in_flight
    }

    /// Forgets keys that no longer limit anyone (the door's task does it every minute).
    pub fn prune(&self) {
        self.posts.retain_recent();
        self.links.retain_recent();
        self.prefecture.prune();
        self.status.prune();
    }

    fn enter(self: &Arc<Self>, key: IpAddr) -> Option<Inside> {
        let mut in_flight = self.in_flight.lock().expect("not poisoned");
        let n = in_flight.entry(key).or_default();
        if *n >= self.per_address {
            return None;
        }
        *n += 1;
        Some(Inside { door: self.clone(), key })
    }
}

/// A request counted in its address's flight until dropped.
struct Inside {
    door: Arc<Door>,
    key: IpAddr,
}

impl Drop for Inside {
    fn drop(&mut self) {
        let mut in_flight = self.door.in_flight.lock().expect("not poisoned");
        if let Some(n) = in_flight.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                in_flight.remove(&self.key);
            }
        }
    }
}

fn busy() -> Response {
    Failure::new(StatusCode::SERVICE_UNAVAILABLE, Code::ApiBusy)
        .with_header("retry-after", "5".into())
        .into_response()
}

async fn guard(
    State(door): State<Arc<Door>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let key = address_key(client_address(peer.ip(), request.headers(), &door.trusted));
    // Posting a form, or opening a mailed link (a token in the query), takes from a rate.
    let rate = match *request.method() {
        Method::POST => Some(&door.posts),
        Method::GET if request.uri().query().is_some_and(|q| !q.is_empty()) => Some(&door.links),
        _ => None,
    };
    if let Some(Err(not_until)) = rate.map(|r| r.check_key(&key)) {
        let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
        log::info!("public request refused: over its address's rate");
        return too_many(wait).into_response();
    }
    let Some(_inside) = door.enter(key) else {
        log::info!("public request refused: too many in flight from one address");
        return busy();
    };
    let (mut parts, body) = request.into_parts();
    let read = tokio::time::timeout(door.body_timeout, axum::body::to_bytes(body, MAX_BODY_BYTES));
    let bytes = match read.await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => {
            return Failure::new(StatusCode::PAYLOAD_TOO_LARGE, Code::ApiBody).into_response()
        }
        Err(_) => {
            log::info!("public request refused: its body did not arrive in time");
            return Failure::new(StatusCode::REQUEST_TIMEOUT, Code::ApiTimeout).into_response();
        }
    };
    parts.extensions.insert(ClientKey(key));
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// `routes` (the public doors) behind `door` and the concurrency limit, whatever state they
/// take (so the limits need not know the handlers' state, which holds a limiter).
pub fn public<S: Clone + Send + Sync + 'static>(
    routes: Router<S>,
    limits: &Limits,
    door: Arc<Door>,
) -> Router<S> {
    let at_once = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(|_: tower::BoxError| async { busy() }))
        .load_shed()
        .concurrency_limit(limits.concurrent_intakes.max(1));
    routes.layer(at_once).layer(axum::middleware::from_fn_with_state(door, guard))
}

/// Every route: a request that runs too long is ended with 408.
pub fn timed(router: Router, limits: &Limits) -> Router {
    router.layer(tower_http::timeout::TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        limits.request_timeout,
    ))
}
