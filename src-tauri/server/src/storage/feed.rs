//! 変更の配信: each prefecture's changes feed, in commit order, that its desks sync from.

use async_trait::async_trait;
use madoguchi_domain::api::ChangesPage;
use madoguchi_domain::Prefecture;

use super::error::Result;

#[async_trait]
pub trait Feed: Send + Sync {
    async fn changes(&self, prefecture: Prefecture, since: i64, limit: i64) -> Result<ChangesPage>;
}

/// [`Feed`] for both databases (see `sql`).
macro_rules! feed_sql {
    ($storage:ty, $db:ty) => {
        /// Adds the entity's new state to the feed of its prefecture.
        async fn change(tx: &mut sqlx::Transaction<'static, $db>, prefecture: Prefecture, entity: &Entity) -> Result<()> {
            let kind = match entity {
                Entity::Application(_) => "application",
                Entity::Notice(_) => "notice",
                Entity::Account(_) => "account",
                Entity::Institution(_) => "institution",
                Entity::Call(_) => "call",
                Entity::PrefectureSettings(_) => "prefecture_settings",
                Entity::Contact(_) => "contact",
                Entity::Lapsed(_) => "lapsed",
            };
            sqlx::query("INSERT INTO changes (prefecture, entity, payload) VALUES ($1, $2, $3)")
                .bind(prefecture.code())
                .bind(kind)
                .bind(to_json(entity))
                .execute(&mut **tx)
                .await?;
            Ok(())
        }

        #[async_trait]
        impl Feed for $storage {
            async fn changes(&self, prefecture: Prefecture, since: i64, limit: i64) -> Result<ChangesPage> {
                let mut rows: Vec<(i64, String)> = sqlx::query_as(
                    "SELECT seq, payload FROM changes WHERE prefecture = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                )
                .bind(prefecture.code())
                .bind(since)
                .bind(limit + 1)
                .fetch_all(&self.pool)
                .await?;
                let has_more = rows.len() as i64 > limit;
                rows.truncate(limit as usize);
                let next_cursor = rows.last().map_or(since, |(seq, _)| *seq);
                let changes = rows
                    .into_iter()
                    .map(|(seq, payload)| Ok(Change { seq, entity: from_json(&payload)? }))
                    .collect::<Result<Vec<_>>>()?;
                let epoch = sqlx::query_scalar("SELECT epoch FROM feed_epoch WHERE id = 1")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(ChangesPage {
                    changes,
                    next_cursor,
                    has_more,
                    sender: None,
                    epoch: Some(epoch),
                    token_expires_at: None,
                })
            }
        }
    };
}

pub(super) use feed_sql;
