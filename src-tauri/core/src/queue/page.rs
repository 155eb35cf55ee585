//! 一覧の表示範囲: the stretch of the queue the window draws — the lines in view and a margin,
//! fetched by range — with the counts over all of them, where the selection is, and where N
//! (the next clean line) stops. The window never holds the 10,000 lines, only their number.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use madoguchi_domain::api::SubmittedBy;
use madoguchi_domain::{ApplicationStatus, InstitutionKind};
use serde::{Deserialize, Serialize};

use super::cache::{Prepared, QueueCache};
use super::error::QueueError;
use super::filter::{select, AgeBucket, QueueFilter};
use crate::desk::Desk;
use crate::store::Store;

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

impl Prepared {
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

impl QueueCache {
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
}

impl Desk {
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
}
