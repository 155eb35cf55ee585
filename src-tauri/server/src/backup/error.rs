//! What a backup, its check or a restore can fail with.

use std::path::Path;

use crate::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}: not a database URL a backup can be taken of (sqlite:… or postgres://…)")]
    Unsupported(String),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("database: {0}")]
    Storage(#[from] StorageError),
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("{0}")]
    Tool(String),
    #[error("the copy is damaged: {0}")]
    Corrupt(String),
    #[error("the manifest: {0}")]
    Manifest(String),
    #[error("the copy differs from its manifest: {0}")]
    Differs(String),
}

impl BackupError {
    pub(super) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.display().to_string(), source }
    }
}
