//! 申請キュー: the applications the desk holds, with their flags, filtered and sorted for the
//! officer's working day; decisions through the outbox; bulk approval of clean ones; and
//! export for Excel. The working set is cached (`cache`); `filter` holds the filters and
//! saved views, `notice` the preview of the mail a decision sends.

pub(crate) mod cache;
mod error;
mod filter;
mod notice;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::{DateTime, Utc};
use madoguchi_domain::api::{Application, SubmittedBy};
use madoguchi_domain::practice::in_area;
use madoguchi_domain::{Action, ApplicationStatus, Coded, InstitutionKind};
use madoguchi_registry::fold::fold;
use serde::{Deserialize, Serialize};

pub use cache::QueueCache;
pub use error::QueueError;
pub use filter::{QueueFilter, QueueSort, SavedView};
pub use notice::{notice_preview, NoticePreview};

use crate::desk::Desk;
use crate::export::{self, CsvEncoding, ExportReport, Table};
use crate::flags::Flag;
use crate::outbox::OutboxError;
use crate::store::Store;
use cache::Prepared;

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

/// A line of the list as the window draws it: enough to show, move and pick, without the
/// whole form (the detail pane loads that for the one selected).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct QueueItem {
    pub id: i64,
    pub name: String,
    pub kind: InstitutionKind,
    pub status: ApplicationStatus,
    pub pending_sync: bool,
    pub flags: usize,
    pub age_minutes: i64,
    pub submitted_by: SubmittedBy,
    /// 再申請: it corrects a returned application.
    pub resubmission: bool,
}

/// A line's place in the filtered list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct QueuePosition {
    pub index: usize,
    pub id: i64,
}

/// Which stretch of the filtered list the window wants, and the line it has selected.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct PageRequest {
    pub offset: usize,
    pub limit: usize,
    /// The selected application, kept where the filter still holds it…
    pub keep: Option<i64>,
    /// …else the line now at this index takes its place (the next one, after a decision
    /// took the selected one out of the filter).
    pub at: Option<usize>,
}

/// One stretch of the list — the lines in view and a margin — with what the header shows
/// over all of them: the window never holds 10,000 lines.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct QueuePage {
    /// Index of `items[0]` in the filtered list.
    pub offset: usize,
    pub items: Vec<QueueItem>,
    /// How many lines the filter keeps: the list's length.
    pub matched: usize,
    /// Every application the desk holds, by status (before filtering).
    pub counts: BTreeMap<String, usize>,
    pub total: usize,
    pub ages: Vec<AgeBucket>,
    /// Where the selection is now (see `PageRequest`); none when nothing matches.
    pub selected: Option<QueuePosition>,
}

/// The most lines one page carries, whatever the window asks.
const PAGE_LIMIT: usize = 500;

/// One bar of the age chart: undecided applications that waited this long, by status.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct AgeBucket {
    pub label: &'static str,
    /// The filter's `min_age_days` that starts this bucket.
    pub min_days: i64,
    pub counts: BTreeMap<String, usize>,
}

/// Bucket boundaries in days, as the officers count them (the seed's 1–2 weeks to issue).
const AGE_BUCKETS: [(&str, i64); 5] =
    [("1日未満", 0), ("1〜3日", 1), ("4〜7日", 4), ("8〜14日", 8), ("15日以上", 15)];

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

    fn item(&self, now: DateTime<Utc>) -> QueueItem {
        QueueItem {
            id: self.id,
            name: self.name.clone(),
            kind: self.kind,
            status: self.status(),
            pending_sync: self.local.is_some(),
            flags: self.flags.len(),
            age_minutes: self.age_minutes(now),
            submitted_by: self.submitted_by,
            resubmission: self.resubmission,
        }
    }

    /// 問題なし and still to decide: what N (the next clean one) stops at.
    fn clear(&self) -> bool {
        self.flags.is_empty() && !self.status().is_final()
    }
}

