//! `cargo xtask bench queue`: the desk's queue with 10,000 applications synced from a server —
//! opening it (store query, flags, sort; then from the cache a filter changes), one page of
//! it for the window, and changing a filter.

use std::time::Instant;

use madoguchi_core::queue::{PageRequest, QueueCache, QueueFilter};
use madoguchi_domain::api::SubmittedBy;
use madoguchi_domain::ApplicationStatus;
use madoguchi_server::testing::{bench_size, form, Backend, TestServer};
use madoguchi_stories::desk;

fn median(mut ms: Vec<f64>) -> f64 {
    ms.sort_by(f64::total_cmp);
    ms[ms.len() / 2]
}

#[tokio::main]
async fn main() {
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let count = bench_size(10_000, 300);
    for n in 0..count {
        let mut f = form("13", n);
        if n % 7 == 0 {
            f.email = format!("jimu{n}@gmial.com");
        }
        let valid = f.validate().unwrap();
        server
            .storage
            .submit(&f, &valid, SubmittedBy::Institution, "2026-11-20T00:00:00Z")
            .await
            .unwrap();
    }
    let d = desk(&server, &token, "bench").await;
    d.store.sync(&d.client).await.unwrap();
    let now = chrono::Utc::now();

    let mut open = Vec::new();
    for _ in 0..5 {
        // A store just opened: nothing cached, every application read and flagged.
        let cold = QueueCache::default();
        let started = Instant::now();
        let first = PageRequest { limit: 70, ..Default::default() };
        let page = cold.page(&d.store, &QueueFilter::default(), &first, now).await.unwrap();
        open.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(page.matched, count);
    }
    println!("bench: queue.open_10k {:.1} ms", median(open));

    // One desk's cache, as the window's commands share it.
    let cache = QueueCache::default();

    // What crosses to the window: one page — the lines in view and a margin, with the counts
    // and chart over all (the detail loads one application whole) — from the middle of the list.
    let mut json = Vec::new();
    let mut bytes = 0;
    let request = PageRequest { offset: count / 2, limit: 70, keep: Some(1), at: None };
    for _ in 0..9 {
        let started = Instant::now();
        let page = cache.page(&d.store, &QueueFilter::default(), &request, now).await.unwrap();
        bytes = serde_json::to_vec(&page).unwrap().len();
        json.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(page.matched, count);
    }
    println!("bench: queue.page_json_10k {:.1} ms", median(json));
    println!("bench: queue.page_json_bytes {:.1} kB", bytes as f64 / 1e3);

    let filters = [
        QueueFilter { flagged: Some(true), ..Default::default() },
        QueueFilter { text: Some("テスト病院12".into()), ..Default::default() },
        QueueFilter {
            statuses: vec![ApplicationStatus::Submitted],
            min_age_days: Some(3),
            ..Default::default()
        },
    ];
    let mut filter = Vec::new();
    for f in filters.iter().cycle().take(9) {
        let started = Instant::now();
        cache.view(&d.store, f, now).await.unwrap();
        filter.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    println!("bench: queue.filter {:.1} ms", median(filter));
}
