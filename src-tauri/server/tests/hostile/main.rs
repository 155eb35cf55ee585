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

use madoguchi_domain::api::Notice;
use madoguchi_domain::DeliveryState;
use madoguchi_server::testing::TestServer;

/// Waits until notice `id` reaches `state` (or fails the test with what it did reach).
pub async fn settled(s: &TestServer, token: &str, id: i64, state: DeliveryState) -> Notice {
    let mut last = None;
    for _ in 0..600 {
        let notice = s.notices(token).await.into_iter().find(|n| n.id == id).expect("listed");
        if notice.delivery.state == state {
            return notice;
        }
        last = Some(notice);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("notice {id} never became {state:?}: {:#?}", last.map(|n| n.delivery));
}

/// The process's resident memory in MiB (the server runs in the test's process).
pub fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmRSS");
    kb / 1024.0
}

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
