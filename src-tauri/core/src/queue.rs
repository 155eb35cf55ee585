//! 申請キュー: the applications the desk holds, with their flags, filtered and sorted for the
//! officer's working day; the notice a decision would send; bulk approval of clean ones; and
//! export for Excel.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use madoguchi_domain::api::{Application, SubmittedBy};
use madoguchi_domain::notice::{self, NoticeFacts};
use madoguchi_domain::{Action, ApplicationStatus, Coded, InstitutionKind};
use madoguchi_registry::fold::fold;
use serde::{Deserialize, Serialize};

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
}

fn matches_text(app: &Application, folded: &str) -> bool {
    let f = &app.form;
    let digits: String = folded.chars().filter(char::is_ascii_digit).collect();
    [&f.name, &f.kana, &f.email, &f.institution_code, f.insurance_code.as_deref().unwrap_or("")]
        .iter()
        .any(|field| fold(field).contains(folded))
        || (digits.len() >= 4
            && [&f.phone, f.insurance_code.as_deref().unwrap_or(""), &f.postal_code]
                .iter()
                .any(|field| field.chars().filter(char::is_ascii_digit).collect::<String>().contains(&digits)))
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

    /// The queue, flagged against `registry`, filtered and sorted.
    pub async fn queue(&self, registry: Option<&LookupIndex>, filter: &QueueFilter, now: DateTime<Utc>) -> Result<QueueView, SyncError> {
        let all = self.applications().await?;
        let accounts = self.known_accounts().await?;
        let open = OpenApplications::new(all.iter().map(|(a, _)| a));
        let ctx = FlagContext { registry, accounts: &accounts, open: &open };
        let mut counts = BTreeMap::new();
        let text = filter.text.as_deref().map(fold).filter(|t| !t.is_empty());
        let total = all.len();
        let mut rows: Vec<QueueRow> = Vec::new();
        for (application, local) in all {
            let status = local.unwrap_or(application.status);
            *counts.entry(status.key().to_owned()).or_insert(0) += 1;
            if !filter.statuses.is_empty() && !filter.statuses.contains(&status) {
                continue;
            }
            if !filter.kinds.is_empty() && !filter.kinds.contains(&application.form.kind) {
                continue;
            }
            if filter.submitted_by.is_some_and(|by| by != application.submitted_by) {
                continue;
            }
            if text.as_deref().is_some_and(|t| !matches_text(&application, t)) {
                continue;
            }
            let received = DateTime::parse_from_rfc3339(&application.received_at).map(|d| d.with_timezone(&Utc)).unwrap_or(now);
            let age_minutes = (now - received).num_minutes().max(0);
            if filter.min_age_days.is_some_and(|d| age_minutes < d * 24 * 60) {
                continue;
            }
            let flags = if status.is_final() { Vec::new() } else { flags(&application, &ctx) };
            if filter.flagged.is_some_and(|want| want != !flags.is_empty()) {
                continue;
            }
            rows.push(QueueRow { pending_sync: local.is_some(), status, flags, age_minutes, application });
        }
        match filter.sort {
            QueueSort::Oldest => rows.sort_by(|a, b| (&a.application.received_at, a.application.id).cmp(&(&b.application.received_at, b.application.id))),
            QueueSort::Newest => rows.sort_by(|a, b| (&b.application.received_at, b.application.id).cmp(&(&a.application.received_at, a.application.id))),
            QueueSort::Name => rows.sort_by_cached_key(|r| fold(&r.application.form.kana)),
        }
        Ok(QueueView { rows, counts, total })
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
