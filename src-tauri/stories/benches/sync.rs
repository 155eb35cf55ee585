//! `cargo xtask bench sync`: a desk and the central server over HTTPS on loopback.
//! Initial sync of 10k applications and 30k institutions, a sync with nothing new, pushing
//! 1,000 queued actions, and the server under 200 concurrent desks. A simulated desk syncs, then
//! waits 0.5–1.5 s as an officer's desk would between actions (real desks sync once a minute),
//! ten times: about 200 requests a second. The closed-loop maximum is printed too.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use madoguchi_domain::api::SubmittedBy;
use madoguchi_domain::Action;
use madoguchi_server::testing::{form, Backend, TestServer};
use madoguchi_stories::desk;

const APPLICATIONS: usize = 10_000;
const INSTITUTIONS: usize = 30_000;
const DESKS: usize = 200;
const REQUESTS_PER_DESK: usize = 10;

fn percentile(samples: &mut [Duration], q: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
    samples[i].as_secs_f64() * 1000.0
}

/// 30k institutions of prefecture 13, in the bureaus' list format, through the shared importer.
fn registry() -> Vec<madoguchi_registry::InstitutionRecord> {
    let mut csv = String::new();
    for n in 0..INSTITUTIONS {
        // Districts 01–03 keep the 30k keys apart.
        let seven = (0..10)
            .map(|c| format!("{:02}{:04}{c}", 1 + n / 10_000, n % 10_000))
            .find(|s| format!("131{s}").parse::<madoguchi_domain::InsuranceCode>().is_ok())
            .expect("a check digit fits");
        writeln!(csv, "13{seven},{seven},ベンチ診療所{n},1000001,千代田区丸の内{n}").unwrap();
    }
    madoguchi_registry::Records::open(csv.as_bytes(), "bench.csv")
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

#[tokio::main]
async fn main() {
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    for n in 0..APPLICATIONS {
        let f = form("13", n);
        let valid = f.validate().unwrap();
        server
            .storage
            .submit(&f, &valid, SubmittedBy::Institution, "2026-11-25T00:00:00Z")
            .await
            .unwrap();
    }
    server.storage.import_registry(&registry()).await.unwrap();

    let d = desk(&server, &token, "bench-desk").await;
    let started = Instant::now();
    let report = d.store.sync(&d.client).await.unwrap();
    println!("bench: sync.initial {:.2} s", started.elapsed().as_secs_f64());
    assert_eq!(report.pulled, APPLICATIONS + INSTITUTIONS);

    let mut nochange = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        d.store.sync(&d.client).await.unwrap();
        nochange.push(started.elapsed());
    }
    println!("bench: sync.nochange {:.1} ms", percentile(&mut nochange, 0.5));

    for id in 1..=1000 {
        d.store.queue_action(id, Action::StartReview, None).await.unwrap();
    }
    let started = Instant::now();
    let pushed = d.store.push(&d.client).await.unwrap();
    let (sent, refused) = (pushed.sent, pushed.rejected);
    println!("bench: sync.push_1000 {:.2} s", started.elapsed().as_secs_f64());
    assert_eq!((sent, refused), (1000, 0));

    // 200 desks at once, each with its own connection: polls with nothing new, and one
    // decision each, bounded in count.
    let cursor = d.store.sync_status().await.unwrap().cursor;
    let mut tasks = Vec::new();
    for k in 0..DESKS {
        let client = server.client();
        let (url, token) = (server.url.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::with_capacity(REQUESTS_PER_DESK);
            for i in 0..REQUESTS_PER_DESK {
                // Deterministic think time per desk and round, 0.5–1.5 s.
                let think = 500 + (k * 7919 + i * 104_729) % 1000;
                tokio::time::sleep(Duration::from_millis(think as u64)).await;
                let started = Instant::now();
                let r = if i == REQUESTS_PER_DESK / 2 {
                    client
                        .post(format!("{url}/v1/applications/{}/decisions", 1001 + k))
                        .bearer_auth(&token)
                        .header("Idempotency-Key", format!("bench-{k}"))
                        .json(&serde_json::json!({"expected_version": 1, "action": {"action": "start_review"}, "desk": "bench"}))
                        .send()
                        .await
                } else {
                    client.get(format!("{url}/v1/changes?since={cursor}")).bearer_auth(&token).send().await
                };
                let r = r.expect("request");
                assert!(r.status().is_success(), "{}", r.status());
                r.bytes().await.unwrap();
                samples.push(started.elapsed());
            }
            samples
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    println!("bench: server.p50_200desks {:.1} ms", percentile(&mut all, 0.50));
    println!("bench: server.p99_200desks {:.1} ms", percentile(&mut all, 0.99));

    // Saturation: 200 connections asking with no pause, 2,000 requests in all.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..DESKS {
        let client = server.client();
        let (url, token) = (server.url.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..10 {
                let r = client
                    .get(format!("{url}/v1/changes?since={cursor}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                r.bytes().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    println!(
        "bench: server.max_throughput {:.0} req/s",
        (DESKS * 10) as f64 / started.elapsed().as_secs_f64()
    );
}
