//! 受信: the server's changes feed, pulled page by page; each page is applied in one
//! transaction with its cursor, so a connection lost mid-pull resumes where it stopped.

use madoguchi_domain::api::{ChangesPage, Entity};

use super::client::SyncClient;
use super::error::SyncError;
use crate::applications;
use crate::records::{self, RecordKind};
use crate::store::{Store, StoreError};

impl Store {
    async fn apply_page(&self, page: &ChangesPage) -> Result<(), StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        // The page's applications together, in its order (a later version wins).
        let mut apps = Vec::new();
        for change in &page.changes {
            match &change.entity {
                Entity::Application(app) => apps.push(app),
                Entity::Notice(n) => {
                    sqlx::query(
                        "INSERT OR REPLACE INTO notices (id, application_id, payload) VALUES (?1, ?2, ?3)",
                    )
                    .bind(n.id)
                    .bind(n.application_id)
                    .bind(serde_json::to_string(n)?)
                    .execute(&mut *tx)
                    .await?;
                }
                Entity::Account(a) => {
                    sqlx::query(
                        "INSERT OR REPLACE INTO accounts (id, insurance_code, institution_code, login_id, payload) VALUES (?1, ?2, ?3, ?4, ?5)",
                    )
                    .bind(a.id)
                    .bind(&a.insurance_code)
                    .bind(&a.institution_code)
                    .bind(&a.login_id)
                    .bind(serde_json::to_string(a)?)
                    .execute(&mut *tx)
                    .await?;
                }
                // The registry reaches the desk through the lookup import; the feed's copy
                // is taken up with the queue's flags.
                Entity::Institution(_) => {}
                Entity::Call(c) if c.steps.is_empty() => {
                    log::warn!("call {} from the feed has no step; not taken", c.id);
                }
                Entity::Call(c) => {
                    let payload = serde_json::to_string(c)?;
                    records::take(&mut tx, RecordKind::Call, &c.id, &payload, &c.updated_at).await?
                }
                Entity::Contact(c) => {
                    let payload = serde_json::to_string(c)?;
                    records::take(&mut tx, RecordKind::Contact, &c.id, &payload, &c.updated_at)
                        .await?
                }
                Entity::Lapsed(l) => {
                    sqlx::query(
                        "INSERT OR REPLACE INTO lapsed_checks (id, prefecture, insurance_code, payload) VALUES (?1, ?2, ?3, ?4)",
                    )
                    .bind(l.id)
                    .bind(l.prefecture.code())
                    .bind(&l.insurance_code)
                    .bind(serde_json::to_string(l)?)
                    .execute(&mut *tx)
                    .await?;
                }
                Entity::PrefectureSettings(p) => {
                    let (id, payload) = (p.prefecture.code(), serde_json::to_string(p)?);
                    let kind = RecordKind::PrefectureSettings;
                    records::take(&mut tx, kind, &id, &payload, &p.updated_at).await?
                }
            }
        }
        applications::upsert(&mut tx, &apps).await?;
        sqlx::query(
            "UPDATE sync_state SET cursor = ?1, server_sender = COALESCE(?2, server_sender),
             epoch = COALESCE(?3, epoch), token_expires_at = COALESCE(?4, token_expires_at) WHERE id = 1",
        )
        .bind(page.next_cursor)
        .bind(&page.sender)
        .bind(page.epoch)
        .bind(&page.token_expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The address the server said its notices come from, once a page has said it.
    pub async fn server_sender(&self) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT server_sender FROM sync_state WHERE id = 1")
            .fetch_one(self.pool())
            .await?)
    }

    async fn cursor(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT cursor FROM sync_state WHERE id = 1")
            .fetch_one(self.pool())
            .await?)
    }

    /// The feed epoch the desk last pulled under (none before its first pull).
    async fn epoch(&self) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT epoch FROM sync_state WHERE id = 1")
            .fetch_one(self.pool())
            .await?)
    }

    /// Pulls every page after the cursor. A page of another epoch than the desk's (the server
    /// was restored from a backup) makes the desk forget what it pulled and start over, its
    /// outbox kept: cursors of the old epoch mean nothing now.
    pub async fn pull(&self, client: &SyncClient) -> Result<usize, SyncError> {
        let mut pulled = 0;
        loop {
            let mut page = client.changes(self.cursor().await?).await?;
            let known = self.epoch().await?;
            if let (Some(was), Some(now)) = (known, page.epoch) {
                if was != now {
                    log::warn!("the server's feed epoch is {now}, was {was} (restored from a backup): pulling everything again");
                    self.reset_sync().await?;
                    page = client.changes(0).await?;
                }
            }
            pulled += page.changes.len();
            self.apply_page(&page).await?;
            if !page.has_more {
                return Ok(pulled);
            }
        }
    }

    /// 再同期: forgets what was pulled and starts the feed from the beginning. The outbox —
    /// actions not yet sent — and records not yet accepted are kept.
    pub async fn reset_sync(&self) -> Result<(), StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        for sql in [
            "DELETE FROM applications",
            "DELETE FROM notices",
            "DELETE FROM accounts",
            "DELETE FROM lapsed_checks",
            "DELETE FROM records WHERE dirty = 0",
            "UPDATE sync_state SET cursor = 0 WHERE id = 1",
        ] {
            sqlx::query(sql).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        log::info!("sync state reset: the next sync pulls everything");
        Ok(())
    }
}
