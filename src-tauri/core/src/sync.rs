//! 同期: the desk's side of the central server. Officer actions go to a local outbox in the
//! same transaction as their local effect and are sent in order with an idempotency key, so a
//! retry after a lost answer never makes a second decision; the server's changes feed is
//! pulled page by page, each page applied in one transaction with its cursor.

use std::time::Duration;

use chrono::Utc;
use madoguchi_domain::api::{
    ApiError, Application, ApplicationDetail, ChangesPage, DecisionRequest, DecisionResponse, Entity, Receipt,
};
use madoguchi_domain::form::ApplicationForm;
use madoguchi_domain::{Action, ApplicationStatus, Coded, TransitionError};
use serde::{Deserialize, Serialize};
use sqlx::Sqlite;

use crate::keychain::Token;
use crate::store::{Store, StoreError};

const PAGE: i64 = 500;
/// Attempts per action before the desk counts as offline (network errors and 5xx only).
const ATTEMPTS: u32 = 4;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// Applications whose actions are sent side by side (each application's own stay in order).
const IN_FLIGHT: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("no server configured")]
    NotConfigured,
    #[error("server URL {0:?} must be https:// (plain http only to this PC in a development build)")]
    InsecureUrl(String),
    #[error("bad sync settings: {0}")]
    Config(String),
    #[error("server unreachable: {0}")]
    Offline(String),
    #[error("server error {0}")]
    Server(u16),
    #[error("token refused")]
    Unauthorised,
    #[error("unexpected answer: {0}")]
    Protocol(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("no application {0} on this desk")]
    UnknownApplication(i64),
}

impl From<sqlx::Error> for SyncError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Query(e))
    }
}

impl Coded for SyncError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotConfigured => "E-SYNC-NOT-CONFIGURED",
            Self::InsecureUrl(_) => "E-SYNC-HTTP",
            Self::Config(_) => "E-SYNC-CONFIG",
            Self::Offline(_) => "E-SYNC-OFFLINE",
            Self::Server(_) => "E-SYNC-5XX",
            Self::Unauthorised => "E-SYNC-401",
            Self::Protocol(_) => "E-SYNC-PROTOCOL",
            Self::Store(e) => e.code(),
            Self::Transition(e) => e.code(),
            Self::UnknownApplication(_) => "E-APP-NOT-FOUND",
        }
    }
    fn message_ja(&self) -> String {
        match self {
            Self::NotConfigured => "中央サーバーが設定されていません。設定でサーバーのURLとトークンを登録してください。".into(),
            Self::InsecureUrl(_) => "サーバーのURLは https:// で始めてください。暗号化されない接続は使えません。".into(),
            Self::Config(e) => format!("同期の設定に誤りがあります（{e}）。設定を確認してください。"),
            Self::Offline(_) => "中央サーバーにつながりません。操作はこの端末に保存され、つながったときに送信されます。".into(),
            Self::Server(_) => "中央サーバーで問題が起きています。操作はこの端末に保存され、後で再送されます。".into(),
            Self::Unauthorised => "中央サーバーが接続トークンを受け付けません。設定でトークンを登録し直してください。".into(),
            Self::Protocol(_) => "中央サーバーの応答を読み取れませんでした。サポートへご連絡ください。".into(),
            Self::Store(e) => e.message_ja(),
            Self::Transition(e) => e.message_ja(),
            Self::UnknownApplication(_) => "この申請はこの端末にありません。同期してからもう一度お試しください。".into(),
        }
    }
}

/// How to reach the server.
#[derive(Debug, Clone, Default)]
pub struct SyncConfig {
    pub server_url: String,
    /// Extra root CA (PEM) to trust, for prefecture networks with their own.
    pub ca_pem: Option<Vec<u8>>,
    pub proxy_url: Option<String>,
    /// Development builds may use plain http to this PC (127.0.0.1, ::1, localhost) only.
    pub allow_loopback_http: bool,
    /// This desk's name in the audit trail.
    pub desk_name: String,
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// An authenticated HTTPS client of the central API.
pub struct SyncClient {
    http: reqwest::Client,
    base: reqwest::Url,
    token: Token,
    desk: String,
}

impl std::fmt::Debug for SyncClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncClient").field("base", &self.base.as_str()).field("token", &self.token).finish()
    }
}

/// What the server said to one action.
enum Sent {
    Accepted(DecisionResponse),
    Refused(u16, ApiError),
}

