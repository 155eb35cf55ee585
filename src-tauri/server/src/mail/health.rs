//! 配信の健全性 of one prefecture as of now (the rules are the domain's `mail_health`).

use chrono::{DateTime, Duration, Utc};
use madoguchi_domain::mail_health::{MailHealth, BASELINE_DAYS, RECENT_HOURS};
use madoguchi_domain::Prefecture;

use crate::clock::stamp;
use crate::storage::{Storage, StorageError};

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
