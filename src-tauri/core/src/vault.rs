//! 保存データの暗号化: the desk's store encrypted at rest (SQLCipher: every page, the WAL
//! included; temporary tables in memory). Its key is 32 random bytes in the OS keychain,
//! never on disk: without the keychain, `madoguchi.db` and its WAL read as noise. A plain
//! store from before is encrypted on first start; a store whose key is gone is set aside,
//! never deleted, and a new one is synced from the server.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::Utc;
use rand::RngCore;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::SqlitePool;

use crate::keychain::{self, KeychainError};
use crate::store::{Store, StoreError};

/// The store's key. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreKey([u8; 32]);

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(<redacted>)")
    }
}

impl StoreKey {
    fn random() -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Self(key)
    }

    fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn from_hex(s: &str) -> Option<Self> {
        let bytes: Vec<u8> = (0..s.len())
            .step_by(2)
            .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
            .collect::<Option<_>>()?;
        Some(Self(bytes.try_into().ok()?))
    }

    /// `PRAGMA key`'s value for a raw key: no passphrase derivation, the key is random.
    fn pragma(&self) -> String {
        format!("\"x'{}'\"", self.hex())
    }
}

/// The keychain entry of the store at `path` (one per store file).
fn entry_name(path: &Path) -> String {
    format!("{}{}", keychain::KEY_PREFIX, path.display())
}

fn load_key(path: &Path) -> Result<Option<StoreKey>, KeychainError> {
    match keychain::load_secret(&entry_name(path))? {
        None => Ok(None),
        Some(hex) => Ok(StoreKey::from_hex(&hex)),
    }
}

/// How opening the store went, for the officer when it is more than opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// A new store, or the encrypted one as left.
    Ready,
    /// A plain store from before, now encrypted (its plain file removed).
    Encrypted,
    /// The key was gone or wrong: the old file was moved to `kept` and a new store made.
    SetAside { kept: PathBuf },
}

impl Opened {
    /// What the officer is told, if anything.
    pub fn notice_ja(&self) -> Option<String> {
        match self {
            Self::Ready => None,
            Self::Encrypted => Some(
                "この端末の保存データを暗号化しました（初回のみ）。鍵はOSの資格情報ストアにあります。"
                    .into(),
            ),
            Self::SetAside { kept } => Some(format!(
                "保存データの鍵がOSの資格情報ストアに見つからないため、以前のデータを開けませんでした。\
                 以前のファイルは「{}」として残し、新しく作り直しました。設定（サーバーURL・接続トークン）を登録し直すと、\
                 申請・通知・対応記録はサーバーから受信し直します。この端末で未送信だった操作・対応記録と、この端末だけの設定は復元できません。",
                kept.display()
            )),
        }
    }
}

fn options(path: &Path, key: Option<&StoreKey>) -> Result<SqliteConnectOptions, sqlx::Error> {
    let mut options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true);
    if let Some(key) = key {
        options = options.pragma("key", key.pragma());
    }
    Ok(options)
}

async fn pool(path: &Path, key: Option<&StoreKey>) -> Result<SqlitePool, sqlx::Error> {
    // A desk: one writer at a time (WAL) and a few readers beside it. Each connection keeps
    // its own page cache (up to 2 MB), so not sqlx's default of ten.
    let pool =
        SqlitePoolOptions::new().max_connections(4).connect_with(options(path, key)?).await?;
    // The key is only tried on the first read: a wrong one fails here, not later.
    sqlx::query("SELECT count(*) FROM sqlite_master").execute(&pool).await?;
    Ok(pool)
}

/// Whether the file at `path` is a plain SQLite database (its header says so in clear).
fn is_plain(path: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let mut header = [0u8; 16];
    let mut file = std::fs::File::open(path)?;
    Ok(file.read(&mut header)? == 16 && &header == b"SQLite format 3\0")
}

/// `path` with `suffix` appended to its file name.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// The store and its WAL files.
fn companions(path: &Path) -> [PathBuf; 3] {
    [path.to_owned(), beside(path, "-wal"), beside(path, "-shm")]
}

/// Where a plain store's encrypted copy is made before it takes the store's place.
fn encrypting(path: &Path) -> PathBuf {
    beside(path, ".encrypting")
}