impl SyncClient {
    pub fn new(config: &SyncConfig, token: Token) -> Result<Self, SyncError> {
        let base = reqwest::Url::parse(config.server_url.trim()).map_err(|e| SyncError::Config(format!("URL: {e}")))?;
        let host = base.host_str().unwrap_or_default();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        match base.scheme() {
            "https" => {}
            "http" if config.allow_loopback_http && is_loopback(host) => {}
            _ => return Err(SyncError::InsecureUrl(config.server_url.clone())),
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("madoguchi-desk/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = &config.ca_pem {
            let ca = reqwest::Certificate::from_pem(pem).map_err(|e| SyncError::Config(format!("CA: {e}")))?;
            builder = builder.add_root_certificate(ca);
        }
        if let Some(proxy) = &config.proxy_url {
            builder = builder.proxy(reqwest::Proxy::all(proxy).map_err(|e| SyncError::Config(format!("proxy: {e}")))?);
        }
        let http = builder.build().map_err(|e| SyncError::Config(e.to_string()))?;
        let desk = if config.desk_name.trim().is_empty() { "desk".to_owned() } else { config.desk_name.trim().to_owned() };
        Ok(Self { http, base, token, desk })
    }

    fn url(&self, path: &str) -> reqwest::Url {
        self.base.join(path).expect("static API paths join")
    }

    async fn check(response: Result<reqwest::Response, reqwest::Error>) -> Result<reqwest::Response, SyncError> {
        let response = response.map_err(|e| SyncError::Offline(e.to_string()))?;
        match response.status().as_u16() {
            401 => Err(SyncError::Unauthorised),
            s if s >= 500 => Err(SyncError::Server(s)),
            _ => Ok(response),
        }
    }

    pub async fn changes(&self, since: i64) -> Result<ChangesPage, SyncError> {
        let mut url = self.url("v1/changes");
        url.query_pairs_mut().append_pair("since", &since.to_string()).append_pair("limit", &PAGE.to_string());
        let r = Self::check(self.http.get(url).bearer_auth(self.token.expose()).send().await).await?;
        if !r.status().is_success() {
            return Err(SyncError::Protocol(format!("changes: {}", r.status())));
        }
        r.json().await.map_err(|e| SyncError::Offline(e.to_string()))
    }

    /// Sends one action once; network errors and 5xx are the caller's to retry.
    async fn send(&self, entry: &OutboxEntry) -> Result<Sent, SyncError> {
        let request = DecisionRequest {
            expected_version: entry.expected_version,
            action: *entry.action,
            note: entry.note.clone(),
            desk: self.desk.clone(),
        };
        let url = self.url(&format!("v1/applications/{}/decisions", entry.application_id));
        let r = self
            .http
            .post(url)
            .bearer_auth(self.token.expose())
            .header("Idempotency-Key", &entry.idempotency_key)
            .json(&request)
            .send()
            .await;
        let r = Self::check(r).await?;
        let status = r.status().as_u16();
        let body = r.bytes().await.map_err(|e| SyncError::Offline(e.to_string()))?;
        if status == 200 {
            serde_json::from_slice(&body).map(Sent::Accepted).map_err(|e| SyncError::Protocol(e.to_string()))
        } else {
            let error = serde_json::from_slice(&body).unwrap_or_else(|_| ApiError {
                code: format!("E-SYNC-{status}"),
                message: String::from_utf8_lossy(&body).chars().take(200).collect(),
                fields: Vec::new(),
                current: None,
            });
            Ok(Sent::Refused(status, error))
        }
    }

    /// 代理申請: submits `form` on the institution's behalf. `Err(ApiError)` inside is the
    /// server's refusal (field errors, another prefecture) for the form to show.
    pub async fn proxy_apply(&self, form: &ApplicationForm) -> Result<Result<Receipt, ApiError>, SyncError> {
        let r = self.http.post(self.url("v1/proxy-applications")).bearer_auth(self.token.expose()).json(form).send().await;
        let r = Self::check(r).await?;
        let status = r.status();
        let body = r.bytes().await.map_err(|e| SyncError::Offline(e.to_string()))?;
        if status.is_success() {
            serde_json::from_slice(&body).map(Ok).map_err(|e| SyncError::Protocol(e.to_string()))
        } else {
            serde_json::from_slice(&body).map(Err).map_err(|e| SyncError::Protocol(format!("{status}: {e}")))
        }
    }

    /// An application with its audit trail (履歴), as the server holds it.
    pub async fn application_detail(&self, id: i64) -> Result<ApplicationDetail, SyncError> {
        let r = Self::check(self.http.get(self.url(&format!("v1/applications/{id}"))).bearer_auth(self.token.expose()).send().await).await?;
        match r.status().as_u16() {
            200 => r.json().await.map_err(|e| SyncError::Protocol(e.to_string())),
            404 => Err(SyncError::UnknownApplication(id)),
            s => Err(SyncError::Protocol(format!("application {id}: {s}"))),
        }
    }

    /// Uploads a whole record (a call, the prefecture's settings) kept as JSON text.
    /// `Err(ApiError)` inside: the server refused it.
    async fn put_record(&self, kind: &str, id: &str, payload: String) -> Result<Result<(), ApiError>, SyncError> {
        let path = match kind {
            "call" => format!("v1/calls/{id}"),
            _ => "v1/prefecture-settings".to_owned(),
        };
        let r = self
            .http
            .put(self.url(&path))
            .bearer_auth(self.token.expose())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(payload)
            .send()
            .await;
        let r = Self::check(r).await?;
        if r.status().is_success() {
            return Ok(Ok(()));
        }
        let status = r.status();
        let body = r.bytes().await.map_err(|e| SyncError::Offline(e.to_string()))?;
        serde_json::from_slice(&body).map(Err).map_err(|e| SyncError::Protocol(format!("{status}: {e}")))
    }

    /// Reachability and the token, for 診断.
    pub async fn health(&self) -> Result<(), SyncError> {
        let r = Self::check(self.http.get(self.url("v1/health")).send().await).await?;
        if r.status().is_success() { Ok(()) } else { Err(SyncError::Protocol(r.status().to_string())) }
    }
}

/// One queued officer action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct OutboxEntry {
    pub id: i64,
    pub application_id: i64,
    pub expected_version: i64,
    #[sqlx(try_from = "String")]
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

/// The desk's sync state at a glance, for the status bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    pub cursor: i64,
    pub last_sync_at: Option<String>,
    pub last_error: Option<String>,
    /// 未送信
    pub pending: i64,
    /// 要確認: refused by the server
    pub rejected: i64,
}

