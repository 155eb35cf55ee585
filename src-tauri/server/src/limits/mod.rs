//! 受付の制限: what keeps the public doors (the intake, the pages, the mailed links) from
//! being flooded, and what they take from whom. Officers' routes are not limited by address:
//! a prefecture's desks share one proxy address.

mod client;
mod config;
mod door;
mod prefecture;
mod status;

pub use client::{address_key, client_address};
pub(crate) use config::{rate, seconds};
pub use config::{Limits, MAX_BODY_BYTES};
pub use door::{public, timed, ClientKey, Door};
pub use prefecture::PrefectureLimiter;
pub use status::StatusLimiter;
