//! 申請キュー: the applications the desk holds, with their flags, filtered and sorted for the
//! officer's working day; the notice a decision would send; bulk approval of clean ones; and
//! export for Excel.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use madoguchi_domain::api::{Application, SubmittedBy};
use madoguchi_domain::notice::{self, NoticeFacts};
use madoguchi_domain::{Action, ApplicationStatus, Coded, InstitutionKind};
use madoguchi_registry::fold::fold;
use serde::{Deserialize, Serialize};

use crate::export::Table;
use crate::flags::{flags, Flag, FlagContext, KnownAccount, OpenApplications};
use crate::lookup::LookupIndex;
use crate::store::{Store, StoreError};
use crate::sync::SyncError;

/// One row of the queue, as the list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct QueueRow {
    pub application: Application,
    /// What the desk shows: the server's status with this desk's unsent actions applied.
    pub status: ApplicationStatus,
    pub pending_sync: bool,
    pub flags: Vec<Flag>,
    /// Minutes since the application was received.
    pub age_minutes: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueSort {
    /// 古い順 (the default: whoever waited longest first)
    #[default]
    Oldest,
    Newest,
    Name,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueFilter {
    /// Empty: every status.
    pub statuses: Vec<ApplicationStatus>,
    pub kinds: Vec<InstitutionKind>,
    pub submitted_by: Option<SubmittedBy>,
    /// Some(true): flagged only; Some(false): clean only.
    pub flagged: Option<bool>,
    pub min_age_days: Option<i64>,
    /// Name, reading, codes, email or phone, folded like the registry's lookup.
    pub text: Option<String>,
    pub sort: QueueSort,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueView {
    pub rows: Vec<QueueRow>,
    /// Every application the desk holds, by status (before filtering).
    pub counts: BTreeMap<String, usize>,
    pub total: usize,
    /// The undecided applications by how long they have waited, for the chart.
    pub ages: Vec<AgeBucket>,
}

/// A line of the list as the window draws it: enough to show, move and pick, without the
/// whole form (the detail pane loads that for the one selected), so 10,000 lines cross to
/// the window quickly.
#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    pub id: i64,
    pub name: String,
    pub kind: InstitutionKind,
    pub status: ApplicationStatus,
    pub pending_sync: bool,
    pub flags: usize,
    pub age_minutes: i64,
    pub submitted_by: SubmittedBy,
}

/// The list, its counts and its chart, for the window.
#[derive(Debug, Clone, Serialize)]
pub struct QueueList {
    pub items: Vec<QueueItem>,
    pub counts: BTreeMap<String, usize>,
    pub total: usize,
    pub ages: Vec<AgeBucket>,
}

/// One bar of the age chart: undecided applications that waited this long, by status.
#[derive(Debug, Clone, Serialize)]
pub struct AgeBucket {
    pub label: &'static str,
    /// The filter's `min_age_days` that starts this bucket.
    pub min_days: i64,
    pub counts: BTreeMap<String, usize>,
}

/// Bucket boundaries in days, as the officers count them (the seed's 1–2 weeks to issue).
const AGE_BUCKETS: [(&str, i64); 5] = [("1日未満", 0), ("1〜3日", 1), ("4〜7日", 4), ("8〜14日", 8), ("15日以上", 15)];

/// An application as read, flagged and folded once; filters run over these.
#[derive(Debug)]
struct Prepared {
    application: Application,
    local: Option<ApplicationStatus>,
    flags: Vec<Flag>,
    received: Option<DateTime<Utc>>,
    /// Name, reading, email and codes, folded as the lookup folds.
    folded: String,
    /// Phone, insurance and postal digits, for digit searches.
    digits: String,
    kana: String,
}

/// The queue as last prepared, with what it was prepared from: the store's generation
/// (bumped by triggers on every change to applications and accounts) and the index build.
#[derive(Debug)]
pub(crate) struct QueueCache {
    key: (i64, Option<u64>),
    rows: Arc<Vec<Prepared>>,
}

fn prepare(application: Application, local: Option<ApplicationStatus>, ctx: &FlagContext) -> Prepared {
    let f = &application.form;
    let status = local.unwrap_or(application.status);
    let insurance = f.insurance_code.as_deref().unwrap_or("");
    let folded = [&f.name, &f.kana, &f.email, &f.institution_code, insurance].map(|t| fold(t)).join("\u{1f}");
    let digits = [&f.phone, insurance, &f.postal_code]
        .map(|t| t.chars().filter(char::is_ascii_digit).collect::<String>())
        .join("-");
    Prepared {
        flags: if status.is_final() { Vec::new() } else { flags(&application, ctx) },
        received: DateTime::parse_from_rfc3339(&application.received_at).ok().map(|d| d.with_timezone(&Utc)),
        kana: fold(&f.kana),
        folded,
        digits,
        local,
        application,
    }
}

impl Prepared {
    /// What the desk shows: the server's status with this desk's unsent actions applied.
    fn status(&self) -> ApplicationStatus {
        self.local.unwrap_or(self.application.status)
    }

    fn age_minutes(&self, now: DateTime<Utc>) -> i64 {
        self.received.map_or(0, |r| (now - r).num_minutes().max(0))
    }

    fn row(&self, now: DateTime<Utc>) -> QueueRow {
        QueueRow {
            application: self.application.clone(),
            status: self.status(),
            pending_sync: self.local.is_some(),
            flags: self.flags.clone(),
            age_minutes: self.age_minutes(now),
        }
    }

    fn item(&self, now: DateTime<Utc>) -> QueueItem {
        QueueItem {
            id: self.application.id,
            name: self.application.form.name.clone(),
            kind: self.application.form.kind,
            status: self.status(),
            pending_sync: self.local.is_some(),
            flags: self.flags.len(),
            age_minutes: self.age_minutes(now),
            submitted_by: self.application.submitted_by,
        }
    }

    fn matches_text(&self, folded: &str) -> bool {
        let digits: String = folded.chars().filter(char::is_ascii_digit).collect();
        self.folded.contains(folded) || (digits.len() >= 4 && self.digits.contains(&digits))
    }
}

/// The applications `filter` keeps, sorted; with the counts by status and the age chart
/// over all of them.
fn select<'a>(all: &'a [Prepared], filter: &QueueFilter, now: DateTime<Utc>) -> (Vec<&'a Prepared>, BTreeMap<String, usize>, Vec<AgeBucket>) {
    let mut counts = BTreeMap::new();
    let mut ages: Vec<AgeBucket> =
        AGE_BUCKETS.iter().map(|&(label, min_days)| AgeBucket { label, min_days, counts: BTreeMap::new() }).collect();
    let text = filter.text.as_deref().map(fold).filter(|t| !t.is_empty());
    let mut lines: Vec<&Prepared> = Vec::new();
    for p in all {
        let application = &p.application;
        let status = p.status();
        *counts.entry(status.key().to_owned()).or_insert(0) += 1;
        let age_minutes = p.age_minutes(now);
        if !status.is_final() {
            let days = age_minutes / (24 * 60);
            if let Some(bucket) = ages.iter_mut().rev().find(|b| days >= b.min_days) {
                *bucket.counts.entry(status.key().to_owned()).or_insert(0) += 1;
            }
        }
        if (!filter.statuses.is_empty() && !filter.statuses.contains(&status))
            || (!filter.kinds.is_empty() && !filter.kinds.contains(&application.form.kind))
            || filter.submitted_by.is_some_and(|by| by != application.submitted_by)
            || text.as_deref().is_some_and(|t| !p.matches_text(t))
            || filter.min_age_days.is_some_and(|d| age_minutes < d * 24 * 60)
            || filter.flagged.is_some_and(|want| want == p.flags.is_empty())
        {
            continue;
        }
        lines.push(p);
    }
    fn received(p: &Prepared) -> (&str, i64) {
        (&p.application.received_at, p.application.id)
    }
    match filter.sort {
        QueueSort::Oldest => lines.sort_by(|a, b| received(a).cmp(&received(b))),
        QueueSort::Newest => lines.sort_by(|a, b| received(b).cmp(&received(a))),
        QueueSort::Name => lines.sort_by(|a, b| a.kana.cmp(&b.kana)),
    }
    (lines, counts, ages)
}

