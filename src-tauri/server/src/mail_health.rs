//! 配信の健全性 of a prefecture as of now (the rules are the domain's `mail_health`): read by
//! the metrics, the API, the desk's 設定 and `mail health`; outside `mail` so that the metrics
//! the mail parts report to do not depend on them.

use chrono::{DateTime, Duration, Utc};
use madoguchi_domain::mail_health::{MailHealth, BASELINE_DAYS, RECENT_HOURS};
use madoguchi_domain::Prefecture;

use crate::clock::stamp;
use crate::storage::{Figures, Storage, StorageError};

pub async fn health(
    storage: &dyn Storage,
    prefecture: Prefecture,
    now: DateTime<Utc>,
) -> Result<MailHealth, StorageError> {
    let recent = now - Duration::hours(RECENT_HOURS);
    let from = recent - Duration::days(BASELINE_DAYS);
    let fates = storage.mail_fates(&prefecture.code(), &stamp(from), &stamp(recent)).await?;
    Ok(MailHealth::tally(prefecture, fates))
}

/// The health of every prefecture with notices (as `figures` lists them), or of `only`.
pub async fn health_of_each(
    storage: &dyn Storage,
    figures: &Figures,
    only: Option<Prefecture>,
    now: DateTime<Utc>,
) -> Result<Vec<MailHealth>, StorageError> {
    let mut codes: Vec<&String> = figures.notices.iter().map(|(p, ..)| p).collect();
    codes.dedup();
    let mut each = Vec::new();
    for prefecture in codes.into_iter().filter_map(|c| c.parse::<Prefecture>().ok()) {
        if only.is_none_or(|o| o == prefecture) {
            each.push(health(storage, prefecture, now).await?);
        }
    }
    Ok(each)
}
