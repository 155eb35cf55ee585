//! 保存先: the server's storage behind one trait, with an implementation per database —
//! SQLite (one file, no setup; the default) and PostgreSQL (a national deployment). Both run
//! the same shared test suite.

mod sql;

use std::sync::Arc;

use async_trait::async_trait;
use madoguchi_domain::api::{
    Account, Application, AuditEntry, ChangesPage, DecisionRequest, Entity, Notice, Receipt,
    SubmittedBy,
};
use madoguchi_domain::{ApplicationForm, DeliveryEvent, NoticeKind, Prefecture, ValidForm};
use madoguchi_registry::InstitutionRecord;

pub use sql::{PostgresStorage, SqliteStorage};

use crate::decisions::DecisionError;

/// A prefecture officer, as authenticated by a bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Officer {
    pub id: i64,
    pub prefecture: Prefecture,
    pub name: String,
}

/// An officer's token as `officer list` shows it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OfficerToken {
    pub id: i64,
    pub prefecture: String,
    pub name: String,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// One decision to apply: the application, what was asked, and the key it was asked under.
#[derive(Debug, Clone)]
pub struct Decision<'a> {
    pub id: i64,
    pub request: &'a DecisionRequest,
    pub key: &'a str,
    pub request_hash: String,
}

/// What a decision request came to: the first answer to its idempotency key, replayed for
/// every repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

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
}

pub type Result<T> = std::result::Result<T, StorageError>;

#[async_trait]
pub trait Storage: Send + Sync {
    /// A new officer whose token (stored as its hash) is valid until `expires_at`.
    async fn create_officer(
        &self,
        prefecture: Prefecture,
        name: &str,
        token_hash: &str,
        expires_at: &str,
    ) -> Result<Officer>;
    /// The officer a token belongs to, unless it was revoked or has expired; notes its use.
    async fn officer_by_token_hash(&self, token_hash: &str) -> Result<Option<Officer>>;
    /// Adds the prefecture's existing G-MIS accounts read from its export, in one transaction
    /// (`apply` false: a dry run, nothing kept). An account already held is unchanged; a
    /// login ID of another institution, or an institution with another login ID, is a conflict
    /// and not added; each added one enters the feed.
    async fn import_accounts(
        &self,
        prefecture: Prefecture,
        rows: &[crate::account_import::AccountLine],
        apply: bool,
    ) -> Result<crate::account_import::Outcome>;
    /// Every officer (of `prefecture`), with their token's dates.
    async fn officers(&self, prefecture: Option<Prefecture>) -> Result<Vec<OfficerToken>>;
    /// Ends officer `id`'s token now; false if there is no such officer.
    async fn revoke_officer(&self, id: i64) -> Result<bool>;
    /// Gives officer `id` a new token (its hash) valid until `expires_at`; the old one stops
    /// working. False if there is no such officer or it was revoked.
    async fn rotate_officer(&self, id: i64, token_hash: &str, expires_at: &str) -> Result<bool>;

    /// Stores a validated application and its first change and audit rows.
    async fn submit(
        &self,
        form: &ApplicationForm,
        valid: &ValidForm,
        by: SubmittedBy,
        now: &str,
    ) -> Result<Receipt>;

    /// Stores an application from the open internet, unconfirmed: out of the feed and the
    /// officers' reach until [`Storage::confirm_address`], with its 疎通確認 mail queued.
    /// `None`: the same institution already has one pending with the same address. A
    /// resubmission names the returned application it corrects: once confirmed, it ends it.
    async fn submit_unconfirmed(
        &self,
        form: &ApplicationForm,
        valid: &ValidForm,
        check: &AddressCheck,
        resubmission_of: Option<i64>,
        now: &str,
    ) -> Result<Option<Receipt>>;

    /// The returned application whose 差戻し mail carried the link token hashing to
    /// `token_hash`, while the link is good (not expired, not yet resubmitted).
    async fn returned_by_token(&self, token_hash: &str, now: &str) -> Result<Option<Application>>;

