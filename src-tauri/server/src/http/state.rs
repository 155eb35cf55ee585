//! What every handler is given: the storage, the intake's per-prefecture limiter, the status
//! page's per-number limiter, and how the public pages name this server and its mails.

use std::sync::Arc;

use crate::storage::Storage;

#[derive(Clone)]
pub struct AppState {
    pub storage: Arc<dyn Storage>,
    pub prefecture_rate: Arc<crate::limits::PrefectureLimiter>,
    pub status_rate: Arc<crate::limits::StatusLimiter>,
    /// The status page's answer time floor (see [`crate::limits::Limits::status_answer`]).
    pub status_answer: std::time::Duration,
    /// `https://host[:port]` as applicants reach this server: the 疎通確認 links start with it.
    pub public_url: String,
    /// The address notices come from, which the public pages ask applicants to accept.
    pub sender: String,
    /// Set when the server is stopping: readiness answers 503 so balancers send no more.
    pub draining: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// This process's counts (requests, feed pulls).
    pub metrics: Arc<crate::metrics::Metrics>,
}
