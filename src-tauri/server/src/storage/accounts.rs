//! アカウント: the G-MIS accounts a prefecture holds, made by approvals or read from its export.

use async_trait::async_trait;
use madoguchi_domain::api::Account;
use madoguchi_domain::Prefecture;

use super::error::Result;

#[async_trait]
pub trait Accounts: Send + Sync {
    /// Adds the prefecture's existing G-MIS accounts read from its export, in one transaction
    /// (`apply` false: a dry run, nothing kept). An account already held is unchanged; a
    /// login ID of another institution, or an institution with another login ID, is a conflict
    /// and not added; each added one enters the feed.
    async fn import_accounts(
        &self,
        prefecture: Prefecture,
        rows: &[crate::account_import::AccountLine],
        apply: bool,
    ) -> Result<crate::account_import::Outcome>;
    async fn accounts(&self, prefecture: Prefecture) -> Result<Vec<Account>>;
}

/// [`Accounts`] for both databases (see `sql`).
macro_rules! accounts_sql {
    ($storage:ty, $db:ty) => {
        #[async_trait]
        impl Accounts for $storage {
            async fn import_accounts(
                &self,
                prefecture: Prefecture,
                rows: &[crate::account_import::AccountLine],
                apply: bool,
            ) -> Result<crate::account_import::Outcome> {
                use crate::account_import::{Conflict, Outcome};
                let (_writer, mut tx) = self.write().await?;
                let mut outcome = Outcome::default();
                let registry: Option<i64> =
                    sqlx::query_scalar("SELECT 1 FROM institutions LIMIT 1").fetch_optional(&mut *tx).await?;
                let now = crate::clock::now();
                for row in rows {
                    let mut conflict = |message: String| outcome.conflicts.push(Conflict { line: row.line, message });
                    let held: Option<(String, String, Option<String>)> = sqlx::query_as(
                        "SELECT prefecture, institution_code, insurance_code FROM accounts WHERE login_id = $1",
                    )
                    .bind(&row.login_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    match held {
                        Some((p, code, insurance))
                            if p == prefecture.code()
                                && (code == row.institution_code || (insurance.is_some() && insurance == row.insurance_code)) =>
                        {
                            outcome.unchanged += 1;
                            continue;
                        }
                        Some(_) => {
                            conflict(format!("{}行目: このログインIDは別の機関のアカウントとして登録済みです。", row.line));
                            continue;
                        }
                        None => {}
                    }
                    let other: Option<i64> = sqlx::query_scalar(
                        "SELECT id FROM accounts
                         WHERE (insurance_code IS NOT NULL AND insurance_code = $1) OR (prefecture = $2 AND institution_code = $3)
                         LIMIT 1",
                    )
                    .bind(&row.insurance_code)
                    .bind(prefecture.code())
                    .bind(&row.institution_code)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if other.is_some() {
                        conflict(format!("{}行目: この機関には別のログインIDのアカウントが登録済みです。", row.line));
                        continue;
                    }
                    if let (Some(code), Some(_)) = (&row.insurance_code, registry) {
                        let listed: Option<i64> = sqlx::query_scalar("SELECT 1 FROM institutions WHERE insurance_code = $1 LIMIT 1")
                            .bind(code)
                            .fetch_optional(&mut *tx)
                            .await?;
                        if listed.is_none() {
                            outcome.unknown_to_registry.push(row.line);
                        }
                    }
                    let account: AccountRow = sqlx::query_as(
                        "INSERT INTO accounts (prefecture, institution_code, insurance_code, institution_name, login_id, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6)
                         RETURNING id, prefecture, institution_code, insurance_code, institution_name, login_id, created_at",
                    )
                    .bind(prefecture.code())
                    .bind(&row.institution_code)
                    .bind(&row.insurance_code)
                    .bind(&row.institution_name)
                    .bind(&row.login_id)
                    .bind(&now)
                    .fetch_one(&mut *tx)
                    .await?;
                    change(&mut tx, prefecture, &Entity::Account(account.into_account()?)).await?;
                    outcome.added.push(row.clone());
                }
                if apply {
                    tx.commit().await?;
                }
                Ok(outcome)
            }

            async fn accounts(&self, prefecture: Prefecture) -> Result<Vec<Account>> {
                let rows: Vec<AccountRow> = sqlx::query_as(
                    "SELECT id, prefecture, institution_code, insurance_code, institution_name, login_id, created_at
                     FROM accounts WHERE prefecture = $1 ORDER BY id",
                )
                .bind(prefecture.code())
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(AccountRow::into_account).collect()
            }
        }
    };
}

pub(super) use accounts_sql;
