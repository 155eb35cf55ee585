//! 担当者: the prefecture officers, known by their bearer tokens (only hashes stored), which
//! expire, are revoked and rotated from the command line.

use async_trait::async_trait;
use madoguchi_domain::Prefecture;

use super::error::Result;

/// A prefecture officer, as authenticated by a bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Officer {
    pub id: i64,
    pub prefecture: Prefecture,
    pub name: String,
    /// When the token ends (RFC 3339): desks are told, to warn before it does.
    pub expires_at: String,
}

/// An officer's token as `officer list` shows it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OfficerToken {
    pub id: i64,
    pub prefecture: String,
    pub name: String,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

#[async_trait]
pub trait Officers: Send + Sync {
    /// A new officer whose token (stored as its hash) is valid until `expires_at`.
    async fn create_officer(
        &self,
        prefecture: Prefecture,
        name: &str,
        token_hash: &str,
        expires_at: &str,
    ) -> Result<Officer>;
    /// The officer a token belongs to, unless it was revoked or has expired; notes its use.
    async fn officer_by_token_hash(&self, token_hash: &str) -> Result<Option<Officer>>;
    /// Every officer (of `prefecture`), with their token's dates.
    async fn officers(&self, prefecture: Option<Prefecture>) -> Result<Vec<OfficerToken>>;
    /// Ends officer `id`'s token now; false if there is no such officer.
    async fn revoke_officer(&self, id: i64) -> Result<bool>;
    /// Gives officer `id` a new token (its hash) valid until `expires_at`; the old one stops
    /// working. False if there is no such officer or it was revoked.
    async fn rotate_officer(&self, id: i64, token_hash: &str, expires_at: &str) -> Result<bool>;
}

/// [`Officers`] for both databases (see `sql`).
macro_rules! officers_sql {
    ($storage:ty, $db:ty) => {
        #[async_trait]
        impl Officers for $storage {
            async fn create_officer(&self, prefecture: Prefecture, name: &str, token_hash: &str, expires_at: &str) -> Result<Officer> {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO officers (prefecture, name, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(prefecture.code())
                .bind(name)
                .bind(token_hash)
                .bind(crate::clock::now())
                .bind(expires_at)
                .fetch_one(&self.pool)
                .await?;
                Ok(Officer { id, prefecture, name: name.to_owned(), expires_at: expires_at.to_owned() })
            }

            async fn officer_by_token_hash(&self, token_hash: &str) -> Result<Option<Officer>> {
                let now = crate::clock::now();
                let row: Option<(i64, String, String, Option<String>, String)> = sqlx::query_as(
                    "SELECT id, prefecture, name, last_used_at, expires_at FROM officers
                     WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
                )
                .bind(token_hash)
                .bind(&now)
                .fetch_optional(&self.pool)
                .await?;
                let Some((id, pref, name, last_used, expires_at)) = row else { return Ok(None) };
                // Noted to the five minutes: not a write on every request.
                let stale = crate::clock::stamp(chrono::Utc::now() - chrono::Duration::minutes(5));
                if last_used.is_none_or(|at| at < stale) {
                    let (_writer, mut tx) = self.write().await?;
                    sqlx::query("UPDATE officers SET last_used_at = $1 WHERE id = $2")
                        .bind(&now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                }
                Ok(Some(Officer { id, prefecture: stored_prefecture(&pref)?, name, expires_at }))
            }

            async fn officers(&self, prefecture: Option<Prefecture>) -> Result<Vec<OfficerToken>> {
                Ok(sqlx::query_as(
                    "SELECT id, prefecture, name, created_at, expires_at, last_used_at, revoked_at FROM officers
                     WHERE $1 = '' OR prefecture = $1 ORDER BY id",
                )
                .bind(prefecture.map(|p| p.code()).unwrap_or_default())
                .fetch_all(&self.pool)
                .await?)
            }

            async fn revoke_officer(&self, id: i64) -> Result<bool> {
                let (_writer, mut tx) = self.write().await?;
                let done = sqlx::query("UPDATE officers SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2")
                    .bind(crate::clock::now())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                tx.commit().await?;
                Ok(done == 1)
            }

            async fn rotate_officer(&self, id: i64, token_hash: &str, expires_at: &str) -> Result<bool> {
                let (_writer, mut tx) = self.write().await?;
                let done = sqlx::query(
                    "UPDATE officers SET token_hash = $1, expires_at = $2, last_used_at = NULL
                     WHERE id = $3 AND revoked_at IS NULL",
                )
                .bind(token_hash)
                .bind(expires_at)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                tx.commit().await?;
                Ok(done == 1)
            }
        }
    };
}

pub(super) use officers_sql;
