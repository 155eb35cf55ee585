//! 稼働確認: whether the database answers, whether its schema is the one this binary was built
//! for — what a load balancer's readiness check and an operator's upgrade need to know — and
//! the figures a monitor reads from the database (the same for every process serving it).

use async_trait::async_trait;

pub use madoguchi_domain::mail_health::NoticeFate;

use super::error::Result;

/// The database's migrations against this binary's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Schema {
    /// The newest migration the database has applied.
    pub applied: i64,
    /// The newest migration this binary knows.
    pub expected: i64,
}

impl Schema {
    pub fn is_current(&self) -> bool {
        self.applied == self.expected
    }
}

/// What the database says about the work, by prefecture (its code first in every row).
#[derive(Debug, Clone, Default)]
pub struct Figures {
    /// Notices by delivery state: (prefecture, state, count).
    pub notices: Vec<(String, String, i64)>,
    /// The oldest notice still waiting to be sent: (prefecture, created_at).
    pub oldest_queued: Vec<(String, String)>,
    /// The newest change in each prefecture's feed: (prefecture, seq).
    pub feed_head: Vec<(String, i64)>,
    /// Officers with a live token: (prefecture, latest use, soonest expiry, how many).
    pub officers: Vec<(String, Option<String>, String, i64)>,
}

#[async_trait]
pub trait Health: Send + Sync {
    /// The schema as the database has it (one round trip: it answers, or this fails).
    async fn schema(&self) -> Result<Schema>;
    /// When a notice was last handed to the relay, and since when the longest-due notice
    /// has waited (both by index: readiness asks every few seconds).
    async fn mail_marks(&self) -> Result<(Option<String>, Option<String>)>;
    /// The monitor's figures (a few grouped reads, by indexes where the tables are large).
    async fn figures(&self) -> Result<Figures>;
    /// `prefecture`'s notices made since `from` as the mail health reads them, those made
    /// since `recent` marked recent.
    async fn mail_fates(
        &self,
        prefecture: &str,
        from: &str,
        recent: &str,
    ) -> Result<Vec<NoticeFate>>;
    /// Closes every connection (and, for SQLite, checkpoints its journal) before the file is
    /// replaced or removed.
    async fn close(&self);
}

/// [`Health`] for both databases (see `sql`).
macro_rules! health_sql {
    ($storage:ty, $db:ty) => {
        #[async_trait]
        impl Health for $storage {
            async fn schema(&self) -> Result<Schema> {
                let tables: i64 =
                    sqlx::query_scalar(Self::HAS_MIGRATIONS).fetch_one(&self.pool).await?;
                let applied: Option<i64> = if tables == 0 {
                    None
                } else {
                    sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                        .fetch_one(&self.pool)
                        .await?
                };
                Ok(Schema { applied: applied.unwrap_or(0), expected: self.expected })
            }

            async fn mail_fates(&self, prefecture: &str, from: &str, recent: &str) -> Result<Vec<NoticeFate>> {
                let rows: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
                    "SELECT n.kind, n.delivery, n.to_address, n.created_at, a.confirmed_at
                       FROM notices n LEFT JOIN applications a ON a.id = n.application_id
                      WHERE n.prefecture = $1 AND n.created_at >= $2",
                )
                .bind(prefecture)
                .bind(from)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(kind, delivery, to, created_at, confirmed_at)| {
                        let delivery: madoguchi_domain::Delivery = from_json(&delivery)?;
                        Ok(NoticeFate {
                            kind: from_name(&kind)?,
                            state: delivery.state,
                            category: delivery.category,
                            domain: madoguchi_domain::mail_health::domain_of(&to),
                            recent: created_at.as_str() >= recent,
                            confirmed: confirmed_at.is_some(),
                        })
                    })
                    .collect()
            }

            async fn mail_marks(&self) -> Result<(Option<String>, Option<String>)> {
                let sent = sqlx::query_scalar("SELECT MAX(at) FROM delivery_audit WHERE state = 'sent'")
                    .fetch_one(&self.pool)
                    .await?;
                let due = sqlx::query_scalar(
                    "SELECT MIN(CASE WHEN next_attempt_at = '' THEN created_at ELSE next_attempt_at END)
                     FROM notices WHERE delivery_state = 'queued'",
                )
                .fetch_one(&self.pool)
                .await?;
                Ok((sent, due))
            }

            async fn close(&self) {
                self.pool.close().await;
            }

            async fn figures(&self) -> Result<Figures> {
                let notices = sqlx::query_as(
                    "SELECT prefecture, delivery_state, COUNT(*) FROM notices
                     GROUP BY prefecture, delivery_state ORDER BY prefecture, delivery_state",
                )
                .fetch_all(&self.pool)
                .await?;
                let oldest_queued = sqlx::query_as(
                    "SELECT prefecture, MIN(created_at) FROM notices
                     WHERE delivery_state IN ('queued', 'sending') GROUP BY prefecture",
                )
                .fetch_all(&self.pool)
                .await?;
                let feed_head =
                    sqlx::query_as("SELECT prefecture, MAX(seq) FROM changes GROUP BY prefecture")
                        .fetch_all(&self.pool)
                        .await?;
                let officers = sqlx::query_as(
                    "SELECT prefecture, MAX(last_used_at), MIN(expires_at), COUNT(*) FROM officers
                     WHERE revoked_at IS NULL GROUP BY prefecture",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(Figures { notices, oldest_queued, feed_head, officers })
            }
        }
    };
}

pub(super) use health_sql;
