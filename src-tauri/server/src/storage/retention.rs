//! 保存期間 on the server: a decided application's personal values — the contact's address,
//! phone, name and department, the officers' note, its notices' address, body and the relay's
//! words (which repeat the address), the bounces about them, the answers kept for retries, and
//! every copy in the changes feed — are removed once the prefecture's period has passed since
//! the decision, so a desk syncing from zero never receives them. What stays: the institution
//! (public data), the decision and its dates, the account register's login ID (the desk's
//! lookup of a lost ID needs it).

use async_trait::async_trait;
use madoguchi_domain::api::{Application, Entity, Notice};
use madoguchi_domain::{ApplicationForm, Delivery, DeliveryEvent, Prefecture};

use super::error::Result;

/// Statuses after which an application waits for nothing more (as the desk's retention).
pub const SETTLED: &str = "('approved_new_account', 'approved_existing_account', 'rejected', \
                           'returned_for_correction', 'resubmitted')";

/// What a notice's body says once its period has passed.
pub const PURGED_BODY: &str = "（保存期間を過ぎたため、本文は削除されました）";

/// What one prefecture's purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub applications: u64,
    pub notices: u64,
    pub feed_rows: u64,
    pub bounces: u64,
}

#[async_trait]
pub trait Retention: Send + Sync {
    /// Prefectures with applications.
    async fn prefectures(&self) -> Result<Vec<String>>;
    /// Applications of `prefecture` settled before `cutoff` whose personal values are kept.
    async fn expired(&self, prefecture: Prefecture, cutoff: &str) -> Result<Vec<i64>>;
    /// Removes the personal values of applications `ids` of `prefecture`, everywhere, in one
    /// commit; stored answers for retries older than `cutoff` go too.
    async fn purge_personal(
        &self,
        prefecture: Prefecture,
        ids: &[i64],
        cutoff: &str,
    ) -> Result<Purged>;
    /// Makes removed values leave the files: SQLite's journal checkpointed (deleted content
    /// is zeroed as it goes: secure_delete), PostgreSQL's dead rows vacuumed.
    async fn compact(&self) -> Result<()>;
}

/// A form without its contact's personal values (the institution's own stay).
pub fn scrubbed_form(form: ApplicationForm) -> ApplicationForm {
    ApplicationForm {
        email: String::new(),
        phone: String::new(),
        contact_name: String::new(),
        department: String::new(),
        department_number: String::new(),
        ..form
    }
}

/// A delivery without the relay's and reports' words.
pub fn scrubbed_delivery(delivery: Delivery) -> Delivery {
    let history = delivery.history.into_iter().map(scrubbed_event).collect();
    Delivery { diagnostic: None, history, ..delivery }
}

pub fn scrubbed_event(event: DeliveryEvent) -> DeliveryEvent {
    DeliveryEvent { diagnostic: None, ..event }
}

/// A feed entry of one of `applications` (or their notices) without personal values; other
/// entries as they are.
pub fn scrubbed_entity(entity: Entity, applications: &[i64]) -> Option<Entity> {
    match entity {
        Entity::Application(a) if applications.contains(&a.id) => {
            Some(Entity::Application(Application {
                form: scrubbed_form(a.form),
                note: None,
                login_id: None,
                ..a
            }))
        }
        Entity::Notice(n) if applications.contains(&n.application_id) => {
            Some(Entity::Notice(Notice {
                to: String::new(),
                body: PURGED_BODY.into(),
                delivery: scrubbed_delivery(n.delivery),
                ..n
            }))
        }
        _ => None,
    }
}

/// [`Retention`] for both databases (see `sql`); `$compact` run outside any transaction.
macro_rules! retention_sql {
    ($storage:ty, $db:ty, $compact:literal) => {
        #[async_trait]
        impl Retention for $storage {
            async fn prefectures(&self) -> Result<Vec<String>> {
                Ok(sqlx::query_scalar("SELECT DISTINCT prefecture FROM applications ORDER BY prefecture")
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn expired(&self, prefecture: Prefecture, cutoff: &str) -> Result<Vec<i64>> {
                Ok(sqlx::query_scalar(&format!(
                    "SELECT id FROM applications WHERE prefecture = $1 AND status IN {SETTLED}
                     AND updated_at < $2 AND email_key IS NOT NULL ORDER BY id"
                ))
                .bind(prefecture.code())
                .bind(cutoff)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn purge_personal(&self, prefecture: Prefecture, ids: &[i64], cutoff: &str) -> Result<Purged> {
                let mut purged = Purged::default();
                let (_writer, mut tx) = self.write_within(prefecture).await?;
                for &id in ids {
                    let form: String = sqlx::query_scalar("SELECT form FROM applications WHERE id = $1")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                    let form = to_json(&scrubbed_form(from_json(&form)?));
                    purged.applications += sqlx::query(
                        "UPDATE applications SET form = $1, email_key = NULL, note = NULL, login_id = NULL,
                         confirm_token_hash = NULL, resubmit_token_hash = NULL WHERE id = $2",
                    )
                    .bind(form)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    sqlx::query("UPDATE audit SET note = NULL WHERE application_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    let notices: Vec<(i64, String)> =
                        sqlx::query_as("SELECT id, delivery FROM notices WHERE application_id = $1")
                            .bind(id)
                            .fetch_all(&mut *tx)
                            .await?;
                    for (notice, delivery) in notices {
                        let delivery = to_json(&scrubbed_delivery(from_json(&delivery)?));
                        purged.notices += sqlx::query(
                            "UPDATE notices SET to_address = '', body = $1, desk_body = NULL, delivery = $2 WHERE id = $3",
                        )
                        .bind(PURGED_BODY)
                        .bind(delivery)
                        .bind(notice)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        let events: Vec<(i64, String)> =
                            sqlx::query_as("SELECT id, event FROM delivery_audit WHERE notice_id = $1")
                                .bind(notice)
                                .fetch_all(&mut *tx)
                                .await?;
                        for (row, event) in events {
                            let event = to_json(&scrubbed_event(from_json(&event)?));
                            sqlx::query("UPDATE delivery_audit SET event = $1 WHERE id = $2")
                                .bind(event)
                                .bind(row)
                                .execute(&mut *tx)
                                .await?;
                        }
                        purged.bounces += sqlx::query("DELETE FROM inbound_mail WHERE notice_id = $1")
                            .bind(notice)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                    }
                }
                // Every copy the feed holds, for a desk that syncs from zero.
                let rows: Vec<(i64, String)> = sqlx::query_as(
                    "SELECT seq, payload FROM changes WHERE prefecture = $1 AND entity IN ('application', 'notice')",
                )
                .bind(prefecture.code())
                .fetch_all(&mut *tx)
                .await?;
                for (seq, payload) in rows {
                    if let Some(entity) = scrubbed_entity(from_json(&payload)?, ids) {
                        sqlx::query("UPDATE changes SET payload = $1 WHERE seq = $2")
                            .bind(to_json(&entity))
                            .bind(seq)
                            .execute(&mut *tx)
                            .await?;
                        purged.feed_rows += 1;
                    }
                }
                sqlx::query(
                    "DELETE FROM idempotency WHERE created_at < $1
                     AND officer_id IN (SELECT id FROM officers WHERE prefecture = $2)",
                )
                .bind(cutoff)
                .bind(prefecture.code())
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(purged)
            }

            async fn compact(&self) -> Result<()> {
                sqlx::raw_sql($compact).execute(&self.pool).await?;
                Ok(())
            }
        }
    };
}

pub(super) use retention_sql;
