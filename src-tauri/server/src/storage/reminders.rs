//! 報告依頼・督促・申請のお願い: reminders a desk asks to mail, each to the address of one of
//! the institution's applications in the officer's prefecture, queued as notices (tracked,
//! retried and bounced as every notice) and into the feed; a batch sent again queues nothing
//! twice.

use async_trait::async_trait;
use madoguchi_domain::reminder::{ReminderBatch, ReminderQueued};
use madoguchi_domain::Prefecture;

use super::error::Result;

#[async_trait]
pub trait Reminders: Send + Sync {
    /// Queues `batch`'s reminders for `prefecture` in one transaction: each to its
    /// application's address, or refused (an application not found, not this prefecture's,
    /// or not yet confirmed).
    async fn queue_reminders(
        &self,
        prefecture: Prefecture,
        batch: &ReminderBatch,
        now: &str,
    ) -> Result<Vec<ReminderQueued>>;
}

/// [`Reminders`] for both databases (see `sql`).
macro_rules! reminders_sql {
    ($storage:ty, $db:ty) => {
        #[async_trait]
        impl Reminders for $storage {
            async fn queue_reminders(
                &self,
                prefecture: Prefecture,
                batch: &madoguchi_domain::reminder::ReminderBatch,
                now: &str,
            ) -> Result<Vec<madoguchi_domain::reminder::ReminderQueued>> {
                use madoguchi_domain::reminder::ReminderQueued;
                let (_writer, mut tx) = self.write_within(prefecture).await?;
                let mut results = Vec::with_capacity(batch.items.len());
                for item in &batch.items {
                    let queued = |notice_id: Option<i64>, code: Option<madoguchi_domain::Code>| ReminderQueued {
                        entry_id: item.entry_id.clone(),
                        notice_id,
                        code: code.map(|c| c.as_str().to_owned()),
                    };
                    let before: Option<i64> = sqlx::query_scalar(
                        "SELECT notice_id FROM reminder_sends WHERE prefecture = $1 AND batch_id = $2 AND entry_id = $3",
                    )
                    .bind(prefecture.code())
                    .bind(&batch.batch_id)
                    .bind(&item.entry_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(id) = before {
                        results.push(queued(Some(id), None));
                        continue;
                    }
                    let found: Option<(String, String, bool)> = sqlx::query_as(
                        "SELECT prefecture, form, confirmed_at IS NOT NULL FROM applications WHERE id = $1",
                    )
                    .bind(item.application_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let form = match found {
                        Some((p, form, true)) if p == prefecture.code() => from_json::<ApplicationForm>(&form)?,
                        _ => {
                            results.push(queued(None, Some(madoguchi_domain::Code::AppNotFound)));
                            continue;
                        }
                    };
                    let sql = format!(
                        "INSERT INTO notices (application_id, prefecture, kind, to_address, subject, body, created_at, delivery)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {NOTICE_COLUMNS}"
                    );
                    let row: NoticeRow = sqlx::query_as(&sql)
                        .bind(item.application_id)
                        .bind(prefecture.code())
                        .bind(name_of(&madoguchi_domain::NoticeKind::Reminder))
                        .bind(form.email.trim())
                        .bind(item.subject.trim())
                        .bind(&item.body)
                        .bind(now)
                        .bind(to_json(&Delivery::queued(now)))
                        .fetch_one(&mut *tx)
                        .await?;
                    let notice = row.into_notice()?;
                    sqlx::query(
                        "INSERT INTO reminder_sends (prefecture, batch_id, entry_id, notice_id) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(prefecture.code())
                    .bind(&batch.batch_id)
                    .bind(&item.entry_id)
                    .bind(notice.id)
                    .execute(&mut *tx)
                    .await?;
                    results.push(queued(Some(notice.id), None));
                    change(&mut tx, prefecture, &Entity::Notice(notice)).await?;
                }
                tx.commit().await?;
                Ok(results)
            }
        }
    };
}

pub(super) use reminders_sql;
