//! 未送信の操作: officer actions (審査開始, 承認, 差戻し, 却下) kept in a local outbox, written
//! in the same transaction as their local effect so a decision survives a crash or a day
//! offline, and settled with the server's answer — accepted, or refused for 要確認.

use chrono::Utc;
use madoguchi_domain::api::{ApiError, DecisionResponse};
use madoguchi_domain::Code;
use madoguchi_domain::{Action, Coded, TransitionError};
use serde::{Deserialize, Serialize};

use crate::applications::{self, status_from};
use crate::export::Table;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("no application {0} on this desk")]
    UnknownApplication(i64),
}

impl From<sqlx::Error> for OutboxError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

impl Coded for OutboxError {
    fn code(&self) -> Code {
        match self {
            Self::Store(e) => e.code(),
            Self::Transition(e) => e.code(),
            Self::UnknownApplication(_) => Code::AppNotFound,
        }
    }
    fn message_ja(&self) -> String {
        match self {
            Self::Store(e) => e.message_ja(),
            Self::Transition(e) => e.message_ja(),
            Self::UnknownApplication(_) => self.code().message_ja().into(),
        }
    }
}

/// One queued officer action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, ts_rs::TS)]
pub struct OutboxEntry {
    pub id: i64,
    pub application_id: i64,
    pub expected_version: i64,
    #[sqlx(try_from = "String")]
    #[ts(as = "Action")]
    pub action: ActionText,
    pub note: Option<String>,
    pub idempotency_key: String,
    pub created_at: String,
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// An [`Action`] as the outbox stores it (JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ActionText(pub Action);

impl TryFrom<String> for ActionText {
    type Error = serde_json::Error;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        serde_json::from_str(&s).map(ActionText)
    }
}

impl std::ops::Deref for ActionText {
    type Target = Action;
    fn deref(&self) -> &Action {
        &self.0
    }
}

/// What the server said to one action.
#[derive(Debug)]
pub enum Answer {
    Accepted(Box<DecisionResponse>),
    Refused(u16, ApiError),
}

/// A refused action with the server's reason, for 要確認.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub outbox_id: i64,
    pub application_id: i64,
    pub action: Action,
    pub error: ApiError,
}

/// One line of the decisions table as read.
#[derive(sqlx::FromRow)]
struct DecisionRow {
    at: String,
    id: i64,
    payload: Option<String>,
    action: String,
    note: Option<String>,
    state: String,
    error: Option<String>,
}

