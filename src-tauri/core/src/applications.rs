//! 申請とアカウント: the 新規ユーザ登録申請 and G-MIS accounts as this desk holds them — the
//! server's copy from the changes feed, with the status this desk shows once its unsent
//! actions are applied.

use madoguchi_domain::api::{Account, Application};
use madoguchi_domain::{Action, ApplicationStatus, InsuranceCode, Prefecture};
use sqlx::Sqlite;

use crate::store::{Store, StoreError};

/// An account the institution may already have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownAccount {
    pub prefecture: Prefecture,
    pub institution_code: String,
    pub insurance_code: Option<String>,
    pub login_id: String,
}

/// The account the institution of `app` already has, by insurance code or by prefecture and
/// 機関コード — the rule the server applies when it approves as existing.
pub fn existing_account<'a>(
    app: &Application,
    accounts: &'a [KnownAccount],
) -> Option<&'a KnownAccount> {
    let code = app
        .form
        .insurance_code
        .as_deref()
        .and_then(|c| c.parse::<InsuranceCode>().ok())
        .map(|c| c.digits());
    let institution_code = app.form.institution_code.trim();
    accounts.iter().find(|a| {
        (code.is_some() && a.insurance_code == code)
            || (a.prefecture == app.prefecture && a.institution_code == institution_code)
    })
}

/// A status key as stored; anything else means the row was not written by this desk.
pub(crate) fn status_from(s: &str) -> Result<ApplicationStatus, StoreError> {
    ApplicationStatus::from_key(s)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown status {s:?}")))
}

/// An application with the status the desk shows, if its unsent actions change it.
pub type HeldApplication = (Application, Option<ApplicationStatus>);

impl Store {
    /// The application as the desk holds it (server state) and its local status.
    pub async fn application(&self, id: i64) -> Result<Option<HeldApplication>, StoreError> {
        let row: Option<(String, Option<String>)> =
            sqlx::query_as("SELECT payload, local_status FROM applications WHERE id = ?1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        row.map(|(payload, local)| held(&payload, local.as_deref())).transpose()
    }

    /// Every application the desk holds, oldest first, with its local (unsent) status.
    pub async fn applications(&self) -> Result<Vec<HeldApplication>, StoreError> {
        let rows: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT payload, local_status FROM applications ORDER BY received_at, id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|(payload, local)| held(payload, local.as_deref())).collect()
    }

    /// The accounts the feed brought; an unreadable one is left out.
    pub async fn known_accounts(&self) -> Result<Vec<KnownAccount>, StoreError> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT payload FROM accounts").fetch_all(self.pool()).await?;
        Ok(rows
            .into_iter()
            .filter_map(|(payload,)| serde_json::from_str::<Account>(&payload).ok())
            .map(|a| KnownAccount {
                prefecture: a.prefecture,
                institution_code: a.institution_code,
                insurance_code: a.insurance_code,
                login_id: a.login_id,
            })
            .collect())
    }
}

fn held(payload: &str, local: Option<&str>) -> Result<HeldApplication, StoreError> {
    Ok((serde_json::from_str(payload)?, local.map(status_from).transpose()?))
}

/// Takes the server's copy of an application; an older state never overwrites a newer one
/// (a feed page and a decision's answer can cross).
pub(crate) async fn upsert(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    app: &Application,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO applications (id, prefecture, status, version, payload, received_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET prefecture = excluded.prefecture, status = excluded.status,
             version = excluded.version, payload = excluded.payload, updated_at = excluded.updated_at
         WHERE excluded.version >= applications.version",
    )
    .bind(app.id)
    .bind(app.prefecture.code())
    .bind(app.status.key())
    .bind(app.version)
    .bind(serde_json::to_string(app)?)
    .bind(&app.received_at)
    .bind(&app.updated_at)
    .execute(&mut **tx)
    .await?;
    refresh_local_status(tx, app.id).await
}

/// The desk's view: the server's status with the still-pending actions applied in order.
pub(crate) async fn refresh_local_status(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    id: i64,
) -> Result<(), StoreError> {
    let Some(status): Option<String> =
        sqlx::query_scalar("SELECT status FROM applications WHERE id = ?1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
    else {
        return Ok(());
    };
    let pending: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM outbox WHERE application_id = ?1 AND state = 'pending' ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    let mut local = status_from(&status)?;
    for action in &pending {
        let action: Action = serde_json::from_str(action)?;
        // A pending action the server state no longer allows will come back refused.
        local = local.apply(action).unwrap_or(local);
    }
    let local = (!pending.is_empty()).then(|| local.key());
    sqlx::query("UPDATE applications SET local_status = ?1 WHERE id = ?2")
        .bind(local)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
