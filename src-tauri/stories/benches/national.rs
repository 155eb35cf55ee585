//! `cargo xtask bench national`: the central server at national scale on PostgreSQL, the load
//! generator in the same process on the same machine. 1,000 desks across the 47 prefectures,
//! each syncing six times with 0.5–1.5 s of an officer's think time between (one of the six a
//! decision): `server.p99_1000desks`. Then the no-change sync with no pause on 64 kept-alive
//! connections: `server.max_throughput_nochange`.

use std::time::{Duration, Instant};

use madoguchi_domain::api::SubmittedBy;
use madoguchi_domain::Prefecture;
use madoguchi_server::testing::{form, insurance_code, Backend, TestServer};

const DESKS: usize = 1000;
const ROUNDS: usize = 6;
const CONNECTIONS: usize = 64;
const REQUESTS_PER_CONNECTION: usize = 100;

fn percentile(samples: &mut [Duration], q: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
    samples[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let server = TestServer::start(Backend::Postgres).await;
    let prefectures: Vec<Prefecture> =
        (1..=47).map(|p| format!("{p:02}").parse().unwrap()).collect();
    let per_prefecture = DESKS.div_ceil(prefectures.len());
    // Per prefecture: an officer, applications for its desks to decide, the feed's end.
    let mut tokens = Vec::new();
    let mut applications = Vec::new();
    for p in &prefectures {
        tokens.push(server.officer(&p.code()).await);
        let mut ids = Vec::new();
        for n in 0..per_prefecture {
            let mut f = form("13", n);
            f.address = f.address.replacen("東京都", p.name_ja(), 1);
            f.insurance_code = Some(insurance_code(&p.code(), n));
            f.institution_code = format!("{}{n:06}", p.code());
            let valid = f.validate().unwrap();
            let at = "2026-11-29T00:00:00Z";
            ids.push(
                server.storage.submit(&f, &valid, SubmittedBy::Institution, at).await.unwrap().id,
            );
        }
        applications.push(ids);
    }
    let mut cursors = Vec::new();
    for p in &prefectures {
        let mut since = 0;
        loop {
            let page = server.storage.changes(*p, since, 1000).await.unwrap();
            since = page.next_cursor;
            if !page.has_more {
                break;
            }
        }
        cursors.push(since);
    }

    // Clients built before any desk starts (each reads the system's roots: a blocking
    // millisecond or more that would otherwise stall the desks already running).
    let clients: Vec<_> = (0..DESKS).map(|_| server.client()).collect();
    let mut tasks = Vec::new();
    for (k, client) in clients.into_iter().enumerate() {
        let p = k % prefectures.len();
        let (url, token, since) = (server.url.clone(), tokens[p].clone(), cursors[p]);
        let application = applications[p][k / prefectures.len()];
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::with_capacity(ROUNDS);
            for i in 0..ROUNDS {
                let think = 500 + (k * 7919 + i * 104_729) % 1000;
                tokio::time::sleep(Duration::from_millis(think as u64)).await;
                let started = Instant::now();
                let r = if i == ROUNDS / 2 {
                    client
                        .post(format!("{url}/v1/applications/{application}/decisions"))
                        .bearer_auth(&token)
                        .header("Idempotency-Key", format!("national-{k}"))
                        .json(&serde_json::json!({"expected_version": 1, "action": {"action": "start_review"}, "desk": "bench"}))
                        .send()
                        .await
                } else {
                    client.get(format!("{url}/v1/changes?since={since}")).bearer_auth(&token).send().await
                };
                let r = r.expect("request");
                assert!(r.status().is_success(), "{}", r.status());
                r.bytes().await.unwrap();
                samples.push(started.elapsed());
            }
            samples
        }));
    }
    let (mut all, mut first, mut decisions, mut connected) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for t in tasks {
        let samples = t.await.unwrap();
        first.push(samples[0]);
        decisions.push(samples[ROUNDS / 2]);
        connected.extend_from_slice(&samples[1..]);
        all.extend(samples);
    }
    println!("bench: server.p50_1000desks {:.1} ms", percentile(&mut all, 0.50));
    println!("bench: server.p99_1000desks {:.1} ms", percentile(&mut all, 0.99));
    // Where the tail is: the first sync (a new TLS connection each) and the decisions.
    println!("bench: server.p99_1000desks_first {:.1} ms", percentile(&mut first, 0.99));
    println!("bench: server.p99_1000desks_decision {:.1} ms", percentile(&mut decisions, 0.99));
    println!("bench: server.p99_1000desks_connected {:.1} ms", percentile(&mut connected, 0.99));

    // Saturation: kept-alive connections asking with no pause, each its prefecture's feed end
    // (decisions above moved it: start from there, nothing new).
    let mut ends = Vec::new();
    for (p, since) in prefectures.iter().zip(&cursors) {
        ends.push(server.storage.changes(*p, *since, 1000).await.unwrap().next_cursor);
    }
    // Clients built before the clock starts (each reads the system's roots).
    let clients: Vec<_> = (0..CONNECTIONS).map(|_| server.client()).collect();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (c, client) in clients.into_iter().enumerate() {
        let p = c % prefectures.len();
        let (url, token, since) = (server.url.clone(), tokens[p].clone(), ends[p]);
        tasks.push(tokio::spawn(async move {
            for _ in 0..REQUESTS_PER_CONNECTION {
                let r = client
                    .get(format!("{url}/v1/changes?since={since}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success());
                let page: madoguchi_domain::api::ChangesPage = r.json().await.unwrap();
                assert!(page.changes.is_empty(), "nothing new");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    println!(
        "bench: server.max_throughput_nochange {:.0} req/s",
        (CONNECTIONS * REQUESTS_PER_CONNECTION) as f64 / started.elapsed().as_secs_f64()
    );
}
