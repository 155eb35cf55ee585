//! `cargo xtask bench sync`: a desk and the central server over HTTPS on loopback.
//! Initial sync of 10k applications and 30k institutions, a sync with nothing new, pushing
//! 1,000 queued actions, and the server under 200 concurrent desks. A simulated desk syncs, then
//! waits 0.5–1.5 s as an officer's desk would between actions (real desks sync once a minute),
//! ten times: about 200 requests a second. The closed-loop maximum is printed too.
//! Sizes shrink in the test command's small mode (`bench_size`).

use std::fmt::Write as _;
use std::time::Instant;

use madoguchi_domain::api::SubmittedBy;
use madoguchi_domain::Action;
use madoguchi_server::testing::{bench_size, form, Backend, TestServer};
use madoguchi_stories::desk;
use madoguchi_stories::load::{self, percentile};

const REQUESTS_PER_DESK: usize = 10;

/// 30k institutions of prefecture 13, in the bureaus' list format, through the shared importer.
fn registry(institutions: usize) -> Vec<madoguchi_registry::InstitutionRecord> {
    let mut csv = String::new();
    for n in 0..institutions {
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
    let (applications, institutions) = (bench_size(10_000, 500), bench_size(30_000, 1000));
    let (push, desks) = (bench_size(1000, 50), bench_size(200, 10));
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    for n in 0..applications {
        let f = form("13", n);
        let valid = f.validate().unwrap();
        server
            .storage
            .submit(&f, &valid, SubmittedBy::Institution, "2026-11-25T00:00:00Z")
            .await
            .unwrap();
    }
    server.storage.import_registry(&registry(institutions)).await.unwrap();

    let d = desk(&server, &token, "bench-desk").await;
    let started = Instant::now();
    let report = d.store.sync(&d.client).await.unwrap();
    println!("bench: sync.initial {:.2} s", started.elapsed().as_secs_f64());
    assert_eq!(report.pulled, applications + institutions);

    let mut nochange = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        d.store.sync(&d.client).await.unwrap();
        nochange.push(started.elapsed());
    }
    println!("bench: sync.nochange {:.1} ms", percentile(&mut nochange, 0.5));

    // Three pushes of 1,000 (each on applications of its own): the median and the slowest,
    // as one push on two busy cores varies by a tenth of a second.
    let mut pushes = Vec::new();
    for round in 0..3 {
        for id in (round * push + 1) as i64..=((round + 1) * push) as i64 {
            d.store.queue_action(id, Action::StartReview, None).await.unwrap();
        }
        let started = Instant::now();
        let pushed = d.store.push(&d.client).await.unwrap();
        pushes.push(started.elapsed());
        assert_eq!((pushed.sent, pushed.rejected), (push, 0));
    }
    pushes.sort();
    println!("bench: sync.push_1000 {:.2} s", pushes[1].as_secs_f64());
    println!("bench: sync.push_1000_slowest {:.2} s", pushes[2].as_secs_f64());

    // 200 desks at once, each with its own connection: polls with nothing new, and one
    // decision each on an application no push above touched (still at version 1).
    let cursor = d.store.sync_status().await.unwrap().cursor;
    let clients: Vec<_> = (0..desks).map(|_| server.client()).collect();
    let mut tasks = Vec::new();
    for (k, client) in clients.into_iter().enumerate() {
        let (url, token) = (server.url.clone(), token.clone());
        let application = (3 * push + 1 + k) as i64;
        tasks.push(tokio::spawn(load::desk(
            client,
            url,
            token,
            k,
            REQUESTS_PER_DESK,
            cursor,
            application,
        )));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    println!("bench: server.p50_200desks {:.1} ms", percentile(&mut all, 0.50));
    println!("bench: server.p99_200desks {:.1} ms", percentile(&mut all, 0.99));

    // Saturation: 200 kept-alive connections asking with no pause, 2,000 requests in all.
    d.store.sync(&d.client).await.unwrap(); // the decisions above, so nothing is new
    let cursor = d.store.sync_status().await.unwrap().cursor;
    let clients = (0..desks).map(|_| (server.client(), token.clone(), cursor)).collect();
    let rate = load::saturate(clients, &server.url, 10).await;
    println!("bench: server.max_throughput {rate:.0} req/s");
}
