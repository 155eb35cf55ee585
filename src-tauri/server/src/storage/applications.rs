//! 申請: one application as its prefecture sees it, and its audit trail (監査記録).

use async_trait::async_trait;
use madoguchi_domain::api::{Application, AuditEntry};
use madoguchi_domain::Prefecture;

use super::error::Result;

#[async_trait]
pub trait Applications: Send + Sync {
    /// The application if it belongs to `prefecture`.
    async fn application(&self, prefecture: Prefecture, id: i64) -> Result<Option<Application>>;
    async fn audit(&self, prefecture: Prefecture, id: i64) -> Result<Vec<AuditEntry>>;
}

/// [`Applications`] for both databases (see `sql`).
macro_rules! applications_sql {
    ($storage:ty, $db:ty) => {
        async fn audit_row(
            tx: &mut sqlx::Transaction<'static, $db>,
            app: &Application,
            officer: Option<i64>,
            desk: &str,
            from: Option<ApplicationStatus>,
            reason: Option<&str>,
        ) -> Result<()> {
            sqlx::query(
                "INSERT INTO audit (application_id, prefecture, officer_id, desk, at, from_status, to_status, reason, note)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(app.id)
            .bind(app.prefecture.code())
            .bind(officer)
            .bind(desk)
            .bind(&app.updated_at)
            .bind(from.map(|s| name_of(&s)))
            .bind(name_of(&app.status))
            .bind(reason)
            .bind(&app.note)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        #[async_trait]
        impl Applications for $storage {
            async fn application(&self, prefecture: Prefecture, id: i64) -> Result<Option<Application>> {
                let sql = format!("SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = $1 AND prefecture = $2 AND confirmed_at IS NOT NULL");
                let row: Option<ApplicationRow> =
                    sqlx::query_as(&sql).bind(id).bind(prefecture.code()).fetch_optional(&self.pool).await?;
                row.map(ApplicationRow::into_application).transpose()
            }

            async fn audit(&self, prefecture: Prefecture, id: i64) -> Result<Vec<AuditEntry>> {
                // The trail of every application in its chain of 再申請, oldest first.
                let mut chain = vec![id];
                for forward in [false, true] {
                    let mut at = id;
                    while chain.len() < 50 {
                        let column = if forward { "resubmitted_as" } else { "resubmission_of" };
                        let sql = format!("SELECT {column} FROM applications WHERE id = $1 AND prefecture = $2");
                        let next: Option<Option<i64>> =
                            sqlx::query_scalar(&sql).bind(at).bind(prefecture.code()).fetch_optional(&self.pool).await?;
                        match next.flatten() {
                            Some(n) if !chain.contains(&n) => { chain.push(n); at = n; }
                            _ => break,
                        }
                    }
                }
                type Row = (i64, String, Option<String>, String, Option<String>, String, Option<String>, Option<String>);
                let mut entries = Vec::new();
                for application in chain {
                    let rows: Vec<Row> = sqlx::query_as(
                        "SELECT a.id, a.at, o.name AS officer, a.desk, a.from_status, a.to_status, a.reason, a.note
                         FROM audit a LEFT JOIN officers o ON o.id = a.officer_id
                         WHERE a.application_id = $1 AND a.prefecture = $2 ORDER BY a.id",
                    )
                    .bind(application)
                    .bind(prefecture.code())
                    .fetch_all(&self.pool)
                    .await?;
                    entries.extend(rows.into_iter().map(|(seq, at, officer, desk, from_status, to_status, reason, note)| {
                        (seq, AuditEntry { application_id: application, at, officer, desk, from_status, to_status, reason, note })
                    }));
                }
                entries.sort_by_key(|(seq, _)| *seq);
                Ok(entries.into_iter().map(|(_, e)| e).collect())
            }
        }
    };
}

pub(super) use applications_sql;
