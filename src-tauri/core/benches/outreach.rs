//! `cargo xtask bench outreach`: カバー状況 of 東京都 on a desk holding the national registry
//! (≈250k rows, `support/scaled.rs`) and 100,000 accounts, against a baseline in the same
//! process (counting the prefecture's open rows). Prints `bench: <name> <value> <unit>` lines.

use std::time::{Duration, Instant};

use madoguchi_core::Store;

#[path = "support/scaled.rs"]
mod scaled;

const ACCOUNTS: i64 = 100_000;
const RUNS: usize = 21;

fn median(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("desk.db")).await.unwrap();
    let report = scaled::import(&store, scaled::scaled_csv()).await;
    // Accounts for 東京都's institutions first, then the rest of the country's, to 100,000.
    sqlx::query(
        "INSERT INTO accounts (id, insurance_code, institution_code, login_id, payload)
         SELECT id, insurance_code, prefecture || printf('%06d', id), 'login' || id, '{}'
         FROM institutions WHERE insurance_code IS NOT NULL
         ORDER BY prefecture <> '13', id LIMIT ?1",
    )
    .bind(ACCOUNTS)
    .execute(store.pool())
    .await
    .unwrap();
    let tokyo = "13".parse().unwrap();
    let mut baseline = Vec::new();
    let mut coverage = Vec::new();
    let mut listed = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM institutions WHERE prefecture = '13' AND closed_import_id IS NULL",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        baseline.push(started.elapsed());
        let started = Instant::now();
        let c = store.coverage(tokyo).await.unwrap();
        coverage.push(started.elapsed());
        listed = c.total.total();
        assert!(listed > 0 && listed <= n, "{listed} of {n}");
    }
    println!("bench: outreach.registry_rows {} rows", report.imported);
    println!("bench: outreach.tokyo_institutions {listed} rows");
    println!("bench: outreach.accounts {ACCOUNTS} rows");
    println!("bench: outreach.baseline_count_ms {:.1} ms", median(baseline));
    println!("bench: outreach.coverage_ms {:.1} ms", median(coverage));
}
