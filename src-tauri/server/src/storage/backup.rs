//! 退避と復元: what a backup records of the database (each prefecture's feed, the tables'
//! sizes, the feed's epoch), what a restore changes so that nothing is silently skipped or
//! mailed twice (a new epoch, the feed's sequence moved past every cursor handed out, notices
//! not yet sent held), releasing held mail, and the operators' own audit trail. The copy itself
//! (VACUUM INTO, pg_dump) is the `backup` module's.

use async_trait::async_trait;

use super::error::Result;

/// The main tables a manifest counts.
pub const COUNTED: [&str; 8] = [
    "applications",
    "notices",
    "accounts",
    "officers",
    "institutions",
    "records",
    "changes",
    "audit",
];

/// One prefecture's changes feed: how many changes, and the last one's seq.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FeedMark {
    pub prefecture: String,
    pub changes: i64,
    pub last_seq: i64,
}

#[async_trait]
pub trait Backup: Send + Sync {
    /// Every prefecture's feed, in prefecture order.
    async fn feed_marks(&self) -> Result<Vec<FeedMark>>;
    /// Rows of each of [`COUNTED`].
    async fn table_counts(&self) -> Result<Vec<(String, i64)>>;
    /// The feed's epoch (1 until the first restore).
    async fn epoch(&self) -> Result<i64>;
    /// After a restore, in one commit: a new epoch, the feed's sequence moved past `past`
    /// (the highest seq any desk may hold), notices not yet handed to the relay held until
    /// `mail release`, and the restore in the admin audit. The held notices by prefecture.
    async fn restored(&self, past: i64, detail: &str) -> Result<Vec<(String, i64)>>;
    /// Held notices back in the queue; how many, by prefecture.
    async fn release_held(&self) -> Result<Vec<(String, i64)>>;
    /// Notes an operator's action (never a token or a personal value).
    async fn admin_audit(&self, action: &str, prefecture: Option<&str>, detail: &str)
        -> Result<()>;
}

/// [`Backup`] for both databases (see `sql`): the `$advance` statements move the feed's
/// sequence to at least `$1`.
macro_rules! backup_sql {
    ($storage:ty, $db:ty, [$($advance:literal),+]) => {
        #[async_trait]
        impl Backup for $storage {
            async fn feed_marks(&self) -> Result<Vec<FeedMark>> {
                let rows: Vec<(String, i64, i64)> = sqlx::query_as(
                    "SELECT prefecture, COUNT(*), MAX(seq) FROM changes GROUP BY prefecture ORDER BY prefecture",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(prefecture, changes, last_seq)| FeedMark { prefecture, changes, last_seq })
                    .collect())
            }

            async fn table_counts(&self) -> Result<Vec<(String, i64)>> {
                let mut counts = Vec::new();
                for table in COUNTED {
                    let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                        .fetch_one(&self.pool)
                        .await?;
                    counts.push((table.to_owned(), n));
                }
                Ok(counts)
            }

            async fn epoch(&self) -> Result<i64> {
                Ok(sqlx::query_scalar("SELECT epoch FROM feed_epoch WHERE id = 1")
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn restored(&self, past: i64, detail: &str) -> Result<Vec<(String, i64)>> {
                let (_turn, mut tx) = self.write().await?;
                let at = crate::clock::now();
                sqlx::query("UPDATE feed_epoch SET epoch = epoch + 1, started_at = $1 WHERE id = 1")
                    .bind(&at)
                    .execute(&mut *tx)
                    .await?;
                $(sqlx::query($advance).bind(past).execute(&mut *tx).await?;)+
                let held: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT prefecture, COUNT(*) FROM notices WHERE delivery_state IN ('queued', 'sending')
                     GROUP BY prefecture ORDER BY prefecture",
                )
                .fetch_all(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE notices SET delivery_state = 'held', lease_until = NULL
                     WHERE delivery_state IN ('queued', 'sending')",
                )
                .execute(&mut *tx)
                .await?;
                sqlx::query("INSERT INTO admin_audit (at, action, prefecture, detail) VALUES ($1, 'restore', NULL, $2)")
                    .bind(&at)
                    .bind(detail)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(held)
            }

            async fn release_held(&self) -> Result<Vec<(String, i64)>> {
                let (_turn, mut tx) = self.write().await?;
                let held: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT prefecture, COUNT(*) FROM notices WHERE delivery_state = 'held'
                     GROUP BY prefecture ORDER BY prefecture",
                )
                .fetch_all(&mut *tx)
                .await?;
                sqlx::query("UPDATE notices SET delivery_state = 'queued' WHERE delivery_state = 'held'")
                    .execute(&mut *tx)
                    .await?;
                let n: i64 = held.iter().map(|(_, n)| n).sum();
                sqlx::query("INSERT INTO admin_audit (at, action, prefecture, detail) VALUES ($1, 'mail_release', NULL, $2)")
                    .bind(crate::clock::now())
                    .bind(format!("{n} held notices queued again"))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(held)
            }

            async fn admin_audit(&self, action: &str, prefecture: Option<&str>, detail: &str) -> Result<()> {
                sqlx::query("INSERT INTO admin_audit (at, action, prefecture, detail) VALUES ($1, $2, $3, $4)")
                    .bind(crate::clock::now())
                    .bind(action)
                    .bind(prefecture)
                    .bind(detail)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    };
}

pub(super) use backup_sql;
