//! 申請状況の確認: what the public status page reads of one application, and what the
//! applicant did there (looked; said the mail did not arrive), which reaches the desks with the
//! application through the feed.

use async_trait::async_trait;
use madoguchi_domain::api::{Application, Notice};

use super::error::Result;

/// One application as the status page may know it. It is found by its number alone: the page
/// compares the address itself, so a wrong address costs what an unknown number costs.
#[derive(Debug, Clone)]
pub struct StatusFacts {
    pub application: Application,
    /// Its 疎通確認 is done (or it never needed one).
    pub confirmed: bool,
    /// Until when the 差戻し mail's resubmission link is good (returned ones).
    pub resubmit_expires_at: Option<String>,
    /// Every mail sent for it, the 疎通確認 included, oldest first.
    pub notices: Vec<Notice>,
}

#[async_trait]
pub trait StatusPage: Send + Sync {
    /// The application numbered `id` and its mails; the same two reads whether it exists or not.
    async fn status_facts(&self, id: i64) -> Result<Option<StatusFacts>>;
    /// Notes that the applicant read the page at `at`.
    async fn status_looked(&self, id: i64, at: &str) -> Result<()>;
    /// Records the applicant's word that the mail did not arrive, unless they said it at or
    /// after `since` already (the day's start): whether it was recorded now.
    async fn mail_missing(&self, id: i64, at: &str, since: &str) -> Result<bool>;
}

/// [`StatusPage`] for both databases (see `sql`).
macro_rules! status_sql {
    ($storage:ty, $db:ty) => {
        /// Sets `column` of application `id` to `at` where `condition` holds, and sends the
        /// application to its desks' feed once it is confirmed; whether it was set.
        async fn note_use(storage: &$storage, id: i64, column: &str, at: &str, since: &str) -> Result<bool> {
            let (_writer, mut tx) = storage.write().await?;
            let sql = format!(
                "UPDATE applications SET {column} = $1 WHERE id = $2 AND ({column} IS NULL OR {column} < $3)"
            );
            let set = sqlx::query(&sql).bind(at).bind(id).bind(since).execute(&mut *tx).await?.rows_affected() > 0;
            if set {
                let sql = format!("SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = $1 AND confirmed_at IS NOT NULL");
                let row: Option<ApplicationRow> = sqlx::query_as(&sql).bind(id).fetch_optional(&mut *tx).await?;
                if let Some(app) = row.map(ApplicationRow::into_application).transpose()? {
                    change(&mut tx, app.prefecture, &Entity::Application(app)).await?;
                }
            }
            tx.commit().await?;
            Ok(set)
        }

        #[async_trait]
        impl StatusPage for $storage {
            async fn status_facts(&self, id: i64) -> Result<Option<StatusFacts>> {
                let sql = format!(
                    "SELECT {APPLICATION_COLUMNS}, confirmed_at, resubmit_expires_at FROM applications WHERE id = $1"
                );
                let row: Option<(ApplicationRow, Option<String>, Option<String>)> = {
                    use sqlx::Row;
                    let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
                    row.map(|r| -> Result<_> {
                        let app = <ApplicationRow as sqlx::FromRow<_>>::from_row(&r)?;
                        Ok((app, r.try_get("confirmed_at")?, r.try_get("resubmit_expires_at")?))
                    })
                    .transpose()?
                };
                let sql = format!("SELECT {NOTICE_COLUMNS} FROM notices WHERE application_id = $1 ORDER BY id");
                let notices: Vec<NoticeRow> = sqlx::query_as(&sql).bind(id).fetch_all(&self.pool).await?;
                let Some((app, confirmed_at, resubmit_expires_at)) = row else { return Ok(None) };
                Ok(Some(StatusFacts {
                    application: app.into_application()?,
                    confirmed: confirmed_at.is_some(),
                    resubmit_expires_at,
                    notices: notices.into_iter().map(NoticeRow::into_notice).collect::<Result<_>>()?,
                }))
            }

            async fn status_looked(&self, id: i64, at: &str) -> Result<()> {
                note_use(self, id, "status_looked_at", at, at).await.map(|_| ())
            }

            async fn mail_missing(&self, id: i64, at: &str, since: &str) -> Result<bool> {
                note_use(self, id, "mail_missing_at", at, since).await
            }
        }
    };
}

pub(super) use status_sql;