    /// 再申請 to the same address the 差戻し mail reached (so already verified): the corrected
    /// application enters the queue linked to the returned one, which ends as 再申請済み, in
    /// one transaction. `None`: the link is no longer good, or the form left the prefecture.
    async fn resubmit(
        &self,
        token_hash: &str,
        form: &ApplicationForm,
        valid: &ValidForm,
        now: &str,
    ) -> Result<Option<Receipt>>;

    /// Opens the 疎通確認 link whose token hashes to `token_hash`: the application enters the
    /// feed, marked address-verified. The link works once, until it expires.
    async fn confirm_address(&self, token_hash: &str, now: &str) -> Result<Confirmation>;

    /// Deletes unconfirmed applications whose link expired before `now`, with their mail.
    async fn purge_unconfirmed(&self, now: &str) -> Result<usize>;

    /// The application if it belongs to `prefecture`.
    async fn application(&self, prefecture: Prefecture, id: i64) -> Result<Option<Application>>;
    async fn audit(&self, prefecture: Prefecture, id: i64) -> Result<Vec<AuditEntry>>;

    /// Applies decisions in order, in one transaction, each on its own: idempotency key,
    /// version check, state machine, account, notice, audit and changes. Each answer (success
    /// or refusal) is stored under its key, bound to its request (`request_hash`: its path and
    /// body); the key again with another request is refused. A refusal does not stop the ones
    /// after it. `public_url` starts a 差戻し mail's resubmission link.
    async fn decide(
        &self,
        officer: &Officer,
        decisions: &[Decision<'_>],
        public_url: &str,
        now: &str,
    ) -> Result<Vec<std::result::Result<Answer, DecisionError>>>;

    /// Forgets stored idempotent answers older than `before` (desks retry within minutes).
    async fn prune_idempotency(&self, before: &str) -> Result<usize>;

    async fn changes(&self, prefecture: Prefecture, since: i64, limit: i64) -> Result<ChangesPage>;
    async fn notices(
        &self,
        prefecture: Prefecture,
        since_id: i64,
        limit: i64,
    ) -> Result<Vec<Notice>>;
    async fn accounts(&self, prefecture: Prefecture) -> Result<Vec<Account>>;

    /// Stores a whole record (a call, the prefecture's settings) made on the version the
    /// server holds, as the next version; a stored one enters the feed. Another prefecture's
    /// record and a change made on an older version change nothing.
    async fn put_record(&self, prefecture: Prefecture, record: &Record) -> Result<PutRecord>;

    /// The prefecture's settings as its desks last stored them, if any.
    async fn prefecture_settings(
        &self,
        prefecture: Prefecture,
    ) -> Result<Option<madoguchi_domain::api::PrefectureSettings>>;

    /// Upserts registry rows (from the shared importer); each changed one enters the feed.
    async fn import_registry(&self, records: &[InstitutionRecord]) -> Result<usize>;

    /// Notices waiting for the relay whose (next) attempt is due at `now`, oldest first.
    async fn due_notices(&self, now: &str, limit: i64) -> Result<Vec<Outgoing>>;
    /// Every mail of application `id` as composed, whatever became of it, the 疎通確認 one
    /// included (for support staff and tests; desks get theirs through the feed).
    async fn mail_of(&self, application_id: i64) -> Result<Vec<Outgoing>>;
    /// Claims a due notice for one attempt (`sending`) under `message_id`, until
    /// `lease_until`; `false` if another process has it or it is no longer due.
    async fn claim_notice(&self, id: i64, message_id: &str, lease_until: &str) -> Result<bool>;
    /// Records what became of notices (the relay's answers, reports) and the mail received,
    /// all in one transaction: each delivery event with the audit and the feed. An event that
    /// cannot follow its notice's state (a late or repeated report) changes nothing.
    async fn record_mail(&self, batch: &[MailRecord]) -> Result<()>;
    /// Claims whose lease ran out before an answer was recorded (a process stopped mid-send).
    async fn expired_claims(&self, now: &str) -> Result<Vec<i64>>;
    /// The Message-ID a notice was sent under, if it was.
    async fn notice_message_id(&self, id: i64) -> Result<Option<String>>;
    /// Received mail by verdict (`matched`, `unmatched`, `not_report`, `too_large`).
    async fn inbound_counts(&self) -> Result<Vec<(String, i64)>>;
}

/// The 疎通確認 of one application: the hashed one-time token, its expiry and the mail.
#[derive(Debug, Clone)]
pub struct AddressCheck {
    pub token_hash: String,
    pub expires_at: String,
    pub subject: String,
    pub body: String,
}

impl AddressCheck {
    /// A new 疎通確認: a fresh one-time token (only its hash kept), valid for
    /// `ADDRESS_CHECK_HOURS`, and the mail whose link opens `public_url`'s confirmation page.
    pub fn new(public_url: &str) -> Self {
        use madoguchi_domain::notice::{address_check, ADDRESS_CHECK_HOURS};
        let token = crate::tokens::random_token();
        let (subject, body) = address_check(&format!("{public_url}/apply/confirm?t={token}"));
        let expires = chrono::Utc::now() + chrono::Duration::hours(ADDRESS_CHECK_HOURS);
        Self {
            token_hash: crate::tokens::token_hash(&token),
            expires_at: crate::clock::stamp(expires),
            subject,
            body,
        }
    }
}

/// What opening a 疎通確認 link came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    Confirmed(Receipt),
    /// Expired, used already, or never issued: the same answer for each.
    Unusable,
}

