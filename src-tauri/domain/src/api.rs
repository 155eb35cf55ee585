//! 同期API: what the desks and the central server exchange (JSON over HTTPS under `/v1`).
//! Plain data shared by both sides, so that neither can drift from the other.

use serde::{Deserialize, Serialize};

use crate::application::{Action, ApplicationStatus, RejectReason, ReturnReason};
use crate::form::ApplicationForm;
pub use crate::form::FieldError;
use crate::notice::NoticeKind;
// Named in the prefecture settings the API carries; its own module, as the notices name it too.
pub use crate::contact::WindowContact;
use crate::prefecture::Prefecture;

/// Who entered an application: the institution itself, or the prefecture (代理申請).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SubmittedBy {
    Institution,
    Prefecture,
}

/// A 新規ユーザ登録申請 as the server holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Application {
    pub id: i64,
    pub prefecture: Prefecture,
    pub status: ApplicationStatus,
    /// Raised by every change; a decision must name the version the officer saw.
    pub version: i64,
    pub form: ApplicationForm,
    pub submitted_by: SubmittedBy,
    /// RFC 3339, UTC.
    pub received_at: String,
    pub updated_at: String,
    /// The G-MIS login ID once an account is issued or found.
    pub login_id: Option<String>,
    pub return_reason: Option<ReturnReason>,
    pub reject_reason: Option<RejectReason>,
    pub note: Option<String>,
    /// The applicant opened the 疎通確認 link: the address reaches them. False for
    /// applications an officer entered (代理申請) and for those from before the check.
    #[serde(default)]
    pub address_verified: bool,
    /// 再申請: the returned application this one corrects.
    #[serde(default)]
    pub resubmission_of: Option<i64>,
    /// The corrected application that replaced this returned one.
    #[serde(default)]
    pub resubmitted_as: Option<i64>,
    /// What the applicant did on the status page (申請状況の確認).
    #[serde(default)]
    pub status_page: crate::status_page::StatusPageUse,
}

/// An officer's decision (or review start) on one application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionRequest {
    /// The version the officer reviewed; a newer one on the server is a conflict (409).
    pub expected_version: i64,
    pub action: Action,
    pub note: Option<String>,
    /// Which desk (PC) decided, for the audit trail.
    pub desk: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionResponse {
    pub application: Application,
    /// The mail the decision queued, if it sends one.
    pub notice: Option<Notice>,
}

/// Most decisions one batch may carry.
pub const MAX_BATCH: usize = 500;

/// 一括送信: a desk's queued decisions in one request. Each is still checked, versioned,
/// idempotent (its own key) and audited on its own; a refused one does not stop the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DecisionBatch {
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 500))]
    pub decisions: Vec<BatchDecision>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BatchDecision {
    pub application_id: i64,
    /// Unique per decision, the same on every retry (as the single endpoint's header).
    #[cfg_attr(feature = "openapi", schema(pattern = "^[!-~]{1,200}$"))]
    pub idempotency_key: String,
    pub request: DecisionRequest,
}

/// The answers, in the order of the batch: what the single endpoint would have answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionBatchAnswer {
    pub results: Vec<BatchResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchResult {
    pub idempotency_key: String,
    /// 200 decided; otherwise the refusal's HTTP status (404, 409, 422).
    pub status: u16,
    pub decided: Option<DecisionResponse>,
    pub refused: Option<ApiError>,
}

/// A mail in the outbox: rendered in full, as the institution will receive it, with what
/// became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notice {
    pub id: i64,
    pub application_id: i64,
    pub prefecture: Prefecture,
    pub kind: NoticeKind,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub created_at: String,
    /// Copies from before delivery was tracked read as queued.
    #[serde(default)]
    pub delivery: crate::delivery::Delivery,
}

/// A G-MIS account of an institution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Account {
    pub id: i64,
    pub prefecture: Prefecture,
    pub institution_code: String,
    pub insurance_code: Option<String>,
    pub institution_name: String,
    pub login_id: String,
    pub created_at: String,
}

/// An institution of the prefecture's registry, with whether it has an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistryEntry {
    pub source: String,
    pub source_key: String,
    pub insurance_code: Option<String>,
    pub kind: Option<String>,
    pub name: String,
    pub kana: Option<String>,
    pub prefecture: Prefecture,
    pub postal_code: Option<String>,
    pub address: String,
    pub has_account: bool,
}

/// One entry of the changes feed: the entity's state after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "entity", content = "data", rename_all = "snake_case")]
pub enum Entity {
    Application(Application),
    Notice(Notice),
    Account(Account),
    Institution(RegistryEntry),
    Call(CallRecord),
    PrefectureSettings(PrefectureSettings),
    Contact(crate::worklist::ContactRecord),
    Lapsed(LapsedCheck),
}

/// An application whose 疎通確認 was never confirmed, purged when its link expired: only the
/// institution it named, so the prefecture can reach it (by the registry's phone). What the
/// applicant typed — the address above all — is gone with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LapsedCheck {
    /// The purged application's number.
    pub id: i64,
    pub prefecture: Prefecture,
    pub kind: crate::InstitutionKind,
    pub institution_name: String,
    pub insurance_code: Option<String>,
    pub lapsed_at: String,
}

/// Where a call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    Active,
    Paused,
    Finished,
}

/// One node of a call's walk: where the officer was, how long, and the answer taken. The
/// node's title and the answer are kept as shown, so editing the tree never rewrites a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallStep {
    pub node: String,
    pub title: String,
    /// The answer chosen here (none for the node the call ended or paused on).
    pub answer: Option<String>,
    pub entered_at: String,
    /// Time spent at the node, pauses excluded.
    pub seconds: i64,
}

/// The institution a call is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallInstitution {
    pub name: String,
    pub insurance_code: Option<String>,
}

