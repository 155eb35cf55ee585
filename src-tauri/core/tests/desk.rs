//! The desk as the window drives it: import from a chosen file with progress, search, detail,
//! and settings that re-rank the lookup.

use std::sync::{Arc, Mutex};

use madoguchi_core::settings::DeskSettings;
use madoguchi_core::{Desk, Store};
use madoguchi_domain::Coded;

async fn desk(dir: &tempfile::TempDir) -> Desk {
    Desk::new(Store::open(&dir.path().join("desk.db")).await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn import_a_chosen_file_then_search_and_open_the_detail() {
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(&dir).await;
    assert_eq!(desk.search("愛全", 20).await.unwrap_err().code(), "E-LOOKUP-NOT-READY");
    desk.rebuild_index().await.unwrap();
    assert!(desk.search("愛全", 20).await.unwrap().hits.is_empty());

    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/institution-codes/2025-08.csv");
    let path = dir.path().join("2025-08.csv");
    std::fs::copy(&source, &path).unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let report = desk
        .import_registry_file(&path, move |p| log.lock().unwrap().push(p.bytes_read))
        .await
        .unwrap();
    assert_eq!(report.file_name, "2025-08.csv");
    let progress = seen.lock().unwrap().clone();
    assert!(progress.len() > 100, "a report per batch");
    assert!(progress.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(*progress.last().unwrap(), size);

    let status = desk.registry_status().await.unwrap();
    assert!(status.ready);
    assert_eq!(status.institutions as u64, report.imported);
    assert_eq!(status.last_import.unwrap().file_name, "2025-08.csv");

    let hit = desk.search("あいぜん病院", 20).await.unwrap();
    assert!(hit.hits.is_empty(), "no reading in the code list: kana finds nothing");
    let hit = &desk.search("愛全病院", 20).await.unwrap().hits[0];
    let detail = desk.institution(hit.institution.id).await.unwrap();
    assert_eq!(detail.institution.name, "医療法人 愛全病院");
    assert_eq!(detail.institution.insurance_code.as_deref(), Some("0110112489"));
    assert_eq!(detail.listed_in, "2025-08.csv");
    assert_eq!(detail.closed_in, None);
    assert_eq!(desk.institution(-1).await.unwrap_err().code(), "E-LOOKUP-NOT-FOUND");
}

#[tokio::test(flavor = "multi_thread")]
async fn only_csv_files_are_taken() {
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(&dir).await;
    let txt = dir.path().join("notes.txt");
    std::fs::write(&txt, "x").unwrap();
    for path in [txt, dir.path().join("missing.csv"), dir.path().to_path_buf()] {
        let err = desk.import_registry_file(&path, |_| {}).await.unwrap_err();
        assert_eq!(err.code(), "E-IMPORT-NOT-CSV", "{}", path.display());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_desk_prefecture_reranks_the_lookup() {
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(&dir).await;
    let path = dir.path().join("codes.csv");
    std::fs::write(
        &path,
        "010112489,0112489,中央クリニック,0050813,札幌市南区\r\n130270751,0270751,中央クリニック,1000001,千代田区\r\n",
    )
    .unwrap();
    desk.import_registry_file(&path, |_| {}).await.unwrap();
    async fn prefs(desk: &Desk) -> Vec<String> {
        let hits = desk.search("中央クリニック", 20).await.unwrap().hits;
        hits.into_iter().map(|h| h.institution.prefecture).collect()
    }
    assert_eq!(prefs(&desk).await, ["01", "13"]);
    desk.save_settings(&DeskSettings {
        prefecture: Some("13".parse().unwrap()),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(prefs(&desk).await, ["13", "01"]);
    // A 7-digit code is completed with the desk's prefecture.
    let result = desk.search("0270751", 20).await.unwrap();
    assert_eq!(result.hits[0].institution.insurance_code.as_deref(), Some("1310270751"));
}
