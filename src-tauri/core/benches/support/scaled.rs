//! The registry at national scale for the benches: the real rows of
//! shared/data/institution-codes/2025-08.csv, scaled by deterministic variants (another 機関番号
//! with its check digit, a department added to the name, another house number) to the national
//! count of hospitals, clinics, dental clinics and pharmacies. Included by the lookup and
//! window benches (`#[path]`), so both measure the same list. In the test command's small mode
//! (`MADOGUCHI_BENCH_SMALL`) a fifth of the real rows, unscaled: the benches run, nothing is judged.

use std::collections::HashSet;
use std::fmt::Write as _;

use madoguchi_domain::{CodeContext, InsuranceCode, ScoreTable};

const TARGET_ROWS: usize = 250_000;

/// The test command runs every bench once, small, so none rots unseen.
pub fn small() -> bool {
    std::env::var_os("MADOGUCHI_BENCH_SMALL").is_some()
}

/// `full`, or `small` in the test command's small mode. The benches that reach the server use
/// its twin `madoguchi_server::testing::bench_size`; core's benches cannot (core → no server).
pub fn size<T>(full: T, small_size: T) -> T {
    if small() {
        small_size
    } else {
        full
    }
}
const SUFFIXES: &[&str] = &[
    "内科クリニック",
    "歯科医院",
    "こどもクリニック",
    "整形外科",
    "眼科",
    "皮膚科クリニック",
    "在宅診療所",
    "分院",
    "駅前クリニック",
    "レディースクリニック",
    "心療内科",
    "耳鼻咽喉科",
];

/// The 9-digit key of a 医科 code with this prefecture and 6 body digits, check digit computed.
fn key_with_check(pref: &str, body6: &str) -> Option<String> {
    (0..10).find_map(|c| {
        let key = format!("{pref}{body6}{c}");
        let ctx = CodeContext { prefecture: None, table: Some(ScoreTable::Medical) };
        InsuranceCode::parse(&key, ctx).ok().map(|_| key)
    })
}

pub fn scaled_csv() -> String {
    let path =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/institution-codes/2025-08.csv");
    let real = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let rows: Vec<Vec<&str>> =
        real.lines().step_by(size(1, 5)).map(|l| l.split(',').collect()).collect();
    let mut used: HashSet<String> = rows.iter().map(|r| r[0].to_owned()).collect();
    let mut out = String::with_capacity(real.len() * 3);
    let mut n = 0;
    for r in &rows {
        writeln!(out, "{}", r.join(",")).unwrap();
        n += 1;
    }
    'variants: for round in 1.. {
        for (i, r) in rows.iter().enumerate() {
            if n >= size(TARGET_ROWS, 0) {
                break 'variants;
            }
            let (pref, seven) = (&r[0][..2], &r[1]);
            let number: u32 = seven[2..6].parse().unwrap();
            let Some(key) = (0..20).find_map(|step| {
                let body =
                    format!("{}{:04}", &seven[..2], (number + 977 * round + 13 * step) % 10_000);
                key_with_check(pref, &body).filter(|k| !used.contains(k))
            }) else {
                continue;
            };
            used.insert(key.clone());
            let name = format!("{} {}", r[2], SUFFIXES[(i + round as usize) % SUFFIXES.len()]);
            writeln!(out, "{key},{},{name},{},{}－{round}", &key[2..], r[3], r[4]).unwrap();
            n += 1;
        }
    }
    out
}

/// Imports `csv` (the scaled list) into `store`, as a desk imports a file it was given.
pub async fn import(
    store: &madoguchi_core::Store,
    csv: String,
) -> madoguchi_core::registry::ImportReport {
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let reader = std::io::Cursor::new(csv.into_bytes());
    store.import_registry(reader, "scaled.csv", |_| {}, &cancel).await.unwrap()
}