/// The applications `filter` keeps, sorted; with the counts by status and the age chart
/// over all of them. `all` is oldest first.
fn select<'a>(
    all: &'a [Prepared],
    filter: &QueueFilter,
    now: DateTime<Utc>,
) -> (Vec<&'a Prepared>, BTreeMap<String, usize>, Vec<AgeBucket>) {
    let mut counts = BTreeMap::new();
    let mut ages: Vec<AgeBucket> = AGE_BUCKETS
        .iter()
        .map(|&(label, min_days)| AgeBucket { label, min_days, counts: BTreeMap::new() })
        .collect();
    let text = filter.text.as_deref().map(fold).filter(|t| !t.is_empty());
    let mut lines: Vec<&Prepared> = Vec::new();
    for p in all {
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
            || (!filter.kinds.is_empty() && !filter.kinds.contains(&p.kind))
            || filter.submitted_by.is_some_and(|by| by != p.submitted_by)
            || text.as_deref().is_some_and(|t| !p.matches_text(t))
            || filter.min_age_days.is_some_and(|d| age_minutes < d * 24 * 60)
            || filter.flagged.is_some_and(|want| want == p.flags.is_empty())
            || (!filter.area.is_empty() && !in_area(&filter.area, &p.address))
        {
            continue;
        }
        lines.push(p);
    }
    match filter.sort {
        QueueSort::Oldest => {}
        QueueSort::Newest => lines.reverse(),
        // Stable: one reading keeps its oldest-first order.
        QueueSort::Name => lines.sort_by(|a, b| a.kana.cmp(&b.kana)),
    }
    (lines, counts, ages)
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

    /// One stretch of the filtered list, for the window.
    pub async fn page(
        &self,
        store: &Store,
        filter: &QueueFilter,
        request: &PageRequest,
        now: DateTime<Utc>,
    ) -> Result<QueuePage, QueueError> {
        let all = self.prepared(store).await?;
        let (lines, counts, ages) = select(&all, filter, now);
        let offset = request.offset.min(lines.len());
        let end = offset.saturating_add(request.limit.min(PAGE_LIMIT)).min(lines.len());
        let items = lines[offset..end].iter().map(|p| p.item(now)).collect();
        let kept = request.keep.and_then(|id| lines.iter().position(|p| p.id == id));
        let index = kept
            .or_else(|| (!lines.is_empty()).then(|| request.at.unwrap_or(0).min(lines.len() - 1)));
        let selected = index.map(|index| QueuePosition { index, id: lines[index].id });
        Ok(QueuePage {
            offset,
            items,
            matched: lines.len(),
            counts,
            total: all.len(),
            ages,
            selected,
        })
    }

    /// N: the next line after `after` (from the top without one) with nothing to check and
    /// still to decide.
    pub async fn next_clear(
        &self,
        store: &Store,
        filter: &QueueFilter,
        after: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Option<QueuePosition>, QueueError> {
        let all = self.prepared(store).await?;
        let (lines, _, _) = select(&all, filter, now);
        let from = after.and_then(|id| lines.iter().position(|p| p.id == id)).map_or(0, |i| i + 1);
        Ok(lines
            .iter()
            .enumerate()
            .skip(from)
            .find(|(_, p)| p.clear())
            .map(|(index, p)| QueuePosition { index, id: p.id }))
    }

    /// One application of the queue with its flags, for the detail pane.
    pub async fn entry(
        &self,
        store: &Store,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<QueueRow, QueueError> {
        let all = self.prepared(store).await?;
        let p = all.iter().find(|p| p.id == id).ok_or(QueueError::UnknownApplication(id))?;
        let (application, _) =
            store.application(id).await?.ok_or(QueueError::UnknownApplication(id))?;
        Ok(p.row(application, now))
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

    /// The stretch of the list the window shows: lines without the whole form.
    pub async fn queue_page(
        &self,
        filter: &QueueFilter,
        request: &PageRequest,
    ) -> Result<QueuePage, QueueError> {
        self.queue_cache.page(self.store(), filter, request, Utc::now()).await
    }

    /// N: where the next clean, undecided line is.
    pub async fn queue_next_clear(
        &self,
        filter: &QueueFilter,
        after: Option<i64>,
    ) -> Result<Option<QueuePosition>, QueueError> {
        self.queue_cache.next_clear(self.store(), filter, after, Utc::now()).await
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
        let view = self.queue(&QueueFilter::default()).await?;
        let rows: Vec<_> =
            view.rows.into_iter().filter(|r| ids.contains(&r.application.id)).collect();
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