impl Store {
    /// Records an officer's action: its local effect and its outbox entry, in one transaction.
    /// Works offline; the next sync sends it.
    pub async fn queue_action(
        &self,
        application_id: i64,
        action: Action,
        note: Option<String>,
    ) -> Result<OutboxEntry, OutboxError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let row: Option<(String, i64, Option<String>)> =
            sqlx::query_as("SELECT status, version, local_status FROM applications WHERE id = ?1")
                .bind(application_id)
                .fetch_optional(&mut *tx)
                .await?;
        let (status, version, local) =
            row.ok_or(OutboxError::UnknownApplication(application_id))?;
        let seen = status_from(local.as_deref().unwrap_or(&status))?;
        seen.apply(action)?;
        let pending: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM outbox WHERE application_id = ?1 AND state = 'pending'",
        )
        .bind(application_id)
        .fetch_one(&mut *tx)
        .await?;
        // Each pending action raises the server's version by one before this one arrives.
        let expected_version = version + pending;
        let entry: OutboxEntry = sqlx::query_as(
            "INSERT INTO outbox (application_id, expected_version, action, note, idempotency_key, created_at, state)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending') RETURNING *",
        )
        .bind(application_id)
        .bind(expected_version)
        .bind(serde_json::to_string(&action).expect("actions serialise"))
        .bind(note)
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(Utc::now().to_rfc3339())
        .fetch_one(&mut *tx)
        .await?;
        applications::refresh_local_status(&mut tx, &[application_id]).await?;
        tx.commit().await?;
        log::info!(
            "action {action:?} on application {application_id} queued as outbox {}",
            entry.id
        );
        Ok(entry)
    }

    pub async fn pending_actions(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM outbox WHERE state = 'pending' ORDER BY id")
            .fetch_all(self.pool())
            .await?)
    }

    pub async fn rejections(&self) -> Result<Vec<Rejection>, StoreError> {
        let rows: Vec<(i64, i64, String, Option<String>)> = sqlx::query_as(
            "SELECT id, application_id, action, answer FROM outbox WHERE state = 'rejected' ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(outbox_id, application_id, action, answer)| {
                let action = serde_json::from_str(&action)?;
                let error = serde_json::from_str(answer.as_deref().unwrap_or("null"))?;
                Ok(Rejection { outbox_id, application_id, action, error })
            })
            .collect()
    }

    /// Records the server's answers to a batch sent after `attempts` tries, with their effect,
    /// in one transaction. For each, true when the server accepted the action.
    pub(crate) async fn settle(
        &self,
        answered: &[(&OutboxEntry, Answer)],
        attempts: u32,
    ) -> Result<Vec<bool>, StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        // The accepted (nearly all) in a few statements for the whole batch; each refused
        // one on its own.
        let mut sent = Vec::new();
        let mut apps = Vec::new();
        for (entry, answer) in answered {
            match answer {
                Answer::Accepted(answer) => {
                    sent.push((entry.id, serde_json::to_string(answer)?));
                    apps.push(&answer.application);
                }
                Answer::Refused(status, error) => {
                    refuse(&mut tx, entry, attempts, *status, error).await?
                }
            }
        }
        if !sent.is_empty() {
            sqlx::query(
                "UPDATE outbox SET state = 'sent', answer = j.value->>1, attempts = attempts + ?2
                 FROM json_each(?1) AS j WHERE outbox.id = j.value->>0",
            )
            .bind(serde_json::to_string(&sent)?)
            .bind(i64::from(attempts))
            .execute(&mut *tx)
            .await?;
            applications::upsert(&mut tx, &apps).await?;
        }
        tx.commit().await?;
        Ok(answered.iter().map(|(_, answer)| matches!(answer, Answer::Accepted(_))).collect())
    }

    /// Counts tries that ended without an answer (offline, 5xx); the entries stay pending.
    pub(crate) async fn note_unanswered(
        &self,
        entries: &[&OutboxEntry],
        attempts: u32,
        error: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        for entry in entries {
            sqlx::query(
                "UPDATE outbox SET attempts = attempts + ?1, last_error = ?2 WHERE id = ?3",
            )
            .bind(i64::from(attempts))
            .bind(error)
            .bind(entry.id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// This desk's decisions (every action it recorded), with their sync state, for Excel.
    pub async fn decisions_table(&self) -> Result<Table, StoreError> {
        let rows: Vec<DecisionRow> =
            sqlx::query_as(
                "SELECT o.created_at AS at, o.application_id AS id, a.payload, o.action, o.note, o.state,
                        o.last_error AS error
                 FROM outbox o LEFT JOIN applications a ON a.id = o.application_id ORDER BY o.id",
            )
            .fetch_all(self.pool())
            .await?;
        let rows = rows
            .into_iter()
            .map(|DecisionRow { at, id, payload, action, note, state, error }| {
                let name = payload
                    .and_then(|p| {
                        serde_json::from_str::<madoguchi_domain::api::Application>(&p).ok()
                    })
                    .map(|a| a.form.name)
                    .unwrap_or_default();
                let action: Option<Action> = serde_json::from_str(&action).ok();
                let reason = match action {
                    Some(Action::ReturnForCorrection { reason }) => reason.name_ja(),
                    Some(Action::Reject { reason }) => reason.name_ja(),
                    _ => "",
                };
                let state = match state.as_str() {
                    "pending" => "未送信",
                    "sent" => "送信済み",
                    _ => "要確認",
                };
                vec![
                    at,
                    format!("{id:014}"),
                    name,
                    action.map_or("", Action::name_ja).into(),
                    reason.into(),
                    note.unwrap_or_default(),
                    state.into(),
                    error.unwrap_or_default(),
                ]
            })
            .collect();
        Ok(Table {
            header: vec![
                "操作日時",
                "申請番号",
                "名称",
                "操作",
                "理由",
                "メモ",
                "送信状態",
                "エラー",
            ],
            rows,
        })
    }
}

/// An action the server refused (one answer of [`Store::settle`]), marked for 要確認 with the
/// later actions on its application, and the application taken as the server has it.
async fn refuse(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    entry: &OutboxEntry,
    attempts: u32,
    status: u16,
    error: &ApiError,
) -> Result<(), StoreError> {
    log::warn!(
        "outbox {} refused by the server ({status} {}): {}",
        entry.id,
        error.code,
        error.message
    );
    sqlx::query(
        "UPDATE outbox SET state = 'rejected', answer = ?1, last_error = ?2,
             attempts = attempts + ?3
         WHERE id = ?4",
    )
    .bind(serde_json::to_string(error)?)
    .bind(&error.code)
    .bind(i64::from(attempts))
    .bind(entry.id)
    .execute(&mut **tx)
    .await?;
    // Later actions on the same application built on this one: they are not sent.
    let dependent = ApiError {
        code: Code::SyncDependent.to_string(),
        message: Code::SyncDependent.message_ja().into(),
        fields: Vec::new(),
        current: error.current.clone(),
        record: None,
    };
    sqlx::query(
        "UPDATE outbox SET state = 'rejected', answer = ?1, last_error = ?2
         WHERE application_id = ?3 AND state = 'pending' AND id > ?4",
    )
    .bind(serde_json::to_string(&dependent)?)
    .bind(&dependent.code)
    .bind(entry.application_id)
    .bind(entry.id)
    .execute(&mut **tx)
    .await?;
    match &error.current {
        Some(current) => applications::upsert(tx, &[current]).await,
        None => applications::refresh_local_status(tx, &[entry.application_id]).await,
    }
}
