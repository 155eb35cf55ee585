//! `cargo xtask bench lookup`: the registry lookup on ≈250k rows against SQLite FTS5 (trigram)
//! over the same folded rows, in one run, and how soon a desk that starts again can search.
//! Prints `bench: <name> <value> <unit>` lines.
//!
//! Data: the real code list scaled to the national count (`support/scaled.rs`).

use std::time::{Duration, Instant};

use madoguchi_core::lookup::{IndexOpened, InstitutionRow, SearchContext};
use madoguchi_core::Desk;
use madoguchi_registry::fold::{fold, split_name};

#[path = "support/scaled.rs"]
mod scaled;
use scaled::{scaled_csv, size};

/// A small deterministic generator (xorshift), so every run queries the same things.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn p(samples: &mut [Duration], q: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
    samples[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let queries_per_class = size(300, 20);
    let dir = tempfile::tempdir().unwrap();
    let csv = scaled_csv();
    // A desk's own store (encrypted, its key in the keychain `cargo xtask bench` starts).
    let path = dir.path().join("madoguchi.db");
    let desk = Desk::open(&path, false).await.unwrap();
    let store = desk.store();

    // The baseline: the same import into a plain (unencrypted) store, in this process.
    let plain = madoguchi_core::Store::open(&dir.path().join("plain.db")).await.unwrap();
    let started = Instant::now();
    scaled::import(&plain, csv.clone()).await;
    let import_plain = started.elapsed();
    drop(plain);
    let started = Instant::now();
    let report = scaled::import(store, csv).await;
    let import = started.elapsed();
    // The lists carry no phone numbers: give every row one, as applications would.
    sqlx::query("UPDATE institutions SET phone = printf('0%d-%04d-%04d', 3 + id % 7, id / 10000, id % 10000)")
        .execute(store.pool())
        .await
        .unwrap();
    let rows: Vec<InstitutionRow> = sqlx::query_as(
        "SELECT id, source, source_key, insurance_code, kind, name, kana, prefecture, postal_code,
                address, phone, closed_import_id IS NOT NULL AS closed
         FROM institutions",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let settings = madoguchi_core::settings::DeskSettings {
        prefecture: Some("13".parse().unwrap()),
        ..Default::default()
    };
    store.save_desk_settings(&settings).await.unwrap();
    // As at a desk's start: read from the store and built.
    let started = Instant::now();
    let index = store.lookup_index().await.unwrap();
    let build = started.elapsed();
    // The desk builds and saves its index; started again, it opens on the saved one. From the
    // store's opening to the first search answered:
    desk.rebuild_index().await.unwrap();
    let started = Instant::now();
    let again = Desk::open(&path, false).await.unwrap();
    let opened = again.open_index().await.unwrap();
    let first = again.search("中央クリニック", 20).await.unwrap();
    let ready = started.elapsed();
    assert_eq!(opened, IndexOpened::Saved);
    assert_eq!(first.hits.len(), 20);
    println!("bench: lookup.rows {} rows", report.imported);
    println!("bench: lookup.ready_after_start {:.0} ms", ready.as_secs_f64() * 1000.0);
    println!("bench: lookup.import {:.2} s", import.as_secs_f64());
    println!("bench: lookup.import_plain_baseline {:.2} s", import_plain.as_secs_f64());
    println!("bench: lookup.index_build {:.2} s", build.as_secs_f64());
    println!("bench: lookup.index_memory {:.0} MB", index.heap_bytes() as f64 / 1e6);

    // The FTS5 baseline over the same folded rows.
    sqlx::query(
        "CREATE VIRTUAL TABLE fts USING fts5(name, kana, address, numbers, tokenize = 'trigram')",
    )
    .execute(store.pool())
    .await
    .unwrap();
    let mut tx = store.pool().begin().await.unwrap();
    for r in &rows {
        let parts = split_name(&r.name);
        let numbers = format!(
            "{} {} {} {}",
            r.insurance_code.as_deref().unwrap_or(""),
            r.insurance_code.as_deref().map_or("", |c| &c[3..]),
            r.postal_code.as_deref().unwrap_or(""),
            r.phone.as_deref().map(|p| p.replace('-', "")).unwrap_or_default()
        );
        sqlx::query(
            "INSERT INTO fts (rowid, name, kana, address, numbers) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(r.id)
        .bind(format!("{}{}", parts.corporate, parts.distinctive))
        .bind(r.kana.as_deref().map(fold).unwrap_or_default())
        .bind(fold(&r.address))
        .bind(numbers)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let pick = |rng: &mut Rng| &rows[rng.pick(rows.len())];
    let mut classes: Vec<(&str, Vec<String>)> = Vec::new();
    classes.push((
        "code",
        (0..queries_per_class).map(|_| pick(&mut rng).insurance_code.clone().unwrap()).collect(),
    ));
    classes.push((
        "typo_code",
        (0..queries_per_class)
            .map(|_| {
                let mut c = pick(&mut rng).insurance_code.clone().unwrap().into_bytes();
                let at = 3 + rng.pick(6);
                c.swap(at, at + 1);
                String::from_utf8(c).unwrap()
            })
            .collect(),
    ));
    classes.push((
        "rare_name",
        (0..queries_per_class)
            .map(|_| {
                let name: Vec<char> =
                    split_name(&pick(&mut rng).name).distinctive.chars().collect();
                let len = 3.min(name.len());
                let at = rng.pick(name.len() - len + 1);
                name[at..at + len].iter().collect()
            })
            .collect(),
    ));
    let common = ["クリニック", "内科", "病院", "中央区", "歯科", "医院"];
    classes.push((
        "common_name",
        (0..queries_per_class).map(|i| common[i % common.len()].to_owned()).collect(),
    ));
    classes.push((
        "address",
        (0..queries_per_class).map(|_| pick(&mut rng).address.chars().take(6).collect()).collect(),
    ));
    classes.push((
        "phone",
        (0..queries_per_class).map(|_| pick(&mut rng).phone.clone().unwrap()).collect(),
    ));

    let ctx = SearchContext { limit: 20 };
    // Every class in memory first, then with the rows read, then FTS5: the baseline's scans
    // over the store (seconds each for two characters) do not run between our samples.
    let mut ours = Vec::new();
    for (_, queries) in &classes {
        let mut samples = Vec::with_capacity(queries.len());
        let mut found = 0;
        for q in queries {
            let started = Instant::now();
            let result = index.search(q, ctx);
            samples.push(started.elapsed());
            found += usize::from(!result.hits.is_empty());
        }
        ours.push((samples, found));
    }
    // The same through the restarted desk as the window asks it: on the saved index, searched
    // in place in the file, with the hits' rows read from the store.
    let mut shown = Vec::new();
    for (_, queries) in &classes {
        let mut samples = Vec::with_capacity(queries.len());
        for q in queries {
            let started = Instant::now();
            let result = again.search(q, ctx.limit).await.unwrap();
            samples.push(started.elapsed());
            assert!(result.hits.len() <= ctx.limit);
        }
        shown.push(samples);
    }
    for (((class, queries), (mut ours, found)), mut shown) in classes.iter().zip(ours).zip(shown) {
        let mut fts = Vec::with_capacity(queries.len());
        for q in queries {
            let folded = fold(q).replace('-', "");
            let started = Instant::now();
            let _: Vec<i64> = if folded.chars().count() >= 3 {
                sqlx::query_scalar(
                    "SELECT rowid FROM fts WHERE fts MATCH ?1 ORDER BY rank LIMIT 20",
                )
                .bind(format!("\"{folded}\""))
                .fetch_all(store.pool())
                .await
                .unwrap()
            } else {
                // Trigrams cannot match two characters: FTS5 falls back to a LIKE scan.
                sqlx::query_scalar(
                    "SELECT rowid FROM fts WHERE name LIKE ?1 OR address LIKE ?1 LIMIT 20",
                )
                .bind(format!("%{folded}%"))
                .fetch_all(store.pool())
                .await
                .unwrap()
            };
            fts.push(started.elapsed());
        }
        let (ours_p99, fts_p99) = (p(&mut ours, 0.99), p(&mut fts, 0.99));
        println!("bench: lookup.{class}.p99 {ours_p99:.3} ms");
        println!("bench: lookup.{class}.p50 {:.3} ms", p(&mut ours, 0.50));
        println!("bench: lookup.{class}.p99_with_rows {:.3} ms", p(&mut shown, 0.99));
        println!("bench: fts5.{class}.p99 {fts_p99:.3} ms");
        println!("bench: lookup.{class}.speedup {:.0} x", fts_p99 / ours_p99);
        println!("bench: lookup.{class}.found {found} of {}", queries.len());
    }
}
