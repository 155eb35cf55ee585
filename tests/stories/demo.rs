//! `cargo xtask run`'s first run without a window: the demo server (`madoguchi-server demo`),
//! a desk that imports the sample registry the demo wrote and syncs — what the README
//! promises a newcomer sees, flag by flag, and the lookup and code checker on the sample.

use std::collections::BTreeMap;

use madoguchi_core::code_check::CodeCheck;
use madoguchi_core::queue::QueueFilter;
use madoguchi_server::testing::{Backend, TestServer};
use madoguchi_stories::connected_desk;

/// The flags of each demo application that come from the registry (台帳照合), by name.
const REGISTRY_FLAGS: &[&str] =
    &["FLAG-CODE-UNKNOWN", "FLAG-NAME-MISMATCH", "FLAG-ADDRESS-MISMATCH"];

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_desk_checks_its_applications_against_the_sample_registry() {
    let server = TestServer::start(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let demo = madoguchi_server::demo::prepare(
        server.storage.as_ref(),
        &dir.path().join("central"),
        "demo-token".into(),
    )
    .await
    .unwrap();
    let desk = connected_desk(&server, "demo-token", &dir, "demo-desk").await;
    desk.open_index().await.unwrap();
    let report = desk.import_registry_file(&demo.registry_path, |_| {}).await.unwrap();
    assert_eq!((report.imported, report.skipped_count), (438, 0));
    desk.connect().await.unwrap();
    desk.sync_now().await.unwrap();

    let view = desk.queue(&QueueFilter::default()).await.unwrap();
    assert_eq!(view.rows.len(), 9);
    let registry_flags: BTreeMap<&str, Vec<&str>> = view
        .rows
        .iter()
        .map(|r| {
            let codes = r.flags.iter().map(|f| f.code.as_str());
            (
                r.application.form.name.as_str(),
                codes.filter(|c| REGISTRY_FLAGS.contains(c)).collect(),
            )
        })
        .collect();
    // Listed, as typed (渡辺 for the list's 渡邊): nothing from the registry.
    for listed in [
        "医療法人財団 小畑会 浜田病院",
        "有楽町電気ビルクリニック",
        "広川眼科",
        "医療法人社団 渡辺内科",
    ] {
        assert_eq!(registry_flags[listed], Vec::<&str>::new(), "{listed}");
    }
    assert_eq!(registry_flags["淡路町ファミリークリニック"], ["FLAG-NAME-MISMATCH"]);
    assert_eq!(registry_flags["東京臨海総合病院"], ["FLAG-CODE-UNKNOWN"]);
    // The sample lists only 医科: the dental clinic and the pharmacy are not in it.
    assert_eq!(registry_flags["日本橋デンタルオフィス"], ["FLAG-CODE-UNKNOWN"]);
    assert_eq!(registry_flags["有限会社 ひかり薬局 八重洲店"], ["FLAG-CODE-UNKNOWN"]);
    let all_flags = |name: &str| -> Vec<&str> {
        let row = view.rows.iter().find(|r| r.application.form.name == name).unwrap();
        row.flags.iter().map(|f| f.code.as_str()).collect()
    };
    // Entered as the public page enters them (address confirmed): the listed ones are clean,
    // ready for 一括承認; the 助産所 was entered by the prefecture (代理申請), so unverified.
    assert_eq!(all_flags("医療法人財団 小畑会 浜田病院"), Vec::<&str>::new());
    assert_eq!(all_flags("広川眼科"), ["FLAG-EMAIL-TYPO"]);
    assert!(all_flags("みどり助産院").contains(&"FLAG-EMAIL-UNVERIFIED"));

    // 機関検索 and the code checker answer from the sample.
    let found = desk.search("三井記念", 20).await.unwrap();
    assert_eq!(found.hits[0].institution.name, "社会福祉法人 三井記念病院");
    let by_code = desk.search("1310110049", 20).await.unwrap();
    assert_eq!(by_code.hits[0].institution.name, "医療法人財団 小畑会 浜田病院");
    assert!(
        matches!(by_code.code_check, Some(CodeCheck::Valid { .. })),
        "{:?}",
        by_code.code_check
    );
}
