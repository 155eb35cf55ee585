//! 同期する記録: what desks write and share whole — 対応記録 (calls) and 都道府県の設定 —
//! kept as JSON, dirty until the server accepts them; the newer copy wins.

use serde::Serialize;
use sqlx::Sqlite;

use crate::store::{Store, StoreError};

/// The kinds of record, as the store and the server name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Call,
    PrefectureSettings,
}

impl RecordKind {
    pub fn key(self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::PrefectureSettings => "prefecture_settings",
        }
    }

    fn from_key(key: &str) -> Result<Self, StoreError> {
        match key {
            "call" => Ok(Self::Call),
            "prefecture_settings" => Ok(Self::PrefectureSettings),
            other => Err(StoreError::Corrupt(format!("unknown record kind {other:?}"))),
        }
    }
}

/// Whether the server holds the desk's copy: `dirty` in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordState {
    Synced = 0,
    Unsent = 1,
    Refused = 2,
}

/// A record changed here and not yet accepted by the server.
#[derive(Debug)]
pub(crate) struct DirtyRecord {
    pub kind: RecordKind,
    pub id: String,
    pub payload: String,
    pub updated_at: String,
}

impl Store {
    /// A record's JSON and, for a call, when its current node's clock started.
    pub(crate) async fn record(
        &self,
        kind: RecordKind,
        id: &str,
    ) -> Result<Option<(String, Option<String>)>, StoreError> {
        Ok(sqlx::query_as("SELECT payload, running_since FROM records WHERE kind = ?1 AND id = ?2")
            .bind(kind.key())
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Every record of `kind`'s JSON.
    pub(crate) async fn records(&self, kind: RecordKind) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT payload FROM records WHERE kind = ?1")
            .bind(kind.key())
            .fetch_all(self.pool())
            .await?)
    }

    /// Writes a record changed here: unsent until the server accepts it.
    pub(crate) async fn write_record(
        &self,
        kind: RecordKind,
        id: &str,
        payload: &impl Serialize,
        updated_at: &str,
        running_since: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO records (kind, id, payload, updated_at, dirty, running_since) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (kind, id) DO UPDATE SET payload = excluded.payload, updated_at = excluded.updated_at,
                 dirty = excluded.dirty, running_since = excluded.running_since",
        )
        .bind(kind.key())
        .bind(id)
        .bind(serde_json::to_string(payload)?)
        .bind(updated_at)
        .bind(RecordState::Unsent as i64)
        .bind(running_since)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The records to upload, oldest change first.
    pub(crate) async fn unsent_records(&self) -> Result<Vec<DirtyRecord>, StoreError> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT kind, id, payload, updated_at FROM records WHERE dirty = ?1 ORDER BY updated_at",
        )
        .bind(RecordState::Unsent as i64)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(kind, id, payload, updated_at)| {
                Ok(DirtyRecord { kind: RecordKind::from_key(&kind)?, id, payload, updated_at })
            })
            .collect()
    }

    /// The server's answer to an upload; a record changed again meanwhile stays unsent.
    pub(crate) async fn settle_record(
        &self,
        record: &DirtyRecord,
        state: RecordState,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE records SET dirty = ?1 WHERE kind = ?2 AND id = ?3 AND updated_at = ?4",
        )
        .bind(state as i64)
        .bind(record.kind.key())
        .bind(&record.id)
        .bind(&record.updated_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

/// A record from the feed, unless this desk holds a newer unsent copy (its running clock is
/// this desk's own and stays).
pub(crate) async fn take(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    kind: RecordKind,
    id: &str,
    payload: &str,
    updated_at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO records (kind, id, payload, updated_at, dirty) VALUES (?1, ?2, ?3, ?4, 0)
         ON CONFLICT (kind, id) DO UPDATE SET payload = excluded.payload, updated_at = excluded.updated_at, dirty = 0
         WHERE records.dirty = 0 OR records.updated_at <= excluded.updated_at",
    )
    .bind(kind.key())
    .bind(id)
    .bind(payload)
    .bind(updated_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
