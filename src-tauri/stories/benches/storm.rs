//! `cargo xtask bench storm`: the central server restarted with 1,000 desks waiting. The real
//! server command on PostgreSQL, 1,000 desks across the 47 prefectures each syncing once a
//! minute through the desk's own sync client and its pace (`Pace`: full-jitter backoff,
//! Retry-After). Measured: a minute of steady state (`server.p99_1000desks_steady`), the
//! server's memory with every desk connected (`server.rss_mb_1000desks`); then the server is
//! stopped (SIGTERM, as systemd stops it) for longer than a minute, so every desk has failed
//! and is backing off, and started again: how long until every desk has synced again
//! (`server.storm_1000desks_all_synced_s`) and the p99 of requests meanwhile
//! (`server.storm_p99_ms`). Last, the no-change sync with no pause on 64 kept-alive
//! connections (`server.max_throughput_nochange`). The load generator shares the machine.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use madoguchi_core::keychain::Token;
use madoguchi_core::sync::{Pace, SyncClient};
use madoguchi_domain::Prefecture;
use madoguchi_server::testing::{bench_size, rss_mib_of, Backend, TestServer};
use madoguchi_stories::load::{self, percentile};
use madoguchi_stories::{server_process_with, wait_until_up, Killed};

/// One request of a desk: when it ended, how long it took, whether it was answered.
#[derive(Clone, Copy)]
struct Sample {
    at: Instant,
    took: Duration,
    ok: bool,
}

struct Shape {
    desks: usize,
    every: Duration,
    first: Duration,
    ceiling: Duration,
    steady: Duration,
    down: Duration,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// SIGTERM, then waits for the process to finish its graceful stop.
fn stop(server: &mut Killed) {
    let pid = server.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = server.wait().unwrap();
    assert!(status.success(), "the server stopped cleanly: {status}");
}

/// A counter of the server's ops listener (`madoguchi_tls_handshakes_total{kind="full"}`).
async fn scraped(ops: &str, name: &str) -> f64 {
    let text = reqwest::get(format!("http://{ops}/metrics")).await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} not in the scrape"))
}

/// One desk: syncs (one page of its prefecture's feed, as a sync's pull asks) for ever,
/// waiting as the desk's pace says; starts after `offset` (desks are not in step).
async fn desk(
    client: SyncClient,
    since: i64,
    mut pace: Pace,
    offset: Duration,
    samples: Arc<Mutex<Vec<Vec<Sample>>>>,
    k: usize,
) {
    tokio::time::sleep(offset).await;
    loop {
        let started = Instant::now();
        let outcome = client.changes(since).await.map(|_| ());
        let sample = Sample { at: Instant::now(), took: started.elapsed(), ok: outcome.is_ok() };
        samples.lock().unwrap()[k].push(sample);
        tokio::time::sleep(pace.next(outcome.as_ref().map(|_| ()))).await;
    }
}