/// ログインIDの開示: which identity checks were ticked, when, by whom. The login ID itself
/// is not repeated here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Disclosure {
    pub at: String,
    pub desk: String,
    pub account_institution_code: String,
    pub checked_phone: bool,
    pub checked_email: bool,
    pub checked_contact_name: bool,
}

/// 対応記録: one help-desk call, as every desk of the prefecture sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallRecord {
    /// Made by the desk (UUID), so a call is the same record wherever it is sent from.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64))]
    pub id: String,
    pub prefecture: Prefecture,
    pub desk: String,
    /// The tree version the call started on.
    pub tree_version: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub state: CallState,
    pub institution: Option<CallInstitution>,
    pub application_id: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 1000))]
    pub steps: Vec<CallStep>,
    /// The ending's node and outcome, once finished there.
    pub ending: Option<String>,
    pub outcome: Option<crate::triage::Outcome>,
    pub note: String,
    pub disclosures: Vec<Disclosure>,
    /// The 要連絡 entry an outbound call was made for ([`crate::worklist::ContactRecord::id`]).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub contact: Option<String>,
    /// When it last changed, for people; the server orders changes by `version`.
    pub updated_at: String,
    /// The server's version: what the server holds, or, sent by a desk, the version its
    /// change was made on (0: never stored). A change made on an older one is refused.
    #[serde(default)]
    pub version: i64,
}

/// What a prefecture sets for all its desks: the 定期報告 window and its wording of the
/// troubleshooting tree (都道府県版).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrefectureSettings {
    pub prefecture: Prefecture,
    /// The 定期報告 window of every scheme without its own in `practice`.
    pub reporting_window: Option<crate::practice::ReportingWindow>,
    pub triage_overrides: crate::triage::Overrides,
    pub updated_at: String,
    pub updated_by: String,
    /// 保存期間: days after a decision (or a call's end) that desks keep its personal data;
    /// none set is [`DEFAULT_RETENTION_DAYS`].
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3650))]
    pub retention_days: Option<u32>,
    /// 窓口の連絡先, named in the prefecture's mails and at the tree's call-back endings.
    #[serde(default)]
    pub contact: Option<WindowContact>,
    /// 都道府県の運用: schemes, periods per scheme, paper reports, 保健所 and their topics.
    #[serde(default)]
    pub practice: crate::practice::Practice,
    /// Its own wording of 報告依頼・督促・申請のお願い (none: the national wording).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 3))]
    pub reminders: Vec<crate::reminder::ReminderTemplate>,
    /// As [`CallRecord::version`].
    #[serde(default)]
    pub version: i64,
}

/// Days desks keep a decided application's personal data unless the prefecture sets otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;
/// The longest a prefecture may set: ten years.
pub const MAX_RETENTION_DAYS: u32 = 3650;

impl PrefectureSettings {
    /// The practice in force: periods per scheme, the common window for the rest.
    pub fn practice_in_force(&self) -> crate::practice::Practice {
        self.practice.clone().in_force(self.reporting_window)
    }

    /// The retention period in force.
    pub fn retention_days(&self) -> u32 {
        self.retention_days.unwrap_or(DEFAULT_RETENTION_DAYS)
    }

    /// Whether the retention period set is one the desks can keep.
    /// Whether the window's contact, if set, is one institutions can use.
    pub fn contact_ok(&self) -> bool {
        self.contact.as_ref().is_none_or(WindowContact::is_usable)
    }

    /// Whether its reminder wordings are usable: each kind once, each valid.
    pub fn reminders_ok(&self) -> bool {
        let mut kinds: Vec<_> = self.reminders.iter().map(|t| t.kind).collect();
        kinds.sort_by_key(|k| *k as u8);
        kinds.dedup();
        kinds.len() == self.reminders.len() && self.reminders.iter().all(|t| t.is_valid())
    }

    pub fn retention_ok(&self) -> bool {
        self.retention_days.is_none_or(|d| (1..=MAX_RETENTION_DAYS).contains(&d))
    }
}

/// What a record upload answers: the server holds the desk's copy, at `version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stored {
    pub stored: bool,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Change {
    /// The feed's cursor: strictly increasing, never reused.
    pub seq: i64,
    #[serde(flatten)]
    pub entity: Entity,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangesPage {
    pub changes: Vec<Change>,
    /// Pass as `since` for the next page.
    pub next_cursor: i64,
    pub has_more: bool,
    /// The address the server sends its notices from (its `MADOGUCHI_MAIL_FROM`): the desk
    /// adds it to the senders it asks callers to allow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// The feed's epoch: a server restored from a backup starts a new one, and a desk that
    /// pulled under another starts over from 0 (cursors of the old epoch mean nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<i64>,
    /// When the officer's token ends (RFC 3339): the desk warns in its status bar a month
    /// before, so it is rotated before syncing stops.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_expires_at: Option<String>,
}

/// Every error body the server sends: a stable code, a Japanese sentence, and for 409 the
/// application as it now stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<Box<Application>>,
    /// With E-RECORD-STALE: the record as the server holds it, to build on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub record: Option<Box<Entity>>,
}

/// What intake answers: the receipt of a stored application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipt {
    pub id: i64,
    pub prefecture: Prefecture,
    pub received_at: String,
}

/// One line of an application's audit trail: who, when, from, to, why, on which desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Which application of a chain of 再申請 the entry is about.
    #[serde(default)]
    pub application_id: i64,
    pub at: String,
    /// The officer's name; none for intake.
    pub officer: Option<String>,
    pub desk: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub reason: Option<String>,
    pub note: Option<String>,
}

/// An application with its audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationDetail {
    pub application: Application,
    pub audit: Vec<AuditEntry>,
}
