//! `cargo xtask bench intake`: an officer's decision p99, quiet and while the public intake is
//! flooded from loopback (eight clients posting as fast as answers come, the server under its
//! default limits), in one run on SQLite.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use madoguchi_domain::api::SubmittedBy;
use madoguchi_server::limits::Limits;
use madoguchi_server::testing::{form, Backend, TestServer};

static DECISIONS: std::sync::LazyLock<usize> =
    std::sync::LazyLock::new(|| madoguchi_server::testing::bench_size(300, 30));
const FLOODERS: usize = 8;

fn p99(samples: &mut [Duration]) -> f64 {
    samples.sort();
    samples[(samples.len() * 99).div_ceil(100) - 1].as_secs_f64() * 1000.0
}

async fn decisions(s: &TestServer, token: &str, ids: &[i64]) -> Vec<Duration> {
    let mut took = Vec::new();
    for id in ids {
        let t = Instant::now();
        let r = s.decide(token, *id, 1, "start_review").await;
        assert_eq!(r.status(), 200);
        took.push(t.elapsed());
    }
    took
}

#[tokio::main]
async fn main() {
    let s = TestServer::start_with_limits(Backend::Sqlite, Limits::default()).await;
    let token = s.officer("13").await;
    let mut ids = Vec::new();
    for n in 0..2 * *DECISIONS {
        let f = form("13", n);
        let valid = f.validate().unwrap();
        ids.push(
            s.storage
                .submit(&f, &valid, SubmittedBy::Institution, "2026-11-29T00:00:00Z")
                .await
                .unwrap()
                .id,
        );
    }
    let (quiet_ids, flood_ids) = ids.split_at(*DECISIONS);
    // Warm the connection pool and the client.
    s.decide(&token, quiet_ids[0], 1, "start_review").await;
    let mut quiet = decisions(&s, &token, &quiet_ids[1..]).await;

    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let flooders: Vec<_> = (0..FLOODERS)
        .map(|k| {
            let (client, url) = (s.client(), s.url.clone());
            let (stop, sent, refused) = (stop.clone(), sent.clone(), refused.clone());
            tokio::spawn(async move {
                let mut n = 10_000 + k * 1_000_000;
                while !stop.load(Ordering::Relaxed) {
                    let r = client
                        .post(format!("{url}/v1/applications"))
                        .json(&form("13", n))
                        .send()
                        .await;
                    sent.fetch_add(1, Ordering::Relaxed);
                    if r.is_ok_and(|r| r.status() == 429 || r.status() == 503) {
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                    n += 1;
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let mut flooded = decisions(&s, &token, flood_ids).await;
    let seconds = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for f in flooders {
        f.await.unwrap();
    }
    let (q, f) = (p99(&mut quiet), p99(&mut flooded));
    println!("bench: intake.decide_p99_quiet {q:.1} ms");
    println!("bench: intake.decide_p99_under_flood {f:.1} ms");
    println!("bench: intake.flood_over_quiet {:.2} x", f / q);
    println!(
        "bench: intake.flood_requests_per_s {:.0} /s ({} refused of {})",
        sent.load(Ordering::Relaxed) as f64 / seconds,
        refused.load(Ordering::Relaxed),
        sent.load(Ordering::Relaxed)
    );
}