impl Store {
    /// Every application the desk holds, with its local (unsent) status.
    pub async fn applications(&self) -> Result<Vec<(Application, Option<ApplicationStatus>)>, SyncError> {
        let rows: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT payload, local_status FROM applications ORDER BY received_at, id").fetch_all(self.pool()).await?;
        rows.into_iter()
            .map(|(payload, local)| {
                let app: Application = serde_json::from_str(&payload).map_err(|e| SyncError::Protocol(e.to_string()))?;
                let local = local.as_deref().map(crate::sync::status_from).transpose()?;
                Ok((app, local))
            })
            .collect()
    }

    pub async fn known_accounts(&self) -> Result<Vec<KnownAccount>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT payload FROM accounts").fetch_all(self.pool()).await?;
        Ok(rows
            .into_iter()
            .filter_map(|(payload,)| serde_json::from_str::<madoguchi_domain::api::Account>(&payload).ok())
            .map(|a| KnownAccount { prefecture: a.prefecture, institution_code: a.institution_code, insurance_code: a.insurance_code, login_id: a.login_id })
            .collect())
    }

    /// Every application read and flagged, from the cache while nothing changed.
    async fn prepared(&self, registry: Option<&LookupIndex>) -> Result<Arc<Vec<Prepared>>, SyncError> {
        let generation: i64 = sqlx::query_scalar("SELECT n FROM queue_generation WHERE id = 1").fetch_one(self.pool()).await?;
        let key = (generation, registry.map(LookupIndex::build_id));
        if let Some(cache) = self.queue_cache.lock().expect("queue cache").as_ref().filter(|c| c.key == key) {
            return Ok(cache.rows.clone());
        }
        let all = self.applications().await?;
        let accounts = self.known_accounts().await?;
        let open = OpenApplications::new(all.iter().map(|(a, _)| a));
        let ctx = FlagContext { registry, accounts: &accounts, open: &open };
        let rows: Arc<Vec<Prepared>> = Arc::new(all.into_iter().map(|(app, local)| prepare(app, local, &ctx)).collect());
        *self.queue_cache.lock().expect("queue cache") = Some(QueueCache { key, rows: rows.clone() });
        Ok(rows)
    }

    /// The queue, flagged against `registry`, filtered and sorted.
    pub async fn queue(&self, registry: Option<&LookupIndex>, filter: &QueueFilter, now: DateTime<Utc>) -> Result<QueueView, SyncError> {
        let all = self.prepared(registry).await?;
        let (lines, counts, ages) = select(&all, filter, now);
        Ok(QueueView { rows: lines.iter().map(|p| p.row(now)).collect(), counts, total: all.len(), ages })
    }

    /// The same queue as list lines, for the window.
    pub async fn queue_list(&self, registry: Option<&LookupIndex>, filter: &QueueFilter, now: DateTime<Utc>) -> Result<QueueList, SyncError> {
        let all = self.prepared(registry).await?;
        let (lines, counts, ages) = select(&all, filter, now);
        Ok(QueueList { items: lines.iter().map(|p| p.item(now)).collect(), counts, total: all.len(), ages })
    }

    /// One application of the queue with its flags, for the detail pane.
    pub async fn queue_entry(&self, registry: Option<&LookupIndex>, id: i64, now: DateTime<Utc>) -> Result<QueueRow, SyncError> {
        let all = self.prepared(registry).await?;
        all.iter().find(|p| p.application.id == id).map(|p| p.row(now)).ok_or(SyncError::UnknownApplication(id))
    }

    /// 保存したビュー: the officer's named filters, by name.
    pub async fn saved_views(&self) -> Result<Vec<SavedView>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT name, filter FROM saved_views ORDER BY name").fetch_all(self.pool()).await?;
        Ok(rows
            .into_iter()
            .filter_map(|(name, filter)| match serde_json::from_str(&filter) {
                Ok(filter) => Some(SavedView { name, filter }),
                Err(e) => {
                    log::warn!("saved view {name:?} unreadable, left out: {e}");
                    None
                }
            })
            .collect())
    }

    /// Saves (or replaces) a named view.
    pub async fn save_view(&self, view: &SavedView) -> Result<(), StoreError> {
        sqlx::query("INSERT OR REPLACE INTO saved_views (name, filter, saved_at) VALUES (?1, ?2, ?3)")
            .bind(view.name.trim())
            .bind(serde_json::to_string(&view.filter).expect("filters serialise"))
            .bind(Utc::now().to_rfc3339())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn delete_view(&self, name: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM saved_views WHERE name = ?1").bind(name).execute(self.pool()).await?;
        Ok(())
    }

    /// 一括承認: every listed application without flags is reviewed (if need be) and approved
    /// with a new account, through the outbox; a flagged one is refused with its reasons.
    pub async fn bulk_approve(&self, rows: &[QueueRow]) -> Result<BulkOutcome, SyncError> {
        let mut outcome = BulkOutcome::default();
        for row in rows {
            if !row.flags.is_empty() {
                let reasons = row.flags.iter().map(|f| f.message.clone()).collect();
                outcome.refused.push(BulkRefusal { id: row.application.id, reasons });
                continue;
            }
            if row.status == ApplicationStatus::Submitted {
                self.queue_action(row.application.id, Action::StartReview, None).await?;
            }
            match self.queue_action(row.application.id, Action::ApproveNewAccount, None).await {
                Ok(_) => outcome.queued.push(row.application.id),
                Err(SyncError::Transition(e)) => outcome.refused.push(BulkRefusal { id: row.application.id, reasons: vec![e.message_ja()] }),
                Err(e) => return Err(e),
            }
        }
        Ok(outcome)
    }
}

