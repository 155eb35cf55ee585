//! A desk whose folders have Japanese names and spaces, as %LOCALAPPDATA% has under a Windows
//! user called 窓口 太郎: the encrypted store opens there (its key in the OS keychain: the
//! Windows Credential Manager under Wine), a Shift_JIS list imports from there, calls export
//! to Shift_JIS there, and the store opens again with its key.

use madoguchi_core::export::CsvEncoding;
use madoguchi_core::lookup::IndexOpened;
use madoguchi_core::settings::DeskSettings;
use madoguchi_core::Desk;
use madoguchi_domain::triage::Outcome;

#[tokio::test(flavor = "multi_thread")]
async fn a_desk_in_folders_with_japanese_names_and_spaces() {
    let home = tempfile::Builder::new().prefix("窓口 太郎の データ ").tempdir().unwrap();
    let store = home.path().join("Madoguchi 窓口").join("madoguchi.db");
    std::fs::create_dir_all(store.parent().unwrap()).unwrap();
    let desk = Desk::open(&store, false).await.unwrap();
    assert_eq!(desk.store_notice(), None, "a new store opens without a word");
    let settings = DeskSettings { prefecture: Some("47".parse().unwrap()), ..Default::default() };
    desk.save_settings(&settings).await.unwrap();

    let list = home.path().join("医療機関 一覧（沖縄県）.csv");
    let row = "470112485,0112485,医療法人 窓口テストクリニック,9000001,那覇市泉崎\r\n";
    std::fs::write(&list, encoding_rs::SHIFT_JIS.encode(row).0).unwrap();
    let report = desk.import_registry_file(&list, |_| {}).await.unwrap();
    assert_eq!((report.imported, report.file_name.as_str()), (1, "医療機関 一覧（沖縄県）.csv"));

    let call = desk.start_call().await.unwrap();
    desk.finish_call(&call.id, "窓口テストクリニックへ折り返し済み", Some(Outcome::Resolved))
        .await
        .unwrap();
    let out = home.path().join("対応記録 令和8年.csv");
    desk.export_calls(CsvEncoding::ShiftJis, &out).await.unwrap();
    let bytes = std::fs::read(&out).unwrap();
    let (text, _, unmappable) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!unmappable && text.contains("窓口テストクリニックへ折り返し済み"), "{text}");

    drop(desk);
    let again = Desk::open(&store, false).await.unwrap();
    assert_eq!(again.store_notice(), None, "its key found again");
    // The index saved after the import, in the same folder, is taken as it is.
    assert_eq!(again.open_index().await.unwrap(), IndexOpened::Saved);
    assert_eq!(again.search("窓口テスト", 5).await.unwrap().hits.len(), 1, "the list kept");
    assert_eq!(again.calls_overview().await.unwrap().calls.len(), 1);
}