/// A notice as the sender hands it to the relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub id: i64,
    pub application_id: i64,
    pub prefecture: Prefecture,
    pub kind: NoticeKind,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub created_at: String,
    /// Attempts made so far (retries back off by it).
    pub attempts: u32,
}

/// One thing [`Storage::record_mail`] writes.
#[derive(Debug, Clone)]
pub enum MailRecord {
    /// A delivery event of notice `id`; a `Queued` event is a retry at `retry_at`.
    Settle { id: i64, event: DeliveryEvent, retry_at: Option<String> },
    /// A received mail, kept, with the events it reports.
    Keep { mail: InboundMail, events: Vec<(i64, DeliveryEvent)> },
}

/// A mail that came to the bounce listener.
#[derive(Debug, Clone)]
pub struct InboundMail {
    pub received_at: String,
    pub envelope_from: String,
    pub envelope_to: String,
    pub verdict: &'static str,
    pub notice_id: Option<i64>,
    pub size: i64,
    /// As received, up to the size limit.
    pub raw: Vec<u8>,
}

/// A record desks upload whole: which table row it is, and the feed entry it becomes.
#[derive(Debug, Clone)]
pub struct Record {
    pub kind: &'static str,
    pub id: String,
    pub entity: Entity,
}

impl Record {
    pub fn call(call: madoguchi_domain::api::CallRecord) -> Self {
        Self { kind: "call", id: call.id.clone(), entity: Entity::Call(call) }
    }

    pub fn prefecture_settings(settings: madoguchi_domain::api::PrefectureSettings) -> Self {
        Self {
            kind: "prefecture_settings",
            id: settings.prefecture.code(),
            entity: Entity::PrefectureSettings(settings),
        }
    }

    /// The version the desk's change was made on.
    pub fn base_version(&self) -> i64 {
        match &self.entity {
            Entity::Call(c) => c.version,
            Entity::PrefectureSettings(p) => p.version,
            _ => 0,
        }
    }

    /// The record as stored at `version`.
    pub fn at_version(&self, version: i64) -> Entity {
        let mut entity = self.entity.clone();
        match &mut entity {
            Entity::Call(c) => c.version = version,
            Entity::PrefectureSettings(p) => p.version = version,
            _ => {}
        }
        entity
    }
}

/// What [`Storage::put_record`] came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutRecord {
    /// Held at this version (stored now, or the same copy was already there).
    Held(i64),
    /// Made on an older version: the server's copy, to build on.
    Stale(Box<Entity>),
    /// The id is another prefecture's record.
    OtherPrefecture,
}

/// Opens (creating if needed) and migrates the database named by `url`.
pub async fn open(url: &str) -> Result<Arc<dyn Storage>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStorage::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStorage::open(url).await?))
    } else {
        Err(StorageError::UnsupportedUrl(url.to_owned()))
    }
}