/// A refused action with the server's reason, for 要確認.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub outbox_id: i64,
    pub application_id: i64,
    pub action: Action,
    pub error: ApiError,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub sent: usize,
    pub rejected: usize,
    pub pulled: usize,
}

pub(crate) fn status_from(s: &str) -> Result<ApplicationStatus, SyncError> {
    ApplicationStatus::from_key(s).ok_or_else(|| SyncError::Protocol(format!("unknown status {s:?}")))
}

async fn upsert_application(tx: &mut sqlx::Transaction<'_, Sqlite>, app: &Application) -> Result<(), SyncError> {
    let payload = serde_json::to_string(app).map_err(|e| SyncError::Protocol(e.to_string()))?;
    // An older state never overwrites a newer one (a page and a decision answer can cross).
    sqlx::query(
        "INSERT INTO applications (id, prefecture, status, version, payload, received_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET prefecture = excluded.prefecture, status = excluded.status,
             version = excluded.version, payload = excluded.payload, updated_at = excluded.updated_at
         WHERE excluded.version >= applications.version",
    )
    .bind(app.id)
    .bind(app.prefecture.code())
    .bind(app.status.key())
    .bind(app.version)
    .bind(payload)
    .bind(&app.received_at)
    .bind(&app.updated_at)
    .execute(&mut **tx)
    .await?;
    refresh_local_status(tx, app.id).await
}

