//! 保存期間 applied on the server: each prefecture's period (its settings as its desks stored
//! them, 90 days otherwise) counted from the decision; what has passed it loses its personal
//! values (see `storage::Retention`). Run by `serve` every hour and by `retention run`.

use chrono::{DateTime, Utc};
use madoguchi_domain::api::DEFAULT_RETENTION_DAYS;
use madoguchi_domain::Prefecture;

use crate::storage::{Purged, Storage, StorageError};

/// At most this many applications purged in one commit, so desks' writes are not held long.
const BATCH: usize = 200;

/// One prefecture's run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub prefecture: String,
    pub days: u32,
    /// Applications past the period (purged, unless a dry run).
    pub expired: usize,
    pub purged: Purged,
}

/// Applies every prefecture's period as of `now`; with `dry_run`, only counts.
pub async fn run(
    storage: &dyn Storage,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<Vec<Outcome>, StorageError> {
    let mut outcomes = Vec::new();
    for code in storage.prefectures().await? {
        let Ok(prefecture) = code.parse::<Prefecture>() else { continue };
        let days = storage
            .prefecture_settings(prefecture)
            .await?
            .map_or(DEFAULT_RETENTION_DAYS, |s| s.retention_days());
        let cutoff = crate::clock::stamp(now - chrono::Duration::days(i64::from(days)));
        let ids = storage.expired(prefecture, &cutoff).await?;
        let mut purged = Purged::default();
        if !dry_run {
            for batch in ids.chunks(BATCH) {
                let p = storage.purge_personal(prefecture, batch, &cutoff).await?;
                purged.applications += p.applications;
                purged.notices += p.notices;
                purged.feed_rows += p.feed_rows;
                purged.bounces += p.bounces;
            }
        }
        if !ids.is_empty() && !dry_run {
            log::info!("retention: prefecture {code} ({days} days): {purged:?}");
            let detail = format!(
                "{days} days: {} applications, {} notices, {} feed entries, {} bounces",
                purged.applications, purged.notices, purged.feed_rows, purged.bounces
            );
            storage.admin_audit("retention", Some(&code), &detail).await?;
        }
        outcomes.push(Outcome { prefecture: code, days, expired: ids.len(), purged });
    }
    if !dry_run && outcomes.iter().any(|o| o.expired > 0) {
        storage.compact().await?;
    }
    Ok(outcomes)
}