/// A named filter the officer comes back to (「今日の新着」, 「要確認のみ」…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedView {
    pub name: String,
    pub filter: QueueFilter,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BulkOutcome {
    pub queued: Vec<i64>,
    pub refused: Vec<BulkRefusal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BulkRefusal {
    pub id: i64,
    pub reasons: Vec<String>,
}

/// The mail a decision will send, shown before the officer confirms. What only the server
/// knows at decision time (a new login ID, the password link) is named in brackets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticePreview {
    pub to: String,
    pub subject: String,
    pub body: String,
}

pub fn notice_preview(app: &Application, action: Action, note: Option<&str>, existing_login: Option<&str>) -> Option<NoticePreview> {
    let number = format!("{:014}", app.id);
    let facts = match action {
        Action::ApproveNewAccount => NoticeFacts::Issuance { login_id: "（承認時に発行されます）", password_link: "（承認時に発行されるURL）" },
        Action::ApproveExistingAccount => NoticeFacts::ExistingAccount {
            login_id: existing_login.unwrap_or("（登録済みのログインID）"),
            application_number: &number,
            prefecture_address: &app.form.address,
        },
        Action::ReturnForCorrection { reason } => NoticeFacts::Returned { reason, note },
        Action::Reject { reason } => NoticeFacts::Rejected { reason, note },
        Action::StartReview | Action::Resubmit => return None,
    };
    let (_, subject, body) = notice::render(&app.form, &facts);
    Some(NoticePreview { to: app.form.email.trim().to_owned(), subject, body })
}

