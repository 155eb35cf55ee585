//! `cargo xtask bench national`: the central server at national scale on PostgreSQL, the load
//! generator in the same process on the same machine. 1,000 desks across the 47 prefectures,
//! each syncing six times with 0.5–1.5 s of an officer's think time between (one of the six a
//! decision): `server.p99_1000desks`. Then the no-change sync with no pause on 64 kept-alive
//! connections: `server.max_throughput_nochange`.

use madoguchi_domain::api::SubmittedBy;
use madoguchi_domain::Prefecture;
use madoguchi_server::testing::{bench_size, form, insurance_code, Backend, TestServer};
use madoguchi_stories::load::{self, percentile};

const ROUNDS: usize = 6;
const CONNECTIONS: usize = 64;

#[tokio::main]
async fn main() {
    let (desks, requests_per_connection): (usize, usize) =
        (bench_size(1000, 50), bench_size(100, 5));
    let server = TestServer::start(Backend::Postgres).await;
    let prefectures: Vec<Prefecture> = Prefecture::all().collect();
    let per_prefecture = desks.div_ceil(prefectures.len());
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
    let clients: Vec<_> = (0..desks).map(|_| server.client()).collect();
    let mut tasks = Vec::new();
    for (k, client) in clients.into_iter().enumerate() {
        let p = k % prefectures.len();
        let (url, token, since) = (server.url.clone(), tokens[p].clone(), cursors[p]);
        let application = applications[p][k / prefectures.len()];
        tasks.push(tokio::spawn(load::desk(client, url, token, k, ROUNDS, since, application)));
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
    let clients = (0..CONNECTIONS)
        .map(|c| (server.client(), tokens[c % tokens.len()].clone(), ends[c % ends.len()]))
        .collect();
    let rate = load::saturate(clients, &server.url, requests_per_connection).await;
    println!("bench: server.max_throughput_nochange {rate:.0} req/s");
}
