//! 敵対的な入力: the attacks issue 27 found, each sent as a real client would (an SMTP
//! dialogue, a crafted report, HTTP requests), and the bounds the server keeps under them —
//! events and rows, memory (RSS sampled), sessions — while an officer's decisions still go
//! through. How long those decisions take under attack is measured by `cargo xtask bench
//! hostile`, not asserted here. (The listener tests need Linux: Postfix and 127/8 loopback.)
#![cfg(unix)]

mod listener;
mod public;
mod reports;

use std::time::Duration;

use madoguchi_server::testing::TestServer;

/// One decision round an officer makes (a new application taken into review), and how long
/// it took.
pub async fn decision(s: &TestServer, token: &str, n: usize) -> Duration {
    // To the relay's one deliverable mailbox: its 疎通確認 mail brings no report back.
    let email = madoguchi_server::testing::postfix::to::CLINIC.into();
    let form =
        madoguchi_domain::ApplicationForm { email, ..madoguchi_server::testing::form("13", n) };
    let id = s.submit(&form).await.id;
    let started = std::time::Instant::now();
    let r = s.decide(token, id, 1, "start_review").await;
    assert_eq!(r.status(), 200, "the officer's decision goes through");
    started.elapsed()
}