/// The desk's view: the server's status with the still-pending actions applied in order.
/// A record from the feed, unless this desk holds a newer unsent copy (its running clock is
/// this desk's own and stays).
async fn take_record(tx: &mut sqlx::Transaction<'_, Sqlite>, kind: &str, id: &str, payload: &str, updated_at: &str) -> Result<(), SyncError> {
    sqlx::query(
        "INSERT INTO records (kind, id, payload, updated_at, dirty) VALUES (?1, ?2, ?3, ?4, 0)
         ON CONFLICT (kind, id) DO UPDATE SET payload = excluded.payload, updated_at = excluded.updated_at, dirty = 0
         WHERE records.dirty = 0 OR records.updated_at <= excluded.updated_at",
    )
    .bind(kind)
    .bind(id)
    .bind(payload)
    .bind(updated_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn refresh_local_status(tx: &mut sqlx::Transaction<'_, Sqlite>, id: i64) -> Result<(), SyncError> {
    let Some(status): Option<String> = sqlx::query_scalar("SELECT status FROM applications WHERE id = ?1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(());
    };
    let pending: Vec<String> =
        sqlx::query_scalar("SELECT action FROM outbox WHERE application_id = ?1 AND state = 'pending' ORDER BY id")
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
    let mut local = status_from(&status)?;
    for action in &pending {
        let ActionText(action) = ActionText::try_from(action.clone()).map_err(|e| SyncError::Protocol(e.to_string()))?;
        // A pending action the server state no longer allows will come back refused.
        local = local.apply(action).unwrap_or(local);
    }
    let local = (!pending.is_empty()).then(|| local.key());
    sqlx::query("UPDATE applications SET local_status = ?1 WHERE id = ?2").bind(local).bind(id).execute(&mut **tx).await?;
    Ok(())
}

impl Store {
    /// Records an officer's action: its local effect and its outbox entry, in one transaction.
    /// Works offline; [`Store::push`] sends it.
    pub async fn queue_action(&self, application_id: i64, action: Action, note: Option<String>) -> Result<OutboxEntry, SyncError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let row: Option<(String, i64, Option<String>)> =
            sqlx::query_as("SELECT status, version, local_status FROM applications WHERE id = ?1")
                .bind(application_id)
                .fetch_optional(&mut *tx)
                .await?;
        let (status, version, local) = row.ok_or(SyncError::UnknownApplication(application_id))?;
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
        refresh_local_status(&mut tx, application_id).await?;
        tx.commit().await?;
        log::info!("action {:?} on application {application_id} queued as outbox {}", action, entry.id);
        Ok(entry)
    }

    pub async fn pending_actions(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM outbox WHERE state = 'pending' ORDER BY id").fetch_all(self.pool()).await?)
    }

    pub async fn rejections(&self) -> Result<Vec<Rejection>, SyncError> {
        let rows: Vec<(i64, i64, String, Option<String>)> = sqlx::query_as(
            "SELECT id, application_id, action, answer FROM outbox WHERE state = 'rejected' ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(outbox_id, application_id, action, answer)| {
                let ActionText(action) = ActionText::try_from(action).map_err(|e| SyncError::Protocol(e.to_string()))?;
                let error = serde_json::from_str(answer.as_deref().unwrap_or("null")).map_err(|e| SyncError::Protocol(e.to_string()))?;
                Ok(Rejection { outbox_id, application_id, action, error })
            })
            .collect()
    }

    pub async fn sync_status(&self) -> Result<SyncStatus, StoreError> {
        let (cursor, last_sync_at, last_error): (i64, Option<String>, Option<String>) =
            sqlx::query_as("SELECT cursor, last_sync_at, last_error FROM sync_state WHERE id = 1").fetch_one(self.pool()).await?;
        let (pending, rejected): (i64, i64) = sqlx::query_as(
            "SELECT coalesce(sum(state = 'pending'), 0) + (SELECT count(*) FROM records WHERE dirty = 1),
                    coalesce(sum(state = 'rejected'), 0) + (SELECT count(*) FROM records WHERE dirty = 2)
             FROM outbox",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(SyncStatus { cursor, last_sync_at, last_error, pending, rejected })
    }

    /// The application as the desk holds it (server state).
    pub async fn application(&self, id: i64) -> Result<Option<(Application, Option<ApplicationStatus>)>, SyncError> {
        let row: Option<(String, Option<String>)> =
            sqlx::query_as("SELECT payload, local_status FROM applications WHERE id = ?1").bind(id).fetch_optional(self.pool()).await?;
        row.map(|(payload, local)| {
            let app = serde_json::from_str(&payload).map_err(|e| SyncError::Protocol(e.to_string()))?;
            Ok((app, local.as_deref().map(status_from).transpose()?))
        })
        .transpose()
    }

    async fn apply_page(&self, page: &ChangesPage) -> Result<(), SyncError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        for change in &page.changes {
            match &change.entity {
                Entity::Application(app) => upsert_application(&mut tx, app).await?,
                Entity::Notice(n) => {
                    sqlx::query("INSERT OR REPLACE INTO notices (id, application_id, payload) VALUES (?1, ?2, ?3)")
                        .bind(n.id)
                        .bind(n.application_id)
                        .bind(serde_json::to_string(n).expect("notices serialise"))
                        .execute(&mut *tx)
                        .await?;
                }
                Entity::Account(a) => {
                    sqlx::query(
                        "INSERT OR REPLACE INTO accounts (id, insurance_code, institution_code, login_id, payload) VALUES (?1, ?2, ?3, ?4, ?5)",
                    )
                    .bind(a.id)
                    .bind(&a.insurance_code)
                    .bind(&a.institution_code)
                    .bind(&a.login_id)
                    .bind(serde_json::to_string(a).expect("accounts serialise"))
                    .execute(&mut *tx)
                    .await?;
                }
                // The registry reaches the desk through the lookup import; the feed's copy
                // is taken up with the queue's flags.
                Entity::Institution(_) => {}
                Entity::Call(c) => take_record(&mut tx, "call", &c.id, &serde_json::to_string(c).expect("calls serialise"), &c.updated_at).await?,
                Entity::PrefectureSettings(p) => {
                    take_record(&mut tx, "prefecture_settings", &p.prefecture.code(), &serde_json::to_string(p).expect("settings serialise"), &p.updated_at).await?
                }
            }
        }
        sqlx::query("UPDATE sync_state SET cursor = ?1 WHERE id = 1").bind(page.next_cursor).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn cursor(&self) -> Result<i64, SyncError> {
        Ok(sqlx::query_scalar("SELECT cursor FROM sync_state WHERE id = 1").fetch_one(self.pool()).await?)
    }

    /// Pulls every page after the cursor.
    pub async fn pull(&self, client: &SyncClient) -> Result<usize, SyncError> {
        let mut pulled = 0;
        loop {
            let page = client.changes(self.cursor().await?).await?;
            pulled += page.changes.len();
            self.apply_page(&page).await?;
            if !page.has_more {
                return Ok(pulled);
            }
        }
    }

    /// Records the server's answer after `attempts` tries, with its effect, in one transaction.
    async fn settle(&self, entry: &OutboxEntry, attempts: u32, sent: Sent) -> Result<bool, SyncError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("UPDATE outbox SET attempts = attempts + ?1 WHERE id = ?2")
            .bind(i64::from(attempts))
            .bind(entry.id)
            .execute(&mut *tx)
            .await?;
        let accepted = match &sent {
            Sent::Accepted(answer) => {
                sqlx::query("UPDATE outbox SET state = 'sent', answer = ?1 WHERE id = ?2")
                    .bind(serde_json::to_string(answer).expect("answers serialise"))
                    .bind(entry.id)
                    .execute(&mut *tx)
                    .await?;
                upsert_application(&mut tx, &answer.application).await?;
                true
            }
            Sent::Refused(status, error) => {
                log::warn!("outbox {} refused by the server ({status} {}): {}", entry.id, error.code, error.message);
                sqlx::query("UPDATE outbox SET state = 'rejected', answer = ?1, last_error = ?2 WHERE id = ?3")
                    .bind(serde_json::to_string(error).expect("errors serialise"))
                    .bind(&error.code)
                    .bind(entry.id)
                    .execute(&mut *tx)
                    .await?;
                // Later actions on the same application built on this one: they are not sent.
                let dependent = ApiError {
                    code: "E-SYNC-DEPENDENT".into(),
                    message: "先に行った操作がサーバーに受け付けられなかったため、この操作は送信していません。最新の状態を確認してください。".into(),
                    fields: Vec::new(),
                    current: error.current.clone(),
                };
                sqlx::query(
                    "UPDATE outbox SET state = 'rejected', answer = ?1, last_error = ?2
                     WHERE application_id = ?3 AND state = 'pending' AND id > ?4",
                )
                .bind(serde_json::to_string(&dependent).expect("errors serialise"))
                .bind(&dependent.code)
                .bind(entry.application_id)
                .bind(entry.id)
                .execute(&mut *tx)
                .await?;
                match &error.current {
                    Some(current) => upsert_application(&mut tx, current).await?,
                    None => refresh_local_status(&mut tx, entry.application_id).await?,
                }
                false
            }
        };
        tx.commit().await?;
        Ok(accepted)
    }

    /// Sends the outbox: each application's actions in order, up to [`IN_FLIGHT`] applications
    /// side by side. Network errors and 5xx are retried with backoff; if the server stays away
    /// the rest waits for the next sync, same keys and all.
    pub async fn push(&self, client: &SyncClient) -> Result<(usize, usize), SyncError> {
        use futures::StreamExt;
        let mut lanes: std::collections::BTreeMap<i64, Vec<OutboxEntry>> = Default::default();
        for entry in self.pending_actions().await? {
            lanes.entry(entry.application_id).or_default().push(entry);
        }
        let outcomes: Vec<_> = futures::stream::iter(lanes.into_values().map(|lane| self.push_lane(client, lane)))
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        let (mut sent, mut rejected) = (0, 0);
        for outcome in outcomes {
            let (s, r) = outcome?;
            sent += s;
            rejected += r;
        }
        Ok((sent, rejected))
    }

    /// Sends the records changed here (calls, prefecture settings); each is marked sent only
    /// if it did not change again meanwhile.
    pub async fn push_records(&self, client: &SyncClient) -> Result<(usize, usize), SyncError> {
        let dirty: Vec<(String, String, String, String)> =
            sqlx::query_as("SELECT kind, id, payload, updated_at FROM records WHERE dirty = 1 ORDER BY updated_at").fetch_all(self.pool()).await?;
        let (mut sent, mut rejected) = (0, 0);
        for (kind, id, payload, updated_at) in dirty {
            let state = match client.put_record(&kind, &id, payload).await? {
                Ok(()) => {
                    sent += 1;
                    0
                }
                Err(refusal) => {
                    log::error!("{kind} {id} refused by the server: {} {}", refusal.code, refusal.message);
                    rejected += 1;
                    2
                }
            };
            sqlx::query("UPDATE records SET dirty = ?1 WHERE kind = ?2 AND id = ?3 AND updated_at = ?4")
                .bind(state)
                .bind(&kind)
                .bind(&id)
                .bind(&updated_at)
                .execute(self.pool())
                .await?;
        }
        Ok((sent, rejected))
    }

    /// One application's pending actions, in the order they were taken.
    async fn push_lane(&self, client: &SyncClient, lane: Vec<OutboxEntry>) -> Result<(usize, usize), SyncError> {
        let (mut sent, mut rejected) = (0, 0);
        for entry in lane {
            let state: String = sqlx::query_scalar("SELECT state FROM outbox WHERE id = ?1").bind(entry.id).fetch_one(self.pool()).await?;
            if state != "pending" {
                continue; // refused along with an earlier action on the same application
            }
            let mut backoff = FIRST_BACKOFF;
            let mut attempt = 0;
            let outcome = loop {
                attempt += 1;
                match client.send(&entry).await {
                    Err(e @ (SyncError::Offline(_) | SyncError::Server(_))) if attempt < ATTEMPTS => {
                        log::info!("outbox {}: {e}; retrying in {backoff:?}", entry.id);
                        tokio::time::sleep(backoff).await;
                        backoff *= 2;
                    }
                    other => break other,
                }
            };
            match outcome {
                Ok(answer) => {
                    if self.settle(&entry, attempt, answer).await? { sent += 1 } else { rejected += 1 }
                }
                Err(e) => {
                    sqlx::query("UPDATE outbox SET attempts = attempts + ?1, last_error = ?2 WHERE id = ?3")
                        .bind(i64::from(attempt))
                        .bind(e.to_string())
                        .bind(entry.id)
                        .execute(self.pool())
                        .await?;
                    return Err(e);
                }
            }
        }
        Ok((sent, rejected))
    }

    /// Push, then pull; the outcome is recorded for the status bar.
    pub async fn sync(&self, client: &SyncClient) -> Result<SyncReport, SyncError> {
        let result = async {
            let (sent, rejected) = self.push(client).await?;
            let (records_sent, records_rejected) = self.push_records(client).await?;
            let (sent, rejected) = (sent + records_sent, rejected + records_rejected);
            let pulled = self.pull(client).await?;
            Ok::<_, SyncError>(SyncReport { sent, rejected, pulled })
        }
        .await;
        let (at, error) = match &result {
            Ok(_) => (Some(Utc::now().to_rfc3339()), None),
            Err(e) => (None, Some(format!("{} {}", e.code(), e))),
        };
        sqlx::query("UPDATE sync_state SET last_sync_at = coalesce(?1, last_sync_at), last_error = ?2 WHERE id = 1")
            .bind(at)
            .bind(error)
            .execute(self.pool())
            .await?;
        result
    }

    /// 再同期: forgets what was pulled and starts the feed from the beginning. The outbox —
    /// actions not yet sent — is kept.
    pub async fn reset_sync(&self) -> Result<(), SyncError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        for sql in [
            "DELETE FROM applications",
            "DELETE FROM notices",
            "DELETE FROM accounts",
            "DELETE FROM records WHERE dirty = 0",
            "UPDATE sync_state SET cursor = 0 WHERE id = 1",
        ] {
            sqlx::query(sql).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        log::info!("sync state reset: the next sync pulls everything");
        Ok(())
    }
}
