//! 稼働確認: whether the database answers, and whether its schema is the one this binary was
//! built for — what a load balancer's readiness check and an operator's upgrade need to know.

use async_trait::async_trait;

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

#[async_trait]
pub trait Health: Send + Sync {
    /// The schema as the database has it (one round trip: it answers, or this fails).
    async fn schema(&self) -> Result<Schema>;
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
        }
    };
}

pub(super) use health_sql;
