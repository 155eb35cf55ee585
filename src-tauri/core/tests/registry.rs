//! The registry on a real SQLite file: importing the real snapshots, what changed between
//! them, imports that must not half-apply, and finding every real institution by its code.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::atomic::AtomicBool;

use madoguchi_core::lookup::{MatchReason, SearchContext};
use madoguchi_core::settings::DeskSettings;
use madoguchi_core::Store;
use madoguchi_domain::Coded;
use madoguchi_registry::fold::{fold, split_name};

mod support;
use support::{fresh_store, import, snapshot};

async fn open_count(store: &Store) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM institutions WHERE closed_import_id IS NULL")
        .fetch_one(store.pool())
        .await
        .unwrap()
}

/// name, address, postal of each 9-digit key, as the CSV says (first row of a repeated key).
fn rows_by_key(csv: &[u8]) -> HashMap<String, (String, String, String)> {
    let mut out = HashMap::new();
    for line in std::str::from_utf8(csv).unwrap().lines() {
        let f: Vec<&str> = line.split(',').collect();
        out.entry(f[0].to_owned()).or_insert((f[2].to_owned(), f[4].to_owned(), f[3].to_owned()));
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_newer_snapshot_reports_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let store = fresh_store(&dir).await;
    let (old_csv, new_csv) = (snapshot("2024-09.csv"), snapshot("2025-08.csv"));
    let first = import(&store, old_csv.clone(), "2024-09.csv").await.unwrap();
    let old = rows_by_key(&old_csv);
    assert_eq!(first.rows_read, 82_897);
    assert_eq!(first.imported as usize, old.len());
    assert_eq!(first.duplicates as usize, 82_897 - old.len());
    assert_eq!(first.opened as usize, old.len());
    assert_eq!((first.closed, first.renamed, first.moved, first.skipped_count), (0, 0, 0, 0));

    let second = import(&store, new_csv.clone(), "2025-08.csv").await.unwrap();
    let new = rows_by_key(&new_csv);
    // The same diff, worked out here straight from the two files.
    let covered: HashSet<&str> = new.keys().map(|k| &k[..2]).collect();
    let opened = new.keys().filter(|k| !old.contains_key(*k)).count();
    let closed = old.keys().filter(|k| !new.contains_key(*k) && covered.contains(&k[..2])).count();
    let renamed = new.iter().filter(|(k, n)| old.get(*k).is_some_and(|o| o.0 != n.0)).count();
    let moved =
        new.iter().filter(|(k, n)| old.get(*k).is_some_and(|o| o.1 != n.1 || o.2 != n.2)).count();
    assert!(
        opened > 1_000 && closed > 1_000 && renamed > 100 && moved > 100,
        "{opened} {closed} {renamed} {moved}"
    );
    assert_eq!(
        (
            second.opened as usize,
            second.closed as usize,
            second.renamed as usize,
            second.moved as usize
        ),
        (opened, closed, renamed, moved)
    );
    assert_eq!(
        open_count(&store).await as usize,
        new.len()
            + old.keys().filter(|k| !covered.contains(&k[..2]) && !new.contains_key(*k)).count()
    );
    println!(
        "2024-09 → 2025-08: opened {opened}, closed {closed}, renamed {renamed}, moved {moved}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_real_code_is_found_and_slips_find_their_institution() {
    let dir = tempfile::tempdir().unwrap();
    let store = fresh_store(&dir).await;
    let csv = snapshot("2025-08.csv");
    import(&store, csv.clone(), "2025-08.csv").await.unwrap();
    let index = store.lookup_index().await.unwrap();
    let rows = rows_by_key(&csv);
    assert_eq!(index.len(), rows.len());
    // The index answers store ids; each id's name and code, read once (the window reads the
    // rows of the hits it shows, as `Store::search` does).
    let listed: std::collections::HashMap<i64, (String, Option<String>)> =
        sqlx::query_as::<_, (i64, String, Option<String>)>(
            "SELECT id, name, insurance_code FROM institutions",
        )
        .fetch_all(store.pool())
        .await
        .unwrap()
        .into_iter()
        .map(|(id, name, code)| (id, (name, code)))
        .collect();
    let ctx = SearchContext::default();
    let (mut slips, mut first, mut ambiguous) = (0, 0, 0);
    for (i, (key9, (name, _, _))) in rows.iter().enumerate() {
        let hits = index.search(key9, ctx).hits;
        let (top, reason) = hits.first().unwrap_or_else(|| panic!("{key9} {name} not found"));
        assert_eq!(&listed[top].0, name);
        assert_eq!(*reason, MatchReason::Code);
        let code10 = listed[top].1.clone().unwrap();
        assert_eq!(&listed[&index.search(&code10, ctx).hits[0].0].0, name, "{code10}");
        if i % 20 != 0 {
            continue;
        }
        // A swap of two neighbours in the 7 digits, as typed in the 10-digit form.
        let mut typo: Vec<u8> = code10.clone().into_bytes();
        // At a position that varies from row to row.
        let Some(p) = (0..6).map(|k| 3 + (i / 20 + k) % 6).find(|&p| typo[p] != typo[p + 1]) else {
            continue;
        };
        typo.swap(p, p + 1);
        let typo = String::from_utf8(typo).unwrap();
        let result = index.search(&typo, ctx);
        if result.hits.iter().any(|(_, reason)| *reason == MatchReason::Code) {
            continue; // the swap made another real code: no slip to detect
        }
        slips += 1;
        let position =
            result.hits.iter().position(|(id, _)| listed[id].1.as_deref() == Some(&code10));
        match position {
            Some(0) => first += 1,
            // Another real code is just as near the typed digits: both are offered.
            Some(_) => ambiguous += 1,
            None => panic!("{typo}: {code10} {name} not among {:?}", result.hits),
        }
        if result.hits.len() == 1 {
            assert_eq!(position, Some(0));
        }
        assert!(result.hits.iter().all(|(_, r)| matches!(r, MatchReason::CodeSlip { .. })));
    }
    println!(
        "slips: {slips}, found first {first}, behind another real code one slip away {ambiguous}"
    );
    assert!(slips > 3_000);
    // Only a genuine tie (another existing code one slip away) may come first, and ties are rare.
    assert!(ambiguous * 20 < slips, "{ambiguous} of {slips}");
}

#[tokio::test(flavor = "multi_thread")]
async fn names_readings_and_addresses_fold_for_matching() {
    let dir = tempfile::tempdir().unwrap();
    let store = fresh_store(&dir).await;
    import(&store, snapshot("2025-08.csv"), "2025-08.csv").await.unwrap();
    let index = store.lookup_index().await.unwrap();
    let ctx = SearchContext { limit: 20 };
    // The distinctive part of a name outranks its corporate prefix.
    let hits = store.search(&index, "平松記念", ctx).await.unwrap().hits;
    assert_eq!(hits[0].institution.name, "医療法人社団 慈藻会 平松記念病院");
    assert_eq!(hits[0].reason, MatchReason::NameStart);
    // Starts shorter and longer than the eight bytes the name order is searched in.
    for start in ["平松", "平松記", "平松記念病"] {
        let hits = store.search(&index, start, ctx).await.unwrap().hits;
        let name = "医療法人社団 慈藻会 平松記念病院";
        assert!(
            hits.iter().any(|h| h.institution.name == name && h.reason == MatchReason::NameStart),
            "{start}: {hits:?}"
        );
    }
    let hits = store.search(&index, "中央", ctx).await.unwrap().hits;
    assert_eq!(hits.len(), 20);
    assert!(hits.iter().all(|h| h.reason == MatchReason::NameStart
        && fold(&split_name(&h.institution.name).distinctive).starts_with("中央")));
    // Full-width digits in the list, half-width in the query; katakana typed as hiragana.
    let hits = store.search(&index, "札幌市南区川沿13条", ctx).await.unwrap().hits;
    assert!(hits.iter().any(|h| h.institution.name == "医療法人 愛全病院"), "{hits:?}");
    assert!(hits.iter().all(|h| h.reason == MatchReason::Address));
    let kata = store.search(&index, "クリニック", ctx).await.unwrap().hits;
    let hira = store.search(&index, "くりにっく", ctx).await.unwrap().hits;
    assert_eq!(kata.len(), 20);
    assert_eq!(
        kata.iter().map(|h| h.institution.id).collect::<Vec<_>>(),
        hira.iter().map(|h| h.institution.id).collect::<Vec<_>>()
    );
    // A corporate form alone still finds names, ranked as corporate-name matches.
    let hits = store.search(&index, "医療法人社団", ctx).await.unwrap().hits;
    assert!(!hits.is_empty() && hits.iter().all(|h| h.reason == MatchReason::CorporateName));
    // The desk's prefecture comes first among equals.
    store
        .save_desk_settings(&DeskSettings {
            prefecture: Some("13".parse().unwrap()),
            ..Default::default()
        })
        .await
        .unwrap();
    let tokyo = store.lookup_index().await.unwrap();
    let hits = store.search(&tokyo, "中央病院", ctx).await.unwrap().hits;
    assert_eq!(hits[0].institution.name, "中央病院", "the one name-start match, in 鹿児島");
    let tokyo_first: Vec<&str> =
        hits[1..].iter().map(|h| h.institution.prefecture.as_str()).collect();
    let split = tokyo_first.iter().position(|p| *p != "13").unwrap_or(tokyo_first.len());
    assert!(split >= 3 && tokyo_first[split..].iter().all(|p| *p != "13"), "{tokyo_first:?}");
    // Two terms: both must match.
    let hits = store.search(&index, "札幌 眼科", ctx).await.unwrap().hits;
    assert!(!hits.is_empty());
    assert!(hits
        .iter()
        .all(|h| h.institution.address.contains("札幌") && h.institution.name.contains("眼科")));
    // A term of one character narrows the others' matches (it has no pair list of its own).
    let hits = store.search(&index, "札幌 眼 南区", ctx).await.unwrap().hits;
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| {
        let all = format!("{}{}", h.institution.name, h.institution.address);
        all.contains("札幌") && all.contains('眼') && all.contains("南区")
    }));
    // Postal code.
    let hits = store.search(&index, "〒005-0813", ctx).await.unwrap().hits;
    assert!(hits
        .iter()
        .any(|h| h.institution.name == "医療法人 愛全病院" && h.reason == MatchReason::PostalCode));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_rows_are_reported_and_the_good_ones_imported() {
    let dir = tempfile::tempdir().unwrap();
    let store = fresh_store(&dir).await;
    let mut file = "010112489,0112489,医療法人 愛全病院,0050813,札幌市南区\r\n".as_bytes().to_vec();
    file.extend_from_slice("010112745,0112745,平松記念病院\r\n".as_bytes());
    file.extend_from_slice(b"010113420,0113420,\xFF\xFE,0640809,x\r\n");
    file.extend_from_slice("010113421,0113421,誤り病院,0640809,x\r\n".as_bytes());
    let report = import(&store, file, "mixed.csv").await.unwrap();
    assert_eq!((report.imported, report.skipped_count), (1, 3));
    let lines: Vec<u64> = report.skipped.iter().map(|s| s.line).collect();
    assert_eq!(lines, vec![2, 3, 4]);
    assert!(report.skipped[0].message.starts_with("2行目: 列の数が3です"));
    assert!(report.skipped[1].message.contains("文字化け"));
}

/// A reader that fails after `after` bytes, like a network share that drops.
struct Breaking {
    inner: std::io::Cursor<Vec<u8>>,
    after: u64,
}

impl Read for Breaking {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.inner.position() >= self.after {
            return Err(std::io::Error::other("connection to the file share lost"));
        }
        let room = (self.after - self.inner.position()) as usize;
        let n = buf.len().min(room);
        self.inner.read(&mut buf[..n])
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_or_cancelled_import_leaves_the_registry_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let store = fresh_store(&dir).await;
    import(&store, snapshot("2024-09.csv"), "2024-09.csv").await.unwrap();
    let before = open_count(&store).await;
    let imports = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM registry_imports")
            .fetch_one(store.pool())
            .await
            .unwrap()
    };
    assert_eq!(imports().await, 1);

    // The file breaks half-way: nothing of it is applied, nothing is closed.
    let newer = snapshot("2025-08.csv");
    let broken =
        Breaking { after: newer.len() as u64 / 2, inner: std::io::Cursor::new(newer.clone()) };
    let err = store
        .import_registry(broken, "2025-08.csv", |_| {}, &AtomicBool::new(false))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "E-IMPORT-READ", "{err}");
    assert_eq!(open_count(&store).await, before);

    // Cancelled after the first batches.
    let cancel = AtomicBool::new(false);
    let mut batches = 0;
    let err = store
        .import_registry(
            std::io::Cursor::new(newer),
            "2025-08.csv",
            |_| {
                batches += 1;
                if batches == 3 {
                    cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            },
            &cancel,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "E-IMPORT-CANCELLED");
    assert_eq!(open_count(&store).await, before);

    // No valid row at all: refused, nothing closed.
    let err =
        import(&store, "010112489,0112480,x,0050813,y\r\n".into(), "bad.csv").await.unwrap_err();
    assert_eq!(err.code(), "E-IMPORT-EMPTY");
    assert!(err.message_ja().contains("台帳は変更していません"));
    assert_eq!(open_count(&store).await, before);
    assert_eq!(imports().await, 1, "rolled-back imports leave no record");

    let err = import(&store, "名前,年齢\r\n".into(), "people.csv").await.unwrap_err();
    assert_eq!(err.code(), "E-IMPORT-FORMAT");
}
