//! 絞り込み: what the officer filters and sorts the queue by, the filtering itself with the
//! counts and age chart over every line, and 保存したビュー — named filters (「今日の新着」,
//! 「要確認のみ」…) kept on this desk.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use madoguchi_domain::api::SubmittedBy;
use madoguchi_domain::practice::in_area;
use madoguchi_domain::{ApplicationStatus, InstitutionKind};
use madoguchi_registry::fold::fold;
use serde::{Deserialize, Serialize};

use super::cache::Prepared;
use super::error::QueueError;
use crate::desk::Desk;
use crate::store::{Store, StoreError};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum QueueSort {
    /// 古い順 (the default: whoever waited longest first)
    #[default]
    Oldest,
    Newest,
    Name,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
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
    /// 管轄: only institutions whose address lies in these municipalities (a 保健所's area);
    /// empty: the whole prefecture.
    pub area: Vec<String>,
    pub sort: QueueSort,
}

/// A named filter the officer comes back to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SavedView {
    pub name: String,
    pub filter: QueueFilter,
}

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

/// The applications `filter` keeps, sorted; with the counts by status and the age chart
/// over all of them. `all` is oldest first.
pub(super) fn select<'a>(
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

impl Store {
    /// Every saved view, by name; an unreadable one is left out.
    pub async fn saved_views(&self) -> Result<Vec<SavedView>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT name, filter FROM saved_views ORDER BY name")
                .fetch_all(self.pool())
                .await?;
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
        sqlx::query(
            "INSERT OR REPLACE INTO saved_views (name, filter, saved_at) VALUES (?1, ?2, ?3)",
        )
        .bind(view.name.trim())
        .bind(serde_json::to_string(&view.filter)?)
        .bind(Utc::now().to_rfc3339())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn delete_view(&self, name: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM saved_views WHERE name = ?1")
            .bind(name)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

impl Desk {
    pub async fn saved_views(&self) -> Result<Vec<SavedView>, StoreError> {
        self.store().saved_views().await
    }

    pub async fn save_view(&self, view: &SavedView) -> Result<(), QueueError> {
        if view.name.trim().is_empty() {
            return Err(QueueError::ViewName);
        }
        Ok(self.store().save_view(view).await?)
    }

    pub async fn delete_view(&self, name: &str) -> Result<(), StoreError> {
        self.store().delete_view(name).await
    }
}
