//! The two SQL implementations of [`Storage`]. Their SQL is one text (`$n` placeholders work
//! in both databases); what differs — connecting, migrations, how a write transaction starts
//! and how the changes feed is kept in commit order — is given per database.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use madoguchi_domain::api::{
    Account, Application, AuditEntry, Change, ChangesPage, DecisionResponse, Entity, Notice,
    Receipt, RegistryEntry, SubmittedBy,
};
use madoguchi_domain::notice;
use madoguchi_domain::{ApplicationForm, ApplicationStatus, Prefecture, ValidForm};
use madoguchi_registry::InstitutionRecord;
use rand::Rng;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use super::{
    AddressCheck, Answer, Confirmation, Decision, MailRecord, Officer, OfficerToken, Outgoing,
    PutRecord, Record, Result, Storage, StorageError,
};
use crate::decisions::{self, Context, DecisionError, Issue};
use madoguchi_domain::{Delivery, DeliveryEvent};

/// SQLite: one file. Writes take the database lock up front (`BEGIN IMMEDIATE`) so that
/// concurrent decisions queue instead of failing half-way.
pub struct SqliteStorage {
    pool: SqlitePool,
    writer: tokio::sync::Mutex<()>,
}

/// PostgreSQL. Writers that add to a prefecture's changes feed hold an advisory lock until they
/// commit, so each feed's order is its commit order and a reader's cursor never skips a late
/// commit: a desk's decisions and records take their prefecture's lock (prefectures write side
/// by side, in any process), other writes the whole country's.
pub struct PostgresStorage {
    pool: PgPool,
    writer: tokio::sync::Mutex<()>,
}

impl SqliteStorage {
    pub async fn open(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        // A new deployment (or `cargo xtask run` after `target/` was deleted) names a file in
        // a folder that does not exist yet: the folder is made, as the file itself is.
        // (An in-memory database's name has no folder.)
        let path = options.get_filename().to_owned();
        if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)
                .map_err(|source| StorageError::Folder { path: folder.to_owned(), source })?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(|source| StorageError::File { path, source })?;
        sqlx::migrate!("../../migrations/server-sqlite").run(&pool).await?;
        Ok(Self { pool, writer: Default::default() })
    }
}

impl PostgresStorage {
    pub async fn open(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new().max_connections(32).connect(url).await?;
        sqlx::migrate!("../../migrations/server-postgres").run(&pool).await?;
        Ok(Self { pool, writer: Default::default() })
    }
}

/// An enum's serde name (`"in_review"`), as stored.
fn name_of<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

fn from_name<T: DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|e| StorageError::Corrupt(format!("{s}: {e}")))
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("wire types serialise")
}

fn from_json<T: DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StorageError::Corrupt(e.to_string()))
}

#[derive(sqlx::FromRow)]
struct ApplicationRow {
    id: i64,
    prefecture: String,
    status: String,
    version: i64,
    form: String,
    submitted_by: String,
    received_at: String,
    updated_at: String,
    login_id: Option<String>,
    return_reason: Option<String>,
    reject_reason: Option<String>,
    note: Option<String>,
    address_verified: bool,
    resubmission_of: Option<i64>,
    resubmitted_as: Option<i64>,
}

impl ApplicationRow {
    fn into_application(self) -> Result<Application> {
        Ok(Application {
            id: self.id,
            prefecture: stored_prefecture(&self.prefecture)?,
            status: from_name(&self.status)?,
            version: self.version,
            form: from_json(&self.form)?,
            submitted_by: from_name(&self.submitted_by)?,
            received_at: self.received_at,
            updated_at: self.updated_at,
            login_id: self.login_id,
            return_reason: self.return_reason.as_deref().map(from_name).transpose()?,
            reject_reason: self.reject_reason.as_deref().map(from_name).transpose()?,
            note: self.note,
            address_verified: self.address_verified,
            resubmission_of: self.resubmission_of,
            resubmitted_as: self.resubmitted_as,
        })
    }
}

#[derive(sqlx::FromRow)]
struct NoticeRow {
    id: i64,
    application_id: i64,
    prefecture: String,
    kind: String,
    to_address: String,
    subject: String,
    body: String,
    created_at: String,
    delivery: String,
    desk_body: Option<String>,
}

