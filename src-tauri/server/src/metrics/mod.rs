//! 稼働監視: what an operator's Prometheus scrapes from the ops listener — the counts this
//! process keeps as it works (requests, refusals, SMTP attempts, delivery events, received
//! mail, feed pulls) and, at each scrape, the figures the database holds for every process
//! serving it (notices by state, the oldest waiting, each feed's head, officers' last use and
//! soonest token expiry). Labels are routes as declared, states and prefecture codes: never a
//! path value, an address or a name.

mod counts;
mod listener;

pub use counts::Metrics;
pub use listener::{serve, Ops};
