//! 医療機関の名簿: the registry rows the desks look institutions up in, and which of them has an
//! account.

use async_trait::async_trait;
use madoguchi_registry::InstitutionRecord;

use super::error::Result;

#[async_trait]
pub trait Registry: Send + Sync {
    /// Upserts registry rows (from the shared importer); each changed one enters the feed.
    async fn import_registry(&self, records: &[InstitutionRecord]) -> Result<usize>;
}

/// [`Registry`] for both databases (see `sql`).
macro_rules! registry_sql {
    ($storage:ty, $db:ty) => {
        /// Re-marks the registry entry of `insurance_code` as having an account, into the feed.
        async fn mark_account(tx: &mut sqlx::Transaction<'static, $db>, insurance_code: &str) -> Result<()> {
            let rows: Vec<(i64, String)> =
                sqlx::query_as("SELECT id, entry FROM institutions WHERE insurance_code = $1")
                    .bind(insurance_code)
                    .fetch_all(&mut **tx)
                    .await?;
            for (id, entry) in rows {
                let mut entry: RegistryEntry = from_json(&entry)?;
                if entry.has_account {
                    continue;
                }
                entry.has_account = true;
                sqlx::query("UPDATE institutions SET entry = $1 WHERE id = $2")
                    .bind(to_json(&entry))
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                change(tx, entry.prefecture, &Entity::Institution(entry)).await?;
            }
            Ok(())
        }

        #[async_trait]
        impl Registry for $storage {
            async fn import_registry(&self, records: &[InstitutionRecord]) -> Result<usize> {
                let (_writer, mut tx) = self.write().await?;
                let mut changed = 0;
                for r in records {
                    let code = r.insurance_code.map(|c| c.digits());
                    let has_account: Option<i64> = match &code {
                        Some(c) => sqlx::query_scalar("SELECT 1 FROM accounts WHERE insurance_code = $1 LIMIT 1")
                            .bind(c)
                            .fetch_optional(&mut *tx)
                            .await?,
                        None => None,
                    };
                    let entry = RegistryEntry {
                        source: r.source.as_str().to_owned(),
                        source_key: r.key.clone(),
                        insurance_code: code.clone(),
                        kind: r.kind.map(|k| k.key().to_owned()),
                        name: r.name.clone(),
                        kana: r.kana.clone(),
                        prefecture: r.prefecture,
                        postal_code: r.postal_code.map(|p| p.digits()),
                        address: r.address.clone(),
                        has_account: has_account.is_some(),
                    };
                    let json = to_json(&entry);
                    let before: Option<String> =
                        sqlx::query_scalar("SELECT entry FROM institutions WHERE source = $1 AND source_key = $2")
                            .bind(&entry.source)
                            .bind(&entry.source_key)
                            .fetch_optional(&mut *tx)
                            .await?;
                    if before.as_deref() == Some(json.as_str()) {
                        continue;
                    }
                    sqlx::query(
                        "INSERT INTO institutions (prefecture, source, source_key, insurance_code, entry) VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (source, source_key) DO UPDATE SET prefecture = excluded.prefecture,
                             insurance_code = excluded.insurance_code, entry = excluded.entry",
                    )
                    .bind(entry.prefecture.code())
                    .bind(&entry.source)
                    .bind(&entry.source_key)
                    .bind(&code)
                    .bind(&json)
                    .execute(&mut *tx)
                    .await?;
                    change(&mut tx, entry.prefecture, &Entity::Institution(entry)).await?;
                    changed += 1;
                }
                tx.commit().await?;
                Ok(changed)
            }
        }
    };
}

pub(super) use registry_sql;