impl NoticeRow {
    fn into_notice(self) -> Result<Notice> {
        Ok(Notice {
            id: self.id,
            application_id: self.application_id,
            prefecture: stored_prefecture(&self.prefecture)?,
            kind: from_name(&self.kind)?,
            to: self.to_address,
            subject: self.subject,
            body: self.desk_body.unwrap_or(self.body),
            created_at: self.created_at,
            delivery: from_json(&self.delivery)?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    prefecture: String,
    institution_code: String,
    insurance_code: Option<String>,
    institution_name: String,
    login_id: String,
    created_at: String,
}

impl AccountRow {
    fn into_account(self) -> Result<Account> {
        Ok(Account {
            id: self.id,
            prefecture: stored_prefecture(&self.prefecture)?,
            institution_code: self.institution_code,
            insurance_code: self.insurance_code,
            institution_name: self.institution_name,
            login_id: self.login_id,
            created_at: self.created_at,
        })
    }
}

/// A prefecture code as stored; anything else is a damaged row.
fn stored_prefecture(code: &str) -> Result<Prefecture> {
    code.parse().map_err(|_| StorageError::Corrupt(code.to_owned()))
}

/// The form's insurance code as ten plain digits (accounts are matched on it).
fn insurance_digits(form: &ApplicationForm) -> Option<String> {
    form.insurance_code
        .as_deref()?
        .parse::<madoguchi_domain::InsuranceCode>()
        .ok()
        .map(|c| c.digits())
}

const NOTICE_COLUMNS: &str =
    "id, application_id, prefecture, kind, to_address, subject, body, created_at, delivery, desk_body";

/// A notice as the mailer reads it: the body as mailed, link and all.
fn outgoing(row: NoticeRow) -> Result<Outgoing> {
    Ok(Outgoing {
        id: row.id,
        application_id: row.application_id,
        prefecture: stored_prefecture(&row.prefecture)?,
        kind: from_name(&row.kind)?,
        to: row.to_address,
        subject: row.subject,
        body: row.body,
        created_at: row.created_at,
        attempts: from_json::<Delivery>(&row.delivery)?.attempts,
    })
}

const APPLICATION_COLUMNS: &str = "id, prefecture, status, version, form, submitted_by, received_at, updated_at, login_id, return_reason, reject_reason, note, address_verified, resubmission_of, resubmitted_as";

fn random_login_id() -> String {
    let mut rng = rand::thread_rng();
    format!("GM{:08}", rng.gen_range(0..100_000_000u32))
}

fn random_password_link() -> String {
    let token: String = rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(28)
        .map(char::from)
        .collect();
    format!("https://www.med-login.mhlw.go.jp/login?c={token}")
}

/// How a new application enters: at once, or held for its 疎通確認 (`held`), and whom it
/// was entered by, whether its address is known to reach them, what it corrects.
struct Entry<'a> {
    by: SubmittedBy,
    held: Option<&'a AddressCheck>,
    verified: bool,
    resubmission_of: Option<i64>,
}

/// One [`Storage`] implementation per database from one text; `$begin` starts a write
/// transaction, `$order` (if not empty) serialises writers of the changes feed, `$within`
/// (if not empty) only the writers of one prefecture's feed (`$1`, its number) while
/// excluding `$order`'s.
macro_rules! sql_storage {
    ($storage:ty, $db:ty, $begin:literal, $order:literal, $within:literal) => {
        impl $storage {
            /// A write transaction, this process's writers taking turns first: waiting on an
            /// async lock wakes at once, where SQLite's busy handler sleeps for milliseconds.
            async fn write(&self) -> Result<(tokio::sync::MutexGuard<'_, ()>, sqlx::Transaction<'static, $db>)> {
                let turn = self.writer.lock().await;
                let mut tx = self.pool.begin_with($begin).await?;
                if !$order.is_empty() {
                    sqlx::query($order).execute(&mut *tx).await?;
                }
                Ok((turn, tx))
            }

            /// A write transaction that touches only `prefecture`'s feed: where the database
            /// can order each prefecture apart, no turn is taken with other prefectures'.
            async fn write_within(&self, prefecture: Prefecture) -> Result<(Option<tokio::sync::MutexGuard<'_, ()>>, sqlx::Transaction<'static, $db>)> {
                if $within.is_empty() {
                    let (turn, tx) = self.write().await?;
                    return Ok((Some(turn), tx));
                }
                let mut tx = self.pool.begin_with($begin).await?;
                sqlx::query($within).bind(i32::from(prefecture.number())).execute(&mut *tx).await?;
                Ok((None, tx))
            }
        }

        /// One decision inside the caller's write transaction (see [`Storage::decide`]).
        async fn decide_one(
            tx: &mut sqlx::Transaction<'static, $db>,
            officer: &Officer,
            decision: &Decision<'_>,
            public_url: &str,
            now: &str,
        ) -> Result<std::result::Result<Answer, DecisionError>> {
            let Decision { id, request, key, request_hash } = decision;
            let (id, request_hash) = (*id, request_hash.as_str());
            let claimed = sqlx::query(
                "INSERT INTO idempotency (officer_id, key, status, body, request_hash, created_at)
                 VALUES ($1, $2, 0, '', $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(officer.id)
            .bind(key)
            .bind(request_hash)
            .bind(now)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            if claimed == 0 {
                // A repeat: the first answer, never a second decision — if it is the same request.
                let (status, body, first): (i64, String, String) = sqlx::query_as(
                    "SELECT status, body, request_hash FROM idempotency WHERE officer_id = $1 AND key = $2",
                )
                .bind(officer.id)
                .bind(key)
                .fetch_one(&mut **tx)
                .await?;
                // (Keys stored before requests were bound have no hash: taken as theirs.)
                if !first.is_empty() && first != request_hash {
                    return Ok(Err(DecisionError::KeyReused));
                }
                return Ok(Ok(Answer { status: status as u16, body }));
            }
            let sql = format!("SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = $1 AND prefecture = $2 AND confirmed_at IS NOT NULL");
            let current: Option<ApplicationRow> =
                sqlx::query_as(&sql).bind(id).bind(officer.prefecture.code()).fetch_optional(&mut **tx).await?;
            let outcome = match current.map(ApplicationRow::into_application).transpose()? {
                None => Err(DecisionError::NotFound(id)),
                Some(current) => {
                    // A review start needs neither the institution's account nor the
                    // window's contact: only approvals read the one, mails the other.
                    let existing: Option<String> = if request.action.approves() {
                        sqlx::query_scalar(
                            "SELECT login_id FROM accounts
                             WHERE (insurance_code IS NOT NULL AND insurance_code = $1)
                                OR (prefecture = $2 AND institution_code = $3)
                             ORDER BY id LIMIT 1",
                        )
                        .bind(insurance_digits(&current.form))
                        .bind(current.prefecture.code())
                        .bind(current.form.institution_code.trim())
                        .fetch_optional(&mut **tx)
                        .await?
                    } else {
                        None
                    };
                    let settings: Option<String> = if request.action.mails() {
                        sqlx::query_scalar("SELECT payload FROM records WHERE kind = 'prefecture_settings' AND id = $1")
                            .bind(current.prefecture.code())
                            .fetch_optional(&mut **tx)
                            .await?
                    } else {
                        None
                    };
                    let settings = match settings.as_deref().map(from_json::<Entity>).transpose()? {
                        Some(Entity::PrefectureSettings(p)) => Some(p),
                        _ => None,
                    };
                    let context = Context {
                        existing_login: existing.as_deref(),
                        contact: settings.as_ref().and_then(|s| s.contact.as_ref()),
                        public_url,
                    };
                    let issue = Issue {
                        login_id: &random_login_id,
                        password_link: &random_password_link,
                        resubmit_token: &crate::tokens::random_token,
                    };
                    decisions::plan(&current, request, &context, &issue, now).map(|plan| (current, plan))
                }
            };
            let (current, plan) = match outcome {
                Ok(ok) => ok,
                Err(refusal) => {
                    remember(tx, officer.id, key, refusal.status(), &to_json(&refusal.to_api())).await?;
                    return Ok(Err(refusal));
                }
            };
            let next = &plan.next;
            let updated = sqlx::query(
                "UPDATE applications SET status = $1, version = $2, updated_at = $3, login_id = $4,
                     return_reason = $5, reject_reason = $6, note = $7
                 WHERE id = $8 AND version = $9",
            )
            .bind(name_of(&next.status))
            .bind(next.version)
            .bind(&next.updated_at)
            .bind(&next.login_id)
            .bind(next.return_reason.map(|r| name_of(&r)))
            .bind(next.reject_reason.map(|r| name_of(&r)))
            .bind(&next.note)
            .bind(next.id)
            .bind(current.version)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            if updated != 1 {
                return Err(StorageError::Corrupt(format!("application {id} changed under a held write lock")));
            }
            if let Some(token) = &plan.resubmit_token {
                let expires = chrono::DateTime::parse_from_rfc3339(now)
                    .map_err(|e| StorageError::Corrupt(format!("decision time {now}: {e}")))?
                    + chrono::Duration::days(notice::RESUBMIT_DAYS);
                sqlx::query("UPDATE applications SET resubmit_token_hash = $1, resubmit_expires_at = $2 WHERE id = $3")
                    .bind(crate::tokens::token_hash(token))
                    .bind(crate::clock::stamp(expires.with_timezone(&chrono::Utc)))
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
            }
            if let Some(login_id) = &plan.new_account {
                let insurance = insurance_digits(&current.form);
                let account: AccountRow = sqlx::query_as(
                    "INSERT INTO accounts (prefecture, institution_code, insurance_code, institution_name, login_id, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     RETURNING id, prefecture, institution_code, insurance_code, institution_name, login_id, created_at",
                )
                .bind(next.prefecture.code())
                .bind(next.form.institution_code.trim())
                .bind(&insurance)
                .bind(next.form.name.trim())
                .bind(login_id)
                .bind(now)
                .fetch_one(&mut **tx)
                .await?;
                change(tx, next.prefecture, &Entity::Account(account.into_account()?)).await?;
                if let Some(code) = &insurance {
                    mark_account(tx, code).await?;
                }
            }
            let notice = match &plan.notice {
                None => None,
                Some(n) => {
                    let sql = format!(
                        "INSERT INTO notices (application_id, prefecture, kind, to_address, subject, body, created_at, delivery, desk_body)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {NOTICE_COLUMNS}"
                    );
                    let row: NoticeRow = sqlx::query_as(&sql)
                    .bind(next.id)
                    .bind(next.prefecture.code())
                    .bind(name_of(&n.kind))
                    .bind(&n.to)
                    .bind(&n.subject)
                    .bind(&n.body)
                    .bind(now)
                    .bind(to_json(&Delivery::queued(now)))
                    .bind(&n.desk_body)
                    .fetch_one(&mut **tx)
                    .await?;
                    let notice = row.into_notice()?;
                    change(tx, next.prefecture, &Entity::Notice(notice.clone())).await?;
                    Some(notice)
                }
            };
            audit_row(tx, next, Some(officer.id), &request.desk, Some(current.status), plan.reason.as_deref()).await?;
            change(tx, next.prefecture, &Entity::Application(next.clone())).await?;
            let body = to_json(&DecisionResponse { application: next.clone(), notice });
            remember(tx, officer.id, key, 200, &body).await?;
            Ok(Ok(Answer { status: 200, body }))
        }

        /// Adds the entity's new state to the feed of its prefecture.
        async fn change(tx: &mut sqlx::Transaction<'static, $db>, prefecture: Prefecture, entity: &Entity) -> Result<()> {
            let kind = match entity {
                Entity::Application(_) => "application",
                Entity::Notice(_) => "notice",
                Entity::Account(_) => "account",
                Entity::Institution(_) => "institution",
                Entity::Call(_) => "call",
                Entity::PrefectureSettings(_) => "prefecture_settings",
            };
            sqlx::query("INSERT INTO changes (prefecture, entity, payload) VALUES ($1, $2, $3)")
                .bind(prefecture.code())
                .bind(kind)
                .bind(to_json(entity))
                .execute(&mut **tx)
                .await?;
            Ok(())
        }

        async fn audit_row(
            tx: &mut sqlx::Transaction<'static, $db>,
            app: &Application,
            officer: Option<i64>,
            desk: &str,
            from: Option<ApplicationStatus>,
            reason: Option<&str>,
        ) -> Result<()> {
            sqlx::query(
                "INSERT INTO audit (application_id, prefecture, officer_id, desk, at, from_status, to_status, reason, note)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(app.id)
            .bind(app.prefecture.code())
            .bind(officer)
            .bind(desk)
            .bind(&app.updated_at)
            .bind(from.map(|s| name_of(&s)))
            .bind(name_of(&app.status))
            .bind(reason)
            .bind(&app.note)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        /// Stores the answer to an idempotency key: every repeat of the key gets it again.
        async fn remember(tx: &mut sqlx::Transaction<'static, $db>, officer: i64, key: &str, status: u16, body: &str) -> Result<()> {
            sqlx::query("UPDATE idempotency SET status = $1, body = $2 WHERE officer_id = $3 AND key = $4")
                .bind(i64::from(status))
                .bind(body)
                .bind(officer)
                .bind(key)
                .execute(&mut **tx)
                .await?;
            Ok(())
        }

        /// Stores a new application as `entry` says and returns it as the feed will show it.
        async fn insert_application(
            tx: &mut sqlx::Transaction<'static, $db>,
            form: &ApplicationForm,
            prefecture: Prefecture,
            entry: &Entry<'_>,
            now: &str,
        ) -> Result<Application> {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO applications (prefecture, status, version, form, submitted_by, received_at, updated_at,
                     confirmed_at, address_verified, confirm_token_hash, confirm_expires_at, resubmission_of)
                 VALUES ($1, 'submitted', 1, $2, $3, $4, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(prefecture.code())
            .bind(to_json(form))
            .bind(name_of(&entry.by))
            .bind(now)
            .bind(entry.held.is_none().then_some(now))
            .bind(entry.verified)
            .bind(entry.held.map(|c| c.token_hash.as_str()))
            .bind(entry.held.map(|c| c.expires_at.as_str()))
            .bind(entry.resubmission_of)
            .fetch_one(&mut **tx)
            .await?;
            Ok(Application {
                id,
                prefecture,
                status: ApplicationStatus::Submitted,
                version: 1,
                form: form.clone(),
                submitted_by: entry.by,
                received_at: now.to_owned(),
                updated_at: now.to_owned(),
                login_id: None,
                return_reason: None,
                reject_reason: None,
                note: None,
                address_verified: entry.verified,
                resubmission_of: entry.resubmission_of,
                resubmitted_as: None,
            })
        }

        /// Ends returned application `returned` as 再申請済み, replaced by `successor`; its
        /// link stops working. Nothing if it is no longer returned (another came first).
        async fn close_returned(tx: &mut sqlx::Transaction<'static, $db>, returned: i64, successor: i64, now: &str) -> Result<()> {
            let sql = format!("SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = $1 AND status = 'returned_for_correction'");
            let Some(row) = sqlx::query_as::<_, ApplicationRow>(&sql).bind(returned).fetch_optional(&mut **tx).await? else {
                return Ok(());
            };
            let mut app = row.into_application()?;
            let from = app.status;
            app.status = from.apply(madoguchi_domain::Action::Resubmit).map_err(|e| StorageError::Corrupt(e.to_string()))?;
            app.version += 1;
            app.updated_at = now.to_owned();
            app.resubmitted_as = Some(successor);
            sqlx::query(
                "UPDATE applications SET status = $1, version = $2, updated_at = $3, resubmitted_as = $4,
                     resubmit_token_hash = NULL WHERE id = $5",
            )
            .bind(name_of(&app.status))
            .bind(app.version)
            .bind(now)
            .bind(successor)
            .bind(returned)
            .execute(&mut **tx)
            .await?;
            audit_row(tx, &app, None, "intake", Some(from), Some(&format!("再申請（受付番号 {successor}）"))).await?;
            change(tx, app.prefecture, &Entity::Application(app)).await?;
            Ok(())
        }

        /// Re-marks the registry entry of `insurance_code` as having an account, into the feed.
        async fn mark_account(tx: &mut sqlx::Transaction<'static, $db>, insurance_code: &str) -> Result<()> {
            let rows: Vec<(i64, String)> =
                sqlx::query_as("SELECT id, entry FROM institutions WHERE insurance_code = $1")
                    .bind(insurance_code)
                    .fetch_all(&mut **tx)
                    .await?;
            for (id, entry) in rows {
                let mut entry: RegistryEntry = from_json(&entry)?;
                if entry.has_account {
                    continue;
                }
                entry.has_account = true;
                sqlx::query("UPDATE institutions SET entry = $1 WHERE id = $2")
                    .bind(to_json(&entry))
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                change(tx, entry.prefecture, &Entity::Institution(entry)).await?;
            }
            Ok(())
        }

        /// Applies a delivery event to notice `id` inside `tx`: its delivery, the audit, the
        /// feed; nothing when the event cannot follow the notice's state.
        async fn settle(
            tx: &mut sqlx::Transaction<'static, $db>,
            id: i64,
            event: &DeliveryEvent,
            retry_at: Option<&str>,
        ) -> Result<()> {
            let sql = format!("SELECT {NOTICE_COLUMNS} FROM notices WHERE id = $1");
            let Some(row) = sqlx::query_as::<_, NoticeRow>(&sql).bind(id).fetch_optional(&mut **tx).await? else {
                return Ok(());
            };
            let mut notice = row.into_notice()?;
            if let Err(e) = notice.delivery.apply(event.clone()) {
                log::info!("notice {id}: {e}; kept as it was");
                return Ok(());
            }
            let state = name_of(&event.state);
            sqlx::query(
                "UPDATE notices SET delivery = $1, delivery_state = $2, next_attempt_at = $3, lease_until = NULL WHERE id = $4",
            )
            .bind(to_json(&notice.delivery))
            .bind(&state)
            .bind(retry_at.unwrap_or(""))
            .bind(id)
            .execute(&mut **tx)
            .await?;
            sqlx::query("INSERT INTO delivery_audit (notice_id, prefecture, at, state, event) VALUES ($1, $2, $3, $4, $5)")
                .bind(id)
                .bind(notice.prefecture.code())
                .bind(&event.at)
                .bind(&state)
                .bind(to_json(event))
                .execute(&mut **tx)
                .await?;
            // The 疎通確認 mail, and any mail of an application not yet confirmed, stay here.
            let confirmed: Option<String> =
                sqlx::query_scalar("SELECT confirmed_at FROM applications WHERE id = $1")
                    .bind(notice.application_id)
                    .fetch_optional(&mut **tx)
                    .await?
                    .flatten();
            if confirmed.is_some() && notice.kind != madoguchi_domain::NoticeKind::AddressCheck {
                change(tx, notice.prefecture, &Entity::Notice(notice)).await?;
            }
            Ok(())
        }

        #[async_trait]
        impl Storage for $storage {
            async fn create_officer(&self, prefecture: Prefecture, name: &str, token_hash: &str, expires_at: &str) -> Result<Officer> {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO officers (prefecture, name, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(prefecture.code())
                .bind(name)
                .bind(token_hash)
                .bind(crate::clock::now())
                .bind(expires_at)
                .fetch_one(&self.pool)
                .await?;
                Ok(Officer { id, prefecture, name: name.to_owned() })
            }

            async fn officer_by_token_hash(&self, token_hash: &str) -> Result<Option<Officer>> {
                let now = crate::clock::now();
                let row: Option<(i64, String, String, Option<String>)> = sqlx::query_as(
                    "SELECT id, prefecture, name, last_used_at FROM officers
                     WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
                )
                .bind(token_hash)
                .bind(&now)
                .fetch_optional(&self.pool)
                .await?;
                let Some((id, pref, name, last_used)) = row else { return Ok(None) };
                // Noted to the five minutes: not a write on every request.
                let stale = crate::clock::stamp(chrono::Utc::now() - chrono::Duration::minutes(5));
                if last_used.is_none_or(|at| at < stale) {
                    let (_writer, mut tx) = self.write().await?;
                    sqlx::query("UPDATE officers SET last_used_at = $1 WHERE id = $2")
                        .bind(&now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                }
                Ok(Some(Officer { id, prefecture: stored_prefecture(&pref)?, name }))
            }

            async fn import_accounts(
                &self,
                prefecture: Prefecture,
                rows: &[crate::account_import::AccountLine],
                apply: bool,
            ) -> Result<crate::account_import::Outcome> {
                use crate::account_import::{Conflict, Outcome};
                let (_writer, mut tx) = self.write().await?;
                let mut outcome = Outcome::default();
                let registry: Option<i64> =
                    sqlx::query_scalar("SELECT 1 FROM institutions LIMIT 1").fetch_optional(&mut *tx).await?;
                let now = crate::clock::now();
                for row in rows {
                    let mut conflict = |message: String| outcome.conflicts.push(Conflict { line: row.line, message });
                    let held: Option<(String, String, Option<String>)> = sqlx::query_as(
                        "SELECT prefecture, institution_code, insurance_code FROM accounts WHERE login_id = $1",
                    )
                    .bind(&row.login_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    match held {
                        Some((p, code, insurance))
                            if p == prefecture.code()
                                && (code == row.institution_code || (insurance.is_some() && insurance == row.insurance_code)) =>
                        {
                            outcome.unchanged += 1;
                            continue;
                        }
                        Some(_) => {
                            conflict(format!("{}行目: このログインIDは別の機関のアカウントとして登録済みです。", row.line));
                            continue;
                        }
                        None => {}
                    }
                    let other: Option<i64> = sqlx::query_scalar(
                        "SELECT id FROM accounts
                         WHERE (insurance_code IS NOT NULL AND insurance_code = $1) OR (prefecture = $2 AND institution_code = $3)
                         LIMIT 1",
                    )
                    .bind(&row.insurance_code)
                    .bind(prefecture.code())
                    .bind(&row.institution_code)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if other.is_some() {
                        conflict(format!("{}行目: この機関には別のログインIDのアカウントが登録済みです。", row.line));
                        continue;
                    }
                    if let (Some(code), Some(_)) = (&row.insurance_code, registry) {
                        let listed: Option<i64> = sqlx::query_scalar("SELECT 1 FROM institutions WHERE insurance_code = $1 LIMIT 1")
                            .bind(code)
                            .fetch_optional(&mut *tx)
                            .await?;
                        if listed.is_none() {
                            outcome.unknown_to_registry.push(row.line);
                        }
                    }
                    let account: AccountRow = sqlx::query_as(
                        "INSERT INTO accounts (prefecture, institution_code, insurance_code, institution_name, login_id, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6)
                         RETURNING id, prefecture, institution_code, insurance_code, institution_name, login_id, created_at",
                    )
                    .bind(prefecture.code())
                    .bind(&row.institution_code)
                    .bind(&row.insurance_code)
                    .bind(&row.institution_name)
                    .bind(&row.login_id)
                    .bind(&now)
                    .fetch_one(&mut *tx)
                    .await?;
                    change(&mut tx, prefecture, &Entity::Account(account.into_account()?)).await?;
                    outcome.added.push(row.clone());
                }
                if apply {
                    tx.commit().await?;
                }
                Ok(outcome)
            }

            async fn officers(&self, prefecture: Option<Prefecture>) -> Result<Vec<OfficerToken>> {
                Ok(sqlx::query_as(
                    "SELECT id, prefecture, name, created_at, expires_at, last_used_at, revoked_at FROM officers
                     WHERE $1 = '' OR prefecture = $1 ORDER BY id",
                )
                .bind(prefecture.map(|p| p.code()).unwrap_or_default())
                .fetch_all(&self.pool)
                .await?)
            }

            async fn revoke_officer(&self, id: i64) -> Result<bool> {
                let (_writer, mut tx) = self.write().await?;
                let done = sqlx::query("UPDATE officers SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2")
                    .bind(crate::clock::now())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                tx.commit().await?;
                Ok(done == 1)
            }

            async fn rotate_officer(&self, id: i64, token_hash: &str, expires_at: &str) -> Result<bool> {
                let (_writer, mut tx) = self.write().await?;
                let done = sqlx::query(
                    "UPDATE officers SET token_hash = $1, expires_at = $2, last_used_at = NULL
                     WHERE id = $3 AND revoked_at IS NULL",
                )
                .bind(token_hash)
                .bind(expires_at)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                tx.commit().await?;
                Ok(done == 1)
            }

            async fn submit(&self, form: &ApplicationForm, valid: &ValidForm, by: SubmittedBy, now: &str) -> Result<Receipt> {
                let (_writer, mut tx) = self.write().await?;
                let entry = Entry { by, held: None, verified: false, resubmission_of: None };
                let app = insert_application(&mut tx, form, valid.prefecture, &entry, now).await?;
                let id = app.id;
                audit_row(&mut tx, &app, None, "intake", None, None).await?;
                change(&mut tx, app.prefecture, &Entity::Application(app)).await?;
                tx.commit().await?;
                Ok(Receipt { id, prefecture: valid.prefecture, received_at: now.to_owned() })
            }

            async fn submit_unconfirmed(
                &self,
                form: &ApplicationForm,
                valid: &ValidForm,
                check: &AddressCheck,
                resubmission_of: Option<i64>,
                now: &str,
            ) -> Result<Option<Receipt>> {
                let (_writer, mut tx) = self.write().await?;
                // The same institution (by insurance code, else 機関コード) with the same address,
                // still waiting for its link or for a decision: not a second application.
                let email = form.email.trim().to_lowercase();
                let key = insurance_digits(form);
                let sql = format!(
                    "SELECT {APPLICATION_COLUMNS} FROM applications WHERE prefecture = $1
                     AND ((confirmed_at IS NULL AND confirm_expires_at > $2) OR status IN ('submitted', 'in_review'))"
                );
                let open: Vec<ApplicationRow> =
                    sqlx::query_as(&sql).bind(valid.prefecture.code()).bind(now).fetch_all(&mut *tx).await?;
                for row in open {
                    let app = row.into_application()?;
                    let same_institution = match (&key, insurance_digits(&app.form)) {
                        (Some(a), Some(b)) => *a == b,
                        _ => app.form.institution_code.trim() == form.institution_code.trim(),
                    };
                    if same_institution && app.form.email.trim().to_lowercase() == email {
                        return Ok(None);
                    }
                }
                let entry = Entry { by: SubmittedBy::Institution, held: Some(check), verified: false, resubmission_of };
                let id = insert_application(&mut tx, form, valid.prefecture, &entry, now).await?.id;
                sqlx::query(
                    "INSERT INTO notices (application_id, prefecture, kind, to_address, subject, body, created_at, delivery)
                     VALUES ($1, $2, 'address_check', $3, $4, $5, $6, $7)",
                )
                .bind(id)
                .bind(valid.prefecture.code())
                .bind(form.email.trim())
                .bind(&check.subject)
                .bind(&check.body)
                .bind(now)
                .bind(to_json(&Delivery::queued(now)))
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Some(Receipt { id, prefecture: valid.prefecture, received_at: now.to_owned() }))
            }

            async fn confirm_address(&self, token_hash: &str, now: &str) -> Result<Confirmation> {
                let (_writer, mut tx) = self.write().await?;
                let sql = format!(
                    "SELECT {APPLICATION_COLUMNS} FROM applications
                     WHERE confirm_token_hash = $1 AND confirmed_at IS NULL AND confirm_expires_at > $2"
                );
                let Some(row) = sqlx::query_as::<_, ApplicationRow>(&sql).bind(token_hash).bind(now).fetch_optional(&mut *tx).await? else {
                    return Ok(Confirmation::Unusable);
                };
                let mut app = row.into_application()?;
                sqlx::query(
                    "UPDATE applications SET confirmed_at = $1, address_verified = $2, confirm_token_hash = NULL WHERE id = $3",
                )
                .bind(now)
                .bind(true)
                .bind(app.id)
                .execute(&mut *tx)
                .await?;
                app.address_verified = true;
                if let Some(returned) = app.resubmission_of {
                    close_returned(&mut tx, returned, app.id, now).await?;
                }
                audit_row(&mut tx, &app, None, "intake", None, Some("メールアドレス確認済み")).await?;
                change(&mut tx, app.prefecture, &Entity::Application(app.clone())).await?;
                tx.commit().await?;
                Ok(Confirmation::Confirmed(Receipt { id: app.id, prefecture: app.prefecture, received_at: app.received_at }))
            }

            async fn purge_unconfirmed(&self, now: &str) -> Result<usize> {
                let (_writer, mut tx) = self.write().await?;
                let ids: Vec<i64> = sqlx::query_scalar(
                    "SELECT id FROM applications WHERE confirmed_at IS NULL AND confirm_expires_at <= $1",
                )
                .bind(now)
                .fetch_all(&mut *tx)
                .await?;
                for id in &ids {
                    for sql in [
                        "UPDATE inbound_mail SET notice_id = NULL WHERE notice_id IN (SELECT id FROM notices WHERE application_id = $1)",
                        "DELETE FROM delivery_audit WHERE notice_id IN (SELECT id FROM notices WHERE application_id = $1)",
                        "DELETE FROM notices WHERE application_id = $1",
                        "DELETE FROM audit WHERE application_id = $1",
                        "DELETE FROM applications WHERE id = $1",
                    ] {
                        sqlx::query(sql).bind(id).execute(&mut *tx).await?;
                    }
                }
                tx.commit().await?;
                Ok(ids.len())
            }

            async fn returned_by_token(&self, token_hash: &str, now: &str) -> Result<Option<Application>> {
                let sql = format!(
                    "SELECT {APPLICATION_COLUMNS} FROM applications WHERE resubmit_token_hash = $1
                     AND resubmit_expires_at > $2 AND status = 'returned_for_correction'"
                );
                let row: Option<ApplicationRow> =
                    sqlx::query_as(&sql).bind(token_hash).bind(now).fetch_optional(&self.pool).await?;
                row.map(ApplicationRow::into_application).transpose()
            }

            async fn resubmit(&self, token_hash: &str, form: &ApplicationForm, valid: &ValidForm, now: &str) -> Result<Option<Receipt>> {
                let (_writer, mut tx) = self.write().await?;
                let returned: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM applications WHERE resubmit_token_hash = $1
                     AND resubmit_expires_at > $2 AND status = 'returned_for_correction' AND prefecture = $3",
                )
                .bind(token_hash)
                .bind(now)
                .bind(valid.prefecture.code())
                .fetch_optional(&mut *tx)
                .await?;
                let Some(returned) = returned else { return Ok(None) };
                let entry = Entry { by: SubmittedBy::Institution, held: None, verified: true, resubmission_of: Some(returned) };
                let app = insert_application(&mut tx, form, valid.prefecture, &entry, now).await?;
                let id = app.id;
                close_returned(&mut tx, returned, id, now).await?;
                let reason = format!("再申請（差戻しの受付番号 {returned}）");
                audit_row(&mut tx, &app, None, "intake", None, Some(&reason)).await?;
                change(&mut tx, app.prefecture, &Entity::Application(app)).await?;
                tx.commit().await?;
                Ok(Some(Receipt { id, prefecture: valid.prefecture, received_at: now.to_owned() }))
            }

            async fn application(&self, prefecture: Prefecture, id: i64) -> Result<Option<Application>> {
                let sql = format!("SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = $1 AND prefecture = $2 AND confirmed_at IS NOT NULL");
                let row: Option<ApplicationRow> =
                    sqlx::query_as(&sql).bind(id).bind(prefecture.code()).fetch_optional(&self.pool).await?;
                row.map(ApplicationRow::into_application).transpose()
            }

            async fn audit(&self, prefecture: Prefecture, id: i64) -> Result<Vec<AuditEntry>> {
                // The trail of every application in its chain of 再申請, oldest first.
                let mut chain = vec![id];
                for forward in [false, true] {
                    let mut at = id;
                    while chain.len() < 50 {
                        let column = if forward { "resubmitted_as" } else { "resubmission_of" };
                        let sql = format!("SELECT {column} FROM applications WHERE id = $1 AND prefecture = $2");
                        let next: Option<Option<i64>> =
                            sqlx::query_scalar(&sql).bind(at).bind(prefecture.code()).fetch_optional(&self.pool).await?;
                        match next.flatten() {
                            Some(n) if !chain.contains(&n) => { chain.push(n); at = n; }
                            _ => break,
                        }
                    }
                }
                type Row = (i64, String, Option<String>, String, Option<String>, String, Option<String>, Option<String>);
                let mut entries = Vec::new();
                for application in chain {
                    let rows: Vec<Row> = sqlx::query_as(
                        "SELECT a.id, a.at, o.name AS officer, a.desk, a.from_status, a.to_status, a.reason, a.note
                         FROM audit a LEFT JOIN officers o ON o.id = a.officer_id
                         WHERE a.application_id = $1 AND a.prefecture = $2 ORDER BY a.id",
                    )
                    .bind(application)
                    .bind(prefecture.code())
                    .fetch_all(&self.pool)
                    .await?;
                    entries.extend(rows.into_iter().map(|(seq, at, officer, desk, from_status, to_status, reason, note)| {
                        (seq, AuditEntry { application_id: application, at, officer, desk, from_status, to_status, reason, note })
                    }));
                }
                entries.sort_by_key(|(seq, _)| *seq);
                Ok(entries.into_iter().map(|(_, e)| e).collect())
            }

            async fn decide(
                &self,
                officer: &Officer,
                decisions: &[Decision<'_>],
                public_url: &str,
                now: &str,
            ) -> Result<Vec<std::result::Result<Answer, DecisionError>>> {
                let (_writer, mut tx) = self.write_within(officer.prefecture).await?;
                let mut answers = Vec::with_capacity(decisions.len());
                for decision in decisions {
                    answers.push(decide_one(&mut tx, officer, decision, public_url, now).await?);
                }
                tx.commit().await?;
                Ok(answers)
            }

            async fn changes(&self, prefecture: Prefecture, since: i64, limit: i64) -> Result<ChangesPage> {
                let mut rows: Vec<(i64, String)> = sqlx::query_as(
                    "SELECT seq, payload FROM changes WHERE prefecture = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                )
                .bind(prefecture.code())
                .bind(since)
                .bind(limit + 1)
                .fetch_all(&self.pool)
                .await?;
                let has_more = rows.len() as i64 > limit;
                rows.truncate(limit as usize);
                let next_cursor = rows.last().map_or(since, |(seq, _)| *seq);
                let changes = rows
                    .into_iter()
                    .map(|(seq, payload)| Ok(Change { seq, entity: from_json(&payload)? }))
                    .collect::<Result<Vec<_>>>()?;
                Ok(ChangesPage { changes, next_cursor, has_more, sender: None })
            }

            async fn notices(&self, prefecture: Prefecture, since_id: i64, limit: i64) -> Result<Vec<Notice>> {
                let sql = format!(
                    "SELECT {NOTICE_COLUMNS} FROM notices WHERE prefecture = $1 AND id > $2 AND kind <> 'address_check'
                     AND application_id IN (SELECT id FROM applications WHERE confirmed_at IS NOT NULL) ORDER BY id LIMIT $3"
                );
                let rows: Vec<NoticeRow> = sqlx::query_as(&sql)
                .bind(prefecture.code())
                .bind(since_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(NoticeRow::into_notice).collect()
            }

            async fn accounts(&self, prefecture: Prefecture) -> Result<Vec<Account>> {
                let rows: Vec<AccountRow> = sqlx::query_as(
                    "SELECT id, prefecture, institution_code, insurance_code, institution_name, login_id, created_at
                     FROM accounts WHERE prefecture = $1 ORDER BY id",
                )
                .bind(prefecture.code())
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(AccountRow::into_account).collect()
            }

            async fn put_record(&self, prefecture: Prefecture, record: &Record) -> Result<PutRecord> {
                let (_writer, mut tx) = self.write_within(prefecture).await?;
                let held: Option<(String, String, i64)> = sqlx::query_as(
                    "SELECT prefecture, payload, version FROM records WHERE kind = $1 AND id = $2",
                )
                .bind(record.kind)
                .bind(&record.id)
                .fetch_optional(&mut *tx)
                .await?;
                let version = match &held {
                    Some((owner, ..)) if *owner != prefecture.code() => {
                        return Ok(PutRecord::OtherPrefecture)
                    }
                    // The same copy again (a retry after a lost answer): already held.
                    Some((_, payload, v)) if *payload == to_json(&record.at_version(*v)) => {
                        return Ok(PutRecord::Held(*v))
                    }
                    Some((_, payload, v)) if *v != record.base_version() => {
                        return Ok(PutRecord::Stale(Box::new(from_json(payload)?)))
                    }
                    Some((.., v)) => v + 1,
                    None => 1,
                };
                let entity = record.at_version(version);
                sqlx::query(
                    "INSERT INTO records (kind, id, prefecture, payload, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (kind, id) DO UPDATE SET payload = excluded.payload, updated_at = excluded.updated_at,
                         version = excluded.version",
                )
                .bind(record.kind)
                .bind(&record.id)
                .bind(prefecture.code())
                .bind(to_json(&entity))
                .bind(crate::clock::now())
                .bind(version)
                .execute(&mut *tx)
                .await?;
                change(&mut tx, prefecture, &entity).await?;
                tx.commit().await?;
                Ok(PutRecord::Held(version))
            }

            async fn prune_idempotency(&self, before: &str) -> Result<usize> {
                let (_writer, mut tx) = self.write().await?;
                let pruned = sqlx::query("DELETE FROM idempotency WHERE created_at < $1")
                    .bind(before)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                tx.commit().await?;
                Ok(pruned as usize)
            }

            async fn import_registry(&self, records: &[InstitutionRecord]) -> Result<usize> {
                let (_writer, mut tx) = self.write().await?;
                let mut changed = 0;
                for r in records {
                    let code = r.insurance_code.map(|c| c.digits());
                    let has_account: Option<i64> = match &code {
                        Some(c) => sqlx::query_scalar("SELECT 1 FROM accounts WHERE insurance_code = $1 LIMIT 1")
                            .bind(c)
                            .fetch_optional(&mut *tx)
                            .await?,
                        None => None,
                    };
                    let entry = RegistryEntry {
                        source: r.source.as_str().to_owned(),
                        source_key: r.key.clone(),
                        insurance_code: code.clone(),
                        kind: r.kind.map(|k| k.key().to_owned()),
                        name: r.name.clone(),
                        kana: r.kana.clone(),
                        prefecture: r.prefecture,
                        postal_code: r.postal_code.map(|p| p.digits()),
                        address: r.address.clone(),
                        has_account: has_account.is_some(),
                    };
                    let json = to_json(&entry);
                    let before: Option<String> =
                        sqlx::query_scalar("SELECT entry FROM institutions WHERE source = $1 AND source_key = $2")
                            .bind(&entry.source)
                            .bind(&entry.source_key)
                            .fetch_optional(&mut *tx)
                            .await?;
                    if before.as_deref() == Some(json.as_str()) {
                        continue;
                    }
                    sqlx::query(
                        "INSERT INTO institutions (prefecture, source, source_key, insurance_code, entry) VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (source, source_key) DO UPDATE SET prefecture = excluded.prefecture,
                             insurance_code = excluded.insurance_code, entry = excluded.entry",
                    )
                    .bind(entry.prefecture.code())
                    .bind(&entry.source)
                    .bind(&entry.source_key)
                    .bind(&code)
                    .bind(&json)
                    .execute(&mut *tx)
                    .await?;
                    change(&mut tx, entry.prefecture, &Entity::Institution(entry)).await?;
                    changed += 1;
                }
                tx.commit().await?;
                Ok(changed)
            }

            async fn due_notices(&self, now: &str, limit: i64) -> Result<Vec<Outgoing>> {
                let sql = format!(
                    "SELECT {NOTICE_COLUMNS} FROM notices WHERE delivery_state = 'queued' AND next_attempt_at <= $1 ORDER BY id LIMIT $2"
                );
                let rows: Vec<NoticeRow> = sqlx::query_as(&sql).bind(now).bind(limit).fetch_all(&self.pool).await?;
                rows.into_iter().map(outgoing).collect()
            }

            async fn mail_of(&self, application_id: i64) -> Result<Vec<Outgoing>> {
                let sql = format!("SELECT {NOTICE_COLUMNS} FROM notices WHERE application_id = $1 ORDER BY id");
                let rows: Vec<NoticeRow> = sqlx::query_as(&sql).bind(application_id).fetch_all(&self.pool).await?;
                rows.into_iter().map(outgoing).collect()
            }

            async fn claim_notice(&self, id: i64, message_id: &str, lease_until: &str) -> Result<bool> {
                let _turn = self.writer.lock().await;
                let claimed = sqlx::query(
                    "UPDATE notices SET delivery_state = 'sending', lease_until = $1, message_id = $2
                     WHERE id = $3 AND delivery_state = 'queued'",
                )
                .bind(lease_until)
                .bind(message_id)
                .bind(id)
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(claimed == 1)
            }

            async fn record_mail(&self, batch: &[MailRecord]) -> Result<()> {
                let (_writer, mut tx) = self.write().await?;
                for record in batch {
                    match record {
                        MailRecord::Settle { id, event, retry_at } => {
                            settle(&mut tx, *id, event, retry_at.as_deref()).await?;
                        }
                        MailRecord::Keep { mail, events } => {
                            for (id, event) in events {
                                settle(&mut tx, *id, event, None).await?;
                            }
                            sqlx::query(
                                "INSERT INTO inbound_mail (received_at, envelope_from, envelope_to, verdict, notice_id, size, raw)
                                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                            )
                            .bind(&mail.received_at)
                            .bind(&mail.envelope_from)
                            .bind(&mail.envelope_to)
                            .bind(mail.verdict)
                            .bind(mail.notice_id)
                            .bind(mail.size)
                            .bind(&mail.raw)
                            .execute(&mut *tx)
                            .await?;
                        }
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            async fn expired_claims(&self, now: &str) -> Result<Vec<i64>> {
                Ok(sqlx::query_scalar("SELECT id FROM notices WHERE delivery_state = 'sending' AND lease_until < $1 ORDER BY id")
                    .bind(now)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn prefecture_settings(
                &self,
                prefecture: Prefecture,
            ) -> Result<Option<madoguchi_domain::api::PrefectureSettings>> {
                let payload: Option<String> = sqlx::query_scalar(
                    "SELECT payload FROM records WHERE kind = 'prefecture_settings' AND id = $1",
                )
                .bind(prefecture.code())
                .fetch_optional(&self.pool)
                .await?;
                Ok(match payload.as_deref().map(from_json::<Entity>).transpose()? {
                    Some(Entity::PrefectureSettings(p)) => Some(p),
                    _ => None,
                })
            }

            async fn notice_message_id(&self, id: i64) -> Result<Option<String>> {
                Ok(sqlx::query_scalar::<_, Option<String>>("SELECT message_id FROM notices WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .flatten())
            }

            async fn inbound_counts(&self) -> Result<Vec<(String, i64)>> {
                Ok(sqlx::query_as("SELECT verdict, COUNT(*) FROM inbound_mail GROUP BY verdict ORDER BY verdict")
                    .fetch_all(&self.pool)
                    .await?)
            }
        }
    };
}

mod sqlite_impl {
    use super::*;
    sql_storage!(SqliteStorage, sqlx::Sqlite, "BEGIN IMMEDIATE", "", "");
}

mod postgres_impl {
    use super::*;
    sql_storage!(
        PostgresStorage,
        sqlx::Postgres,
        "BEGIN",
        "SELECT pg_advisory_xact_lock(7204)",
        "SELECT pg_advisory_xact_lock_shared(7204), pg_advisory_xact_lock(7205, $1)"
    );
}