#[tokio::main]
async fn main() {
    let secs = Duration::from_secs;
    let shape = Shape {
        desks: bench_size(1000, 50),
        every: bench_size(secs(60), secs(4)),
        first: bench_size(secs(1), Duration::from_millis(100)),
        ceiling: bench_size(secs(30), secs(2)),
        steady: bench_size(secs(60), secs(4)),
        // Longer than the pace: every desk has failed and is backing off.
        down: bench_size(secs(75), secs(6)),
    };
    let mut fixture = TestServer::start(Backend::Postgres).await;
    let prefectures: Vec<Prefecture> = Prefecture::all().collect();
    let mut tokens = Vec::new();
    let mut ends = Vec::new();
    for p in &prefectures {
        tokens.push(fixture.officer(&p.code()).await);
        ends.push(fixture.storage.changes(*p, 0, 1000).await.unwrap().next_cursor);
    }
    // The real server command on the fixture's database; its own process, so its memory is
    // its own and it stops as a service does.
    fixture.stop().await;
    let (port, ops_port) = (free_port(), free_port());
    let ops = format!("127.0.0.1:{ops_port}");
    let program = env!("CARGO_BIN_EXE_story-server");
    let db = fixture.database_url.clone();
    let spawn = || server_process_with(program, &fixture, &db, port, &["--ops-listen", &ops]);
    let mut server = spawn();
    let url = format!("https://localhost:{port}");
    wait_until_up(&fixture.client(), &url).await;
    // The baseline: the same process with no desk connected yet.
    let rss_idle = rss_mib_of(&server.id().to_string());

    // Each desk its own client (its own connection and TLS sessions), built before any starts.
    let clients: Vec<SyncClient> = (0..shape.desks)
        .map(|k| {
            let config = madoguchi_core::sync::SyncConfig {
                server_url: url.clone(),
                ..madoguchi_stories::config(&fixture, &format!("desk-{k}"))
            };
            SyncClient::new(&config, Token::new(&tokens[k % tokens.len()])).unwrap()
        })
        .collect();
    let samples = Arc::new(Mutex::new(vec![Vec::new(); shape.desks]));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (k, client) in clients.into_iter().enumerate() {
        let offset = shape.every.mul_f64(k as f64 / shape.desks as f64);
        let pace = Pace::new(shape.every, shape.first, shape.ceiling);
        let samples = samples.clone();
        tasks.push(tokio::spawn(desk(client, ends[k % ends.len()], pace, offset, samples, k)));
    }
    // Every desk has joined; then the steady state.
    tokio::time::sleep(shape.every).await;
    let steady_from = Instant::now();
    tokio::time::sleep(shape.steady).await;
    let rss = rss_mib_of(&server.id().to_string());
    let steady_to = Instant::now();

    stop(&mut server);
    let stopped = Instant::now();
    tokio::time::sleep(shape.down).await;
    let mut server = spawn();
    let restarted = Instant::now();
    // Until every desk has synced since the restart, or twice the pace.
    let all_synced = loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let back = samples
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.iter().any(|x| x.ok && x.at > restarted))
            .count();
        if back == shape.desks {
            break restarted.elapsed();
        }
        assert!(
            restarted.elapsed() < 2 * shape.every,
            "{back} of {} desks synced again {:?} after the restart",
            shape.desks,
            restarted.elapsed()
        );
    };
    let handshakes_full = scraped(&ops, "madoguchi_tls_handshakes_total{kind=\"full\"}").await;
    let handshakes_resumed =
        scraped(&ops, "madoguchi_tls_handshakes_total{kind=\"resumed\"}").await;
    for t in tasks {
        t.abort();
    }
    let samples = samples.lock().unwrap().clone();
    let all: Vec<Sample> = samples.iter().flatten().copied().collect();
    let within = |from: Instant, to: Instant| -> Vec<Duration> {
        all.iter().filter(|s| s.ok && s.at > from && s.at <= to).map(|s| s.took).collect()
    };
    let mut steady = within(steady_from, steady_to);
    let mut storm = within(restarted, restarted + all_synced);
    let failed_down = all.iter().filter(|s| !s.ok && s.at > stopped && s.at <= restarted).count();
    let failed_after = all.iter().filter(|s| !s.ok && s.at > restarted).count();
    // Every desk failed while the server was down (each was backing off, none gave up).
    let failing = samples.iter().filter(|s| s.iter().any(|x| !x.ok && x.at > stopped)).count();
    assert_eq!(failing, shape.desks, "every desk met the server away");

    println!("bench: server.p99_1000desks_steady {:.1} ms", percentile(&mut steady, 0.99));
    println!("bench: server.p50_1000desks_steady {:.1} ms", percentile(&mut steady, 0.50));
    println!("bench: server.rss_mb_1000desks {rss:.0} MB (idle before: {rss_idle:.0} MB)");
    println!(
        "bench: server.storm_1000desks_all_synced_s {:.1} s (down {:.0} s)",
        all_synced.as_secs_f64(),
        (restarted - stopped).as_secs_f64()
    );
    println!("bench: server.storm_p99_ms {:.1} ms", percentile(&mut storm, 0.99));
    println!("bench: server.storm_p50_ms {:.1} ms", percentile(&mut storm, 0.50));
    println!("bench: server.storm_failed_while_down {failed_down} attempts");
    println!("bench: server.storm_failed_after_restart {failed_after} attempts");
    println!(
        "bench: server.storm_handshakes {handshakes_full:.0} full, {handshakes_resumed:.0} resumed (tickets do not outlive the process)"
    );
    println!("bench: server.bench_wall_s {:.0} s", started.elapsed().as_secs_f64());

    // Saturation: kept-alive connections asking with no pause, each its prefecture's feed end.
    let connections = bench_size(64, 8);
    let clients = (0..connections)
        .map(|c| (fixture.client(), tokens[c % tokens.len()].clone(), ends[c % ends.len()]))
        .collect();
    let rate = load::saturate(clients, &url, bench_size(100, 5)).await;
    println!("bench: server.max_throughput_nochange {rate:.0} req/s");
    stop(&mut server);
}
