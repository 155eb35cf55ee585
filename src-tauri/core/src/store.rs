//! ローカルデータベース: the desk's SQLite file and its schema (`migrations/desktop`).

use madoguchi_domain::Code;
use std::path::Path;
use std::str::FromStr;

use madoguchi_domain::Coded;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/desktop");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open {path}: {source}")]
    Open { path: String, source: sqlx::Error },
    #[error("cannot migrate the local database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("local database query failed: {0}")]
    Query(#[from] sqlx::Error),
    /// A row the desk wrote itself no longer parses (a damaged file, a downgrade).
    #[error("stored data unreadable: {0}")]
    Corrupt(String),
    /// The store's key could not be read from or written to the OS keychain.
    #[error("store key: {0}")]
    Key(String),
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        Self::Corrupt(e.to_string())
    }
}

impl Coded for StoreError {
    fn code(&self) -> Code {
        match self {
            Self::Open { .. } => Code::StoreOpen,
            Self::Migrate(_) => Code::StoreMigrate,
            Self::Query(_) => Code::StoreQuery,
            Self::Corrupt(_) => Code::StoreCorrupt,
            Self::Key(_) => Code::StoreKey,
        }
    }
}

/// The desk's local database, migrated to the current schema.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    /// Held by a sync from its first send to its last page, so a resync never races one.
    sync_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl Store {
    /// Opens (creating if needed) the SQLite file at `path`: what tests and tools use.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let url = format!("sqlite://{}", path.display());
        let open_err = |source| StoreError::Open { path: path.display().to_string(), source };
        let options = SqliteConnectOptions::from_str(&url)
            .map_err(open_err)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new().connect_with(options).await.map_err(open_err)?;
        Self::from_pool(pool).await
    }

    /// Adopts a pool opened elsewhere (the app's tauri-plugin-sql) and migrates it.
    pub async fn from_pool(pool: SqlitePool) -> Result<Self, StoreError> {
        // WAL survives a crash mid-write without losing committed work, and lets reads run
        // while a sync writes.
        sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await?;
        MIGRATOR.run(&pool).await?;
        let store = Self { pool, sync_lock: Default::default() };
        store.place_unplaced().await?;
        Ok(store)
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub(crate) fn sync_lock(&self) -> &tokio::sync::Mutex<()> {
        &self.sync_lock
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opens_migrates_and_reopens_a_real_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("desk.db");
        let store = Store::open(&path).await.unwrap();
        let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(applied as usize, MIGRATOR.iter().count());
        let mode: String =
            sqlx::query_scalar("PRAGMA journal_mode").fetch_one(store.pool()).await.unwrap();
        assert_eq!(mode, "wal");
        store.pool().close().await;
        assert!(path.exists());
        Store::open(&path).await.expect("a migrated file opens again");
    }

    #[tokio::test]
    async fn an_unopenable_path_is_a_coded_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Store::open(&dir.path().join("missing/dir/desk.db")).await.unwrap_err();
        assert_eq!(err.code(), "E-STORE-OPEN");
        assert!(err.message_ja().contains("ローカルデータベース"));
    }
}