/// The queue as listed, for Excel: every form field, status, wait and flags.
pub fn queue_table(rows: &[QueueRow]) -> Table {
    Table {
        header: vec![
            "申請番号", "受付日時", "状態", "同期", "機関区分", "申請者", "機関コード", "保険医療機関コード", "名称", "フリガナ",
            "郵便番号", "所在地", "電話番号", "担当部署名", "担当部署番号", "担当者名", "メールアドレス", "待ち日数", "検証フラグ",
        ],
        rows: rows
            .iter()
            .map(|r| {
                let (a, f) = (&r.application, &r.application.form);
                vec![
                    format!("{:014}", a.id),
                    a.received_at.clone(),
                    r.status.name_ja().into(),
                    if r.pending_sync { "未送信" } else { "" }.into(),
                    f.kind.name_ja().into(),
                    match a.submitted_by { SubmittedBy::Institution => "本人", SubmittedBy::Prefecture => "代理申請" }.into(),
                    f.institution_code.clone(),
                    f.insurance_code.clone().unwrap_or_default(),
                    f.name.clone(),
                    f.kana.clone(),
                    f.postal_code.clone(),
                    f.address.clone(),
                    f.phone.clone(),
                    f.department.clone(),
                    f.department_number.clone(),
                    f.contact_name.clone(),
                    f.email.clone(),
                    (r.age_minutes / (24 * 60)).to_string(),
                    r.flags.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join(" / "),
                ]
            })
            .collect(),
    }
}

impl Store {
    /// This desk's decisions (every action it recorded), with their sync state, for Excel.
    pub async fn decisions_table(&self) -> Result<Table, SyncError> {
        let rows: Vec<(String, i64, Option<String>, String, Option<String>, String, Option<String>)> = sqlx::query_as(
            "SELECT o.created_at, o.application_id, a.payload, o.action, o.note, o.state, o.last_error
             FROM outbox o LEFT JOIN applications a ON a.id = o.application_id ORDER BY o.id",
        )
        .fetch_all(self.pool())
        .await?;
        let rows = rows
            .into_iter()
            .map(|(at, id, payload, action, note, state, error)| {
                let name = payload.and_then(|p| serde_json::from_str::<Application>(&p).ok()).map(|a| a.form.name).unwrap_or_default();
                let action: Option<Action> = serde_json::from_str(&action).ok();
                let reason = match action {
                    Some(Action::ReturnForCorrection { reason }) => reason.name_ja(),
                    Some(Action::Reject { reason }) => reason.name_ja(),
                    _ => "",
                };
                let state = match state.as_str() { "pending" => "未送信", "sent" => "送信済み", _ => "要確認" };
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
        Ok(Table { header: vec!["操作日時", "申請番号", "名称", "操作", "理由", "メモ", "送信状態", "エラー"], rows })
    }
}
