//! 索引の保存 on real files: a desk that starts again takes the index its last run saved,
//! and builds a new one instead when the saved one is of another registry or prefecture, or
//! damaged — searching the same either way.

use madoguchi_core::lookup::IndexOpened;
use madoguchi_core::settings::DeskSettings;
use madoguchi_core::Desk;

/// One test at a time at the keychain (each desk's store key is kept there).
static KEYCHAIN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const AIZEN: &str =
    "010112489,0112489,医療法人 愛全病院,0050813,札幌市南区川沿１３条２丁目１番３８号\r\n";
const CHUO: &str = "130239624,0239624,ＧＩＮＺＡ中央クリニック,1040061,中央区銀座７丁目８－８\r\n\
    010417334,0417334,耳鼻咽喉科発寒中央クリニック,0630831,札幌市西区発寒１１条１丁目１０番７４号\r\n";

async fn import(desk: &Desk, dir: &std::path::Path, name: &str, rows: &str) {
    let file = dir.join(name);
    std::fs::write(&file, rows).unwrap();
    desk.import_registry_file(&file, |_| {}).await.unwrap();
}

async fn names(desk: &Desk, query: &str) -> Vec<String> {
    let hits = desk.search(query, 20).await.unwrap().hits;
    hits.into_iter().map(|h| h.institution.name).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_desk_starts_on_its_saved_index_while_it_is_the_registrys() {
    let _one = KEYCHAIN.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("madoguchi.db");
    let saved = dir.path().join("madoguchi.lookup");

    let desk = Desk::open(&store, false).await.unwrap();
    assert_eq!(desk.open_index().await.unwrap(), IndexOpened::Built, "nothing saved yet");
    import(&desk, dir.path(), "aizen.csv", AIZEN).await;
    assert!(saved.exists(), "saved after the import");
    drop(desk);

    let desk = Desk::open(&store, false).await.unwrap();
    assert_eq!(desk.open_index().await.unwrap(), IndexOpened::Saved);
    assert_eq!(names(&desk, "愛全").await, ["医療法人 愛全病院"]);
    assert_eq!(names(&desk, "0110112489").await, ["医療法人 愛全病院"]);

    // An index saved before the next import is another registry's: built again.
    let before = std::fs::read(&saved).unwrap();
    import(&desk, dir.path(), "chuo.csv", CHUO).await;
    // (The desk searches the saved file in place: Windows lets no one write it while open.)
    drop(desk);
    std::fs::write(&saved, &before).unwrap();
    let desk = Desk::open(&store, false).await.unwrap();
    assert_eq!(desk.open_index().await.unwrap(), IndexOpened::Built, "stale");
    assert_eq!(names(&desk, "中央クリニック").await.len(), 2);

    // Another prefecture in 設定 ranks its own first: the index saved for it says so.
    let tokyo = DeskSettings { prefecture: Some("13".parse().unwrap()), ..Default::default() };
    desk.save_settings(&tokyo).await.unwrap();
    drop(desk);
    let desk = Desk::open(&store, false).await.unwrap();
    assert_eq!(desk.open_index().await.unwrap(), IndexOpened::Saved);
    assert_eq!(
        names(&desk, "中央クリニック").await,
        ["ＧＩＮＺＡ中央クリニック", "耳鼻咽喉科発寒中央クリニック"]
    );
    let hokkaido = DeskSettings { prefecture: Some("01".parse().unwrap()), ..Default::default() };
    let tokyo_index = std::fs::read(&saved).unwrap();
    desk.save_settings(&hokkaido).await.unwrap();
    drop(desk);
    std::fs::write(&saved, &tokyo_index).unwrap();
    let desk = Desk::open(&store, false).await.unwrap();
    assert_eq!(desk.open_index().await.unwrap(), IndexOpened::Built, "saved for 東京都");
    assert_eq!(names(&desk, "中央クリニック").await[0], "耳鼻咽喉科発寒中央クリニック");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_or_cut_short_index_is_built_again() {
    let _one = KEYCHAIN.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("madoguchi.db");
    let saved = dir.path().join("madoguchi.lookup");
    let desk = Desk::open(&store, false).await.unwrap();
    desk.open_index().await.unwrap();
    import(&desk, dir.path(), "chuo.csv", CHUO).await;
    drop(desk);
    let whole = std::fs::read(&saved).unwrap();

    let mut flipped = whole.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    let cut = whole[..whole.len() - 9].to_vec();
    for (damage, bytes) in [("a byte changed", flipped), ("cut short", cut), ("empty", vec![])] {
        std::fs::write(&saved, bytes).unwrap();
        let desk = Desk::open(&store, false).await.unwrap();
        assert_eq!(desk.open_index().await.unwrap(), IndexOpened::Built, "{damage}");
        assert_eq!(names(&desk, "中央クリニック").await.len(), 2, "{damage}");
        assert_eq!(std::fs::read(&saved).unwrap(), whole, "{damage}: saved again whole");
    }
}
