//! 保存データの暗号化 on real files and the real keychain (run under the Secret Service that
//! `cargo xtask test` starts): what the desk wrote is not in its files; a plain store from
//! before is encrypted once and keeps its contents; a store whose key is gone is set aside,
//! not deleted.

use chrono::Utc;
use madoguchi_core::settings::DeskSettings;
use madoguchi_core::vault::Opened;
use madoguchi_core::Store;
use madoguchi_domain::triage::Tree;

const NOTE: &str = "折返し先は秘密花子さんの携帯 090-9988-7766";

/// One test at a time at the keychain: a fresh Secret Service creates its default collection
/// on first use, and items created from several threads at that moment can fail.
static KEYCHAIN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A call with a personal note, written into `store`.
async fn personal(store: &Store) {
    let settings = DeskSettings { prefecture: Some("13".parse().unwrap()), ..Default::default() };
    store.save_desk_settings(&settings).await.unwrap();
    let call = store.start_call(Tree::national(), "desk-a", Utc::now()).await.unwrap();
    store.finish_call(&call.id, NOTE, None, Utc::now()).await.unwrap();
}

/// Waits (≤ 5 s) for a closed store to settle. A pool's connections close on their own
/// threads after `close()` returns (on Windows well after), and the last one moves the WAL
/// into the database and deletes it: read in the middle of that, the data is in neither file
/// as read.
fn settled(dir: &std::path::Path) {
    let wal = dir.join("madoguchi.db-wal");
    for _ in 0..100 {
        if !wal.exists() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Every byte the store left on disk: the database and its WAL files.
fn on_disk(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("madoguchi.db") {
            bytes.extend(read_released(&path));
        }
    }
    bytes
}

/// A file's bytes once no closing connection holds it: on Windows a pool's connections close
/// on their own threads after `close()` returns, and reading meanwhile is a sharing violation.
/// A WAL file that vanished between listing and reading is empty.
fn read_released(path: &std::path::Path) -> Vec<u8> {
    for _ in 0..40 {
        match std::fs::read(path) {
            Ok(bytes) => return bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
    std::fs::read(path).unwrap_or_else(|e| panic!("{} still held: {e}", path.display()))
}

fn holds(bytes: &[u8], text: &str) -> bool {
    bytes.windows(text.len()).any(|w| w == text.as_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_written_is_readable_from_the_files() {
    let _one = KEYCHAIN.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("madoguchi.db");
    let (store, opened) = Store::open_encrypted(&path).await.unwrap();
    assert_eq!(opened, Opened::Ready);
    personal(&store).await;
    // Read back while the WAL still holds the pages, and again after a checkpoint.
    assert_eq!(store.calls().await.unwrap()[0].note, NOTE);
    let bytes = on_disk(dir.path());
    assert!(
        bytes.len() > 4096 && !holds(&bytes, "090-9988-7766") && !holds(&bytes, "SQLite format 3")
    );
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(store.pool()).await.unwrap();
    assert!(!holds(&on_disk(dir.path()), "090-9988-7766"));
    store.pool().close().await;

    let (again, opened) = Store::open_encrypted(&path).await.unwrap();
    assert_eq!(opened, Opened::Ready);
    assert_eq!(again.calls().await.unwrap()[0].note, NOTE, "opens with its key");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plain_store_from_before_is_encrypted_with_everything_in_it() {
    let _one = KEYCHAIN.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("madoguchi.db");
    let plain = Store::open(&path).await.unwrap();
    personal(&plain).await;
    plain.pool().close().await;
    settled(dir.path());
    assert!(holds(&on_disk(dir.path()), "090-9988-7766"), "plain before");

    let (store, opened) = Store::open_encrypted(&path).await.unwrap();
    assert_eq!(opened, Opened::Encrypted);
    assert!(opened.notice_ja().unwrap().contains("暗号化しました"));
    assert_eq!(store.calls().await.unwrap()[0].note, NOTE);
    assert_eq!(store.desk_settings().await.unwrap().prefecture.unwrap().code(), "13");
    store.pool().close().await;
    settled(dir.path());
    assert!(!holds(&on_disk(dir.path()), "090-9988-7766"), "nothing plain left");
    let left: Vec<_> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.iter().all(|n| !n.to_string_lossy().contains("encrypting")), "{left:?}");
    let (_, opened) = Store::open_encrypted(&path).await.unwrap();
    assert_eq!(opened, Opened::Ready, "once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_whose_key_is_lost_is_set_aside_and_a_new_one_made() {
    let _one = KEYCHAIN.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("madoguchi.db");
    let (store, _) = Store::open_encrypted(&path).await.unwrap();
    personal(&store).await;
    store.pool().close().await;
    // The keychain entry is gone (a new Windows profile, a wiped keyring).
    let entry = keyring::Entry::new(
        "jp.madoguchi.desk.store-key",
        &format!("store-key:{}", path.display()),
    )
    .unwrap();
    let old_key = entry.get_password().unwrap();
    entry.delete_credential().unwrap();

    let (fresh, opened) = Store::open_encrypted(&path).await.unwrap();
    let Opened::SetAside { kept } = &opened else { panic!("{opened:?}") };
    // Kept whole: with the old key (should it turn up) it still opens, the note in it.
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(kept)
        .pragma("key", format!("\"x'{old_key}'\""));
    let old = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let notes: Vec<String> = sqlx::query_scalar("SELECT payload FROM records WHERE kind = 'call'")
        .fetch_all(&old)
        .await
        .unwrap();
    assert!(notes[0].contains("090-9988-7766"), "kept as it was, never deleted");
    assert!(opened.notice_ja().unwrap().contains("復元できません"));
    assert!(fresh.calls().await.unwrap().is_empty(), "a new store, to sync again");
    personal(&fresh).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_url_cannot_name_the_stores_key_and_old_entries_move() {
    let _one = KEYCHAIN.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("madoguchi.db");
    // A store whose key an earlier version kept in the shared service: it moves on opening.
    let (store, _) = Store::open_encrypted(&path).await.unwrap();
    personal(&store).await;
    store.pool().close().await;
    settled(dir.path());
    let name = format!("store-key:{}", path.display());
    let now = keyring::Entry::new("jp.madoguchi.desk.store-key", &name).unwrap();
    let key = now.get_password().unwrap();
    now.delete_credential().unwrap();
    keyring::Entry::new("jp.madoguchi.desk", &name).unwrap().set_password(&key).unwrap();
    let (store, opened) = Store::open_encrypted(&path).await.unwrap();
    assert_eq!(opened, Opened::Ready, "the old entry still opens it");
    store.pool().close().await;
    assert_eq!(now.get_password().unwrap(), key, "moved");
    let legacy = keyring::Entry::new("jp.madoguchi.desk", &name).unwrap().get_password();
    assert!(matches!(legacy, Err(keyring::Error::NoEntry)), "{legacy:?}");
    // A crafted server URL naming the key: no token is stored over it.
    let crafted =
        madoguchi_core::keychain::save_token(&name, &madoguchi_core::keychain::Token::new("x"));
    assert!(crafted.is_err());
    assert_eq!(now.get_password().unwrap(), key, "the key is untouched");
    let (store, opened) = Store::open_encrypted(&path).await.unwrap();
    assert_eq!(opened, Opened::Ready);
    store.pool().close().await;
}
