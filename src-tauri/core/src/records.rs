//! 同期する記録: what desks write and share whole — 対応記録 (calls) and 都道府県の設定 —
//! kept as JSON, dirty until the server accepts them. The server numbers the versions; a
//! change made here on an older one than the server's is rebuilt on the server's copy when
//! it only adds to it (a call walked further), and otherwise set aside as 要確認 beside the
//! server's copy: never lost, never silently overwriting another desk's change.

use madoguchi_domain::api::{CallRecord, CallState, CallStep, Entity};
use madoguchi_domain::worklist::ContactRecord;
use serde::Serialize;
use sqlx::Sqlite;

use crate::store::{Store, StoreError};

/// The kinds of record, as the store and the server name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Call,
    PrefectureSettings,
    /// 連絡記録 of a 要連絡 entry.
    Contact,
}

impl RecordKind {
    pub fn key(self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::PrefectureSettings => "prefecture_settings",
            Self::Contact => "contact",
        }
    }

    fn from_key(key: &str) -> Result<Self, StoreError> {
        match key {
            "call" => Ok(Self::Call),
            "prefecture_settings" => Ok(Self::PrefectureSettings),
            "contact" => Ok(Self::Contact),
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
#[derive(Debug, Clone)]
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

    /// The server's answer to an upload. Held at `version`: the copy here (even if changed
    /// again meanwhile) is now made on that version; it is synced unless it changed again.
    pub(crate) async fn settle_record(
        &self,
        record: &DirtyRecord,
        state: RecordState,
        version: Option<i64>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE records SET
                 payload = CASE WHEN ?5 IS NULL THEN payload ELSE json_set(payload, '$.version', ?5) END,
                 dirty = CASE WHEN updated_at = ?4 THEN ?1 ELSE dirty END
             WHERE kind = ?2 AND id = ?3",
        )
        .bind(state as i64)
        .bind(record.kind.key())
        .bind(&record.id)
        .bind(&record.updated_at)
        .bind(version)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A change made on an older version than the server's `current`. A call that only
    /// walked further than the server's copy, and any 連絡記録 (merged: attempts only add), is
    /// rebuilt on it and returned, to send again; anything else takes the server's copy and
    /// keeps this desk's aside (要確認).
    pub(crate) async fn rebase(
        &self,
        record: &DirtyRecord,
        current: &Entity,
    ) -> Result<Option<DirtyRecord>, StoreError> {
        if let (RecordKind::Call, Entity::Call(theirs)) = (record.kind, current) {
            let mut ours: CallRecord = serde_json::from_str(&record.payload)?;
            if extends(&ours, theirs) {
                ours.version = theirs.version;
                return self.rebuilt(record, serde_json::to_string(&ours)?).await;
            }
        }
        if let (RecordKind::Contact, Entity::Contact(theirs)) = (record.kind, current) {
            let ours: ContactRecord = serde_json::from_str(&record.payload)?;
            return self.rebuilt(record, serde_json::to_string(&ours.merged_onto(theirs))?).await;
        }
        let theirs = match current {
            Entity::Call(c) => serde_json::to_string(c)?,
            Entity::PrefectureSettings(p) => serde_json::to_string(p)?,
            Entity::Contact(c) => serde_json::to_string(c)?,
            other => return Err(StoreError::Corrupt(format!("not a record: {other:?}"))),
        };
        log::warn!(
            "{} {}: changed elsewhere first; this desk's copy kept as 要確認",
            record.kind.key(),
            record.id
        );
        sqlx::query(
            "UPDATE records SET payload = ?1, conflict = payload, dirty = ?5
             WHERE kind = ?2 AND id = ?3 AND updated_at = ?4",
        )
        .bind(theirs)
        .bind(record.kind.key())
        .bind(&record.id)
        .bind(&record.updated_at)
        .bind(RecordState::Synced as i64)
        .execute(self.pool())
        .await?;
        Ok(None)
    }
}

impl Store {
    /// `record` rebuilt as `payload`, to send again; none if it changed again meanwhile (the
    /// next sync sends that).
    async fn rebuilt(
        &self,
        record: &DirtyRecord,
        payload: String,
    ) -> Result<Option<DirtyRecord>, StoreError> {
        let rebased = sqlx::query(
            "UPDATE records SET payload = ?1 WHERE kind = ?2 AND id = ?3 AND updated_at = ?4",
        )
        .bind(&payload)
        .bind(record.kind.key())
        .bind(&record.id)
        .bind(&record.updated_at)
        .execute(self.pool())
        .await?;
        Ok((rebased.rows_affected() == 1).then(|| DirtyRecord { payload, ..record.clone() }))
    }
}

/// Whether `ours` holds everything of `theirs` and more: the same steps walked (and then
/// further), the same note (and then more), the same disclosures (and then more), the same
/// links (or none there yet).
fn extends(ours: &CallRecord, theirs: &CallRecord) -> bool {
    let same_step =
        |(a, b): (&CallStep, &CallStep)| a.node == b.node && a.entered_at == b.entered_at;
    ours.steps.len() >= theirs.steps.len()
        && ours.steps.iter().zip(&theirs.steps).all(same_step)
        && ours.note.starts_with(theirs.note.as_str())
        && ours.disclosures.starts_with(&theirs.disclosures)
        && (theirs.institution.is_none() || ours.institution == theirs.institution)
        && (theirs.application_id.is_none() || ours.application_id == theirs.application_id)
        && (theirs.contact.is_none() || ours.contact == theirs.contact)
        && (theirs.state != CallState::Finished || ours.state == CallState::Finished)
}

/// A record from the feed, unless this desk holds a change of its own not yet accepted (that
/// is settled when it is sent) or already holds a later version (its running clock is this
/// desk's own and stays).
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
         WHERE records.dirty = 0
           AND coalesce(json_extract(records.payload, '$.version'), 0)
               <= coalesce(json_extract(excluded.payload, '$.version'), 0)",
    )
    .bind(kind.key())
    .bind(id)
    .bind(payload)
    .bind(updated_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
