//! 申請キュー: the applications the desk holds, with their flags, filtered and sorted for the
//! officer's working day; decisions through the outbox; bulk approval of clean ones; and
//! export for Excel. The working set is cached (`cache`); `filter` holds the filters and
//! saved views, `page` the stretch of the list the window draws, `notice` the preview of the
//! mail a decision sends.

pub(crate) mod cache;
mod error;
mod filter;
mod notice;
mod page;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use madoguchi_domain::api::{Application, SubmittedBy};
use madoguchi_domain::{Action, ApplicationStatus, Coded};
use serde::Serialize;

pub use cache::QueueCache;
pub use error::QueueError;
pub use filter::{AgeBucket, QueueFilter, QueueSort, SavedView};
pub use notice::{notice_preview, NoticePreview};
pub use page::{PageRequest, QueueItem, QueuePage, QueuePosition};

use crate::desk::Desk;
use crate::export::{self, CsvEncoding, ExportReport, Table};
use crate::flags::Flag;
use crate::outbox::OutboxError;
use crate::store::Store;
use cache::Prepared;
use filter::select;

/// One row of the queue, as the list shows it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct QueueRow {
    pub application: Application,
    /// What the desk shows: the server's status with this desk's unsent actions applied.
    pub status: ApplicationStatus,
    pub pending_sync: bool,
    pub flags: Vec<Flag>,
    /// Minutes since the application was received.
    pub age_minutes: i64,
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

impl Prepared {
    fn row(&self, application: Application, now: DateTime<Utc>) -> QueueRow {
        QueueRow {
            application,
            status: self.status(),
            pending_sync: self.local.is_some(),
            flags: self.flags.clone(),
            age_minutes: self.age_minutes(now),
        }
    }
}

impl QueueCache {
    /// The queue, flagged against the registry, filtered and sorted, each with its whole
    /// application as the store holds it (for export and bulk approval).
    pub async fn view(
        &self,
        store: &Store,
        filter: &QueueFilter,
        now: DateTime<Utc>,
    ) -> Result<QueueView, QueueError> {
        let all = self.prepared(store).await?;
        let (lines, counts, ages) = select(&all, filter, now);
        let mut forms: HashMap<i64, Application> =
            store.applications().await?.into_iter().map(|(a, _)| (a.id, a)).collect();
        let rows = lines.iter().filter_map(|p| Some(p.row(forms.remove(&p.id)?, now))).collect();
        Ok(QueueView { rows, counts, total: all.len(), ages })
    }

    /// The applications `ids` names, each whole from the store with its flags, in the queue's
    /// order (oldest first): the detail pane's one, bulk approval's picked ones.
    pub async fn rows(
        &self,
        store: &Store,
        ids: &[i64],
        now: DateTime<Utc>,
    ) -> Result<Vec<QueueRow>, QueueError> {
        let all = self.prepared(store).await?;
        let wanted: HashSet<i64> = ids.iter().copied().collect();
        let mut rows = Vec::with_capacity(wanted.len());
        for p in all.iter().filter(|p| wanted.contains(&p.id)) {
            if let Some((application, _)) = store.application(p.id).await? {
                rows.push(p.row(application, now));
            }
        }
        Ok(rows)
    }

    /// One application of the queue with its flags, for the detail pane.
    pub async fn entry(
        &self,
        store: &Store,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<QueueRow, QueueError> {
        self.rows(store, &[id], now).await?.pop().ok_or(QueueError::UnknownApplication(id))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct BulkOutcome {
    pub queued: Vec<i64>,
    pub refused: Vec<BulkRefusal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct BulkRefusal {
    pub id: i64,
    pub reasons: Vec<String>,
}

impl Store {
    /// 一括承認: every listed application without flags is reviewed (if need be) and approved
    /// with a new account, through the outbox; a flagged one is refused with its reasons.
    pub async fn bulk_approve(&self, rows: &[QueueRow]) -> Result<BulkOutcome, OutboxError> {
        let mut outcome = BulkOutcome::default();
        for row in rows {
            let id = row.application.id;
            if !row.flags.is_empty() {
                let reasons = row.flags.iter().map(|f| f.message.clone()).collect();
                outcome.refused.push(BulkRefusal { id, reasons });
                continue;
            }
            if row.status == ApplicationStatus::Submitted {
                self.queue_action(id, Action::StartReview, None).await?;
            }
            match self.queue_action(id, Action::ApproveNewAccount, None).await {
                Ok(_) => outcome.queued.push(id),
                Err(OutboxError::Transition(e)) => {
                    outcome.refused.push(BulkRefusal { id, reasons: vec![e.message_ja()] })
                }
                Err(e) => return Err(e),
            }
        }
        Ok(outcome)
    }
}

impl Desk {
    /// 申請キュー, flagged against the registry as it stands.
    pub async fn queue(&self, filter: &QueueFilter) -> Result<QueueView, QueueError> {
        self.queue_cache.view(self.store(), filter, Utc::now()).await
    }

    /// One application with its flags, for the detail pane.
    pub async fn queue_entry(&self, id: i64) -> Result<QueueRow, QueueError> {
        self.queue_cache.entry(self.store(), id, Utc::now()).await
    }

    /// Records a decision (or review start) through the outbox: it works offline.
    pub async fn decide(
        &self,
        id: i64,
        action: Action,
        note: Option<String>,
    ) -> Result<(), OutboxError> {
        self.store().queue_action(id, action, note.filter(|n| !n.trim().is_empty())).await?;
        Ok(())
    }

    /// 一括承認 of the listed applications that have no flags.
    pub async fn bulk_approve(&self, ids: &[i64]) -> Result<BulkOutcome, QueueError> {
        let rows = self.queue_cache.rows(self.store(), ids, Utc::now()).await?;
        Ok(self.store().bulk_approve(&rows).await?)
    }

    /// The queue as filtered, to a CSV file for Excel.
    pub async fn export_queue(
        &self,
        filter: &QueueFilter,
        encoding: CsvEncoding,
        path: &Path,
    ) -> Result<ExportReport, QueueError> {
        let view = self.queue(filter).await?;
        Ok(export::write(&queue_table(&view.rows), encoding, path)?)
    }

    /// This desk's decisions, to a CSV file for Excel.
    pub async fn export_decisions(
        &self,
        encoding: CsvEncoding,
        path: &Path,
    ) -> Result<ExportReport, QueueError> {
        Ok(export::write(&self.store().decisions_table().await?, encoding, path)?)
    }
}

/// The queue as listed, for Excel: every form field, status, wait and flags.
pub fn queue_table(rows: &[QueueRow]) -> Table {
    Table {
        header: vec![
            "申請番号",
            "受付日時",
            "状態",
            "同期",
            "機関区分",
            "申請者",
            "機関コード",
            "保険医療機関コード",
            "名称",
            "フリガナ",
            "郵便番号",
            "所在地",
            "電話番号",
            "担当部署名",
            "担当部署番号",
            "担当者名",
            "メールアドレス",
            "待ち日数",
            "検証フラグ",
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
                    match a.submitted_by {
                        SubmittedBy::Institution => "本人",
                        SubmittedBy::Prefecture => "代理申請",
                    }
                    .into(),
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
