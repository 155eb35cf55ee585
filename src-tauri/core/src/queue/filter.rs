//! 絞り込み: what the officer filters and sorts the queue by, and 保存したビュー — named
//! filters (「今日の新着」, 「要確認のみ」…) kept on this desk.

use chrono::Utc;
use madoguchi_domain::api::SubmittedBy;
use madoguchi_domain::{ApplicationStatus, InstitutionKind};
use serde::{Deserialize, Serialize};

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