/// Moves the store and its WAL files to `<name>.unreadable-<time>`, never deleting them. On
/// Windows the connection that just failed to open it may still hold the file as it closes on
/// its own thread: each move waits for the file to be let go (seen under Wine as a sharing
/// violation that left the desk unable to start).
async fn set_aside(path: &Path) -> std::io::Result<PathBuf> {
    let kept = beside(path, &format!(".unreadable-{}", Utc::now().format("%Y%m%d%H%M%S")));
    for (from, to) in companions(path).iter().zip(companions(&kept)) {
        if from.exists() {
            until_released(|| std::fs::rename(from, &to)).await?;
        }
    }
    Ok(kept)
}

/// Copies the plain store at `path` into an encrypted one beside it, then puts that in its
/// place. A crash midway leaves the plain store (redone at the next start) or the finished
/// copy (taken at the next start): never neither.
async fn encrypt_plain(path: &Path, key: &StoreKey) -> Result<(), sqlx::Error> {
    let next = encrypting(path);
    for stale in companions(&next) {
        let _ = std::fs::remove_file(stale);
    }
    let plain = pool(path, None).await?;
    // One connection: an attached database belongs to the connection that attached it.
    let mut conn = plain.acquire().await?;
    sqlx::query("ATTACH DATABASE ?1 AS encrypted KEY ?2")
        .bind(next.display().to_string())
        .bind(format!("x'{}'", key.hex()))
        .execute(&mut *conn)
        .await?;
    sqlx::query("SELECT sqlcipher_export('encrypted')").execute(&mut *conn).await?;
    sqlx::query("DETACH DATABASE encrypted").execute(&mut *conn).await?;
    drop(conn);
    plain.close().await;
    // The WAL files may still be going away as the last plain connection closes.
    for old in companions(path) {
        match until_released(|| std::fs::remove_file(&old)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    until_released(|| std::fs::rename(&next, path)).await?;
    Ok(())
}

/// Runs a file operation again while Windows says another handle still holds the file
/// (a connection closing on its own thread, a virus scanner): up to about five seconds (two
/// were once too few under Wine on a busy machine).
async fn until_released<T>(op: impl Fn() -> std::io::Result<T>) -> std::io::Result<T> {
    // ERROR_ACCESS_DENIED (a delete still pending), ERROR_SHARING_VIOLATION.
    const HELD: [i32; 2] = [5, 32];
    let mut tries = 0;
    loop {
        match op() {
            Err(e)
                if cfg!(windows)
                    && tries < 100
                    && e.raw_os_error().is_some_and(|c| HELD.contains(&c)) =>
            {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            other => return other,
        }
    }
}

impl Store {
    /// Opens the desk's encrypted store at `path` (creating it, encrypting a plain one, or
    /// setting aside one whose key is lost), with its key from the OS keychain.
    pub async fn open_encrypted(path: &Path) -> Result<(Store, Opened), StoreError> {
        let open_err = |source| StoreError::Open { path: path.display().to_string(), source };
        let key_err = |e: KeychainError| StoreError::Key(e.to_string());
        let finished = encrypting(path);
        if !path.exists() && finished.exists() {
            // Stopped after the plain store went and before its copy took its place.
            std::fs::rename(&finished, path).map_err(|e| open_err(sqlx::Error::Io(e)))?;
        }
        let key = match load_key(path).map_err(key_err)? {
            Some(key) => key,
            None => {
                let key = StoreKey::random();
                keychain::save_secret(&entry_name(path), &key.hex()).map_err(key_err)?;
                key
            }
        };
        let mut opened = Opened::Ready;
        // Read through the same wait: a plain pool closed just before (the app's previous
        // start, a test) may still hold the file on Windows.
        let plain = path.exists()
            && until_released(|| is_plain(path)).await.map_err(|e| open_err(sqlx::Error::Io(e)))?;
        if plain {
            log::info!("encrypting the plain store {}", path.display());
            encrypt_plain(path, &key).await.map_err(open_err)?;
            opened = Opened::Encrypted;
        }
        let pool = match pool(path, Some(&key)).await {
            Ok(pool) => pool,
            Err(e) if path.exists() && opened == Opened::Ready => {
                log::error!("the store does not open with its key ({e}); setting it aside");
                let kept = set_aside(path).await.map_err(|e| open_err(sqlx::Error::Io(e)))?;
                opened = Opened::SetAside { kept };
                pool(path, Some(&key)).await.map_err(open_err)?
            }
            Err(e) => return Err(open_err(e)),
        };
        Ok((Store::from_pool(pool).await?, opened))
    }
}
