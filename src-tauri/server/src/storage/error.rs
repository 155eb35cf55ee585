//! What storage can fail with, for every capability.

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data unreadable: {0}")]
    Corrupt(String),
    #[error("unsupported database URL {0:?} (use sqlite:… or postgres://…)")]
    UnsupportedUrl(String),
    /// The SQLite file's folder is missing and cannot be made (a read-only disk, a file in
    /// the way): said with the path, instead of SQLite's bare "code 14".
    #[error("データベースのフォルダ {} を作れません (cannot create the database folder): {source}", path.display())]
    Folder { path: std::path::PathBuf, source: std::io::Error },
    /// The SQLite file cannot be opened where its folder is (permissions, a folder by its name).
    #[error("データベース {} を開けません (cannot open the database file): {source}", path.display())]
    File { path: std::path::PathBuf, source: sqlx::Error },
    #[error("a batched write failed: {0}")]
    Batch(String),
    /// The database's schema is not this binary's: one of them is newer.
    #[error("データベースのスキーマ ({applied}) がこのプログラム ({expected}) と合いません (schema mismatch): {}", if applied < expected { "run `madoguchi-server db migrate` with this binary first" } else { "the database is newer: use the binary that migrated it" })]
    Schema { applied: i64, expected: i64 },
}

pub type Result<T> = std::result::Result<T, StorageError>;
