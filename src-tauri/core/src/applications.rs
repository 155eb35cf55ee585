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

/// Takes the server's copies of applications, in a few statements however many; an older
/// state never overwrites a newer one (a feed page and a decision's answer can cross).
pub(crate) async fn upsert(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    apps: &[&Application],
) -> Result<(), StoreError> {
    if apps.is_empty() {
        return Ok(());
    }
    let rows = apps
        .iter()
        .map(|app| {
            Ok(serde_json::json!([
                app.id,
                app.prefecture.code(),
                app.status.key(),
                app.version,
                serde_json::to_string(app)?,
                app.received_at,
                app.updated_at,
            ]))
        })
        .collect::<Result<Vec<_>, serde_json::Error>>()?;
    // (`WHERE true`: SQLite's parser needs it before an upsert's ON CONFLICT.)
    sqlx::query(
        "INSERT INTO applications (id, prefecture, status, version, payload, received_at, updated_at)
         SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6
         FROM json_each(?1) WHERE true
         ON CONFLICT (id) DO UPDATE SET prefecture = excluded.prefecture, status = excluded.status,
             version = excluded.version, payload = excluded.payload, updated_at = excluded.updated_at
         WHERE excluded.version >= applications.version",
    )
    .bind(serde_json::Value::Array(rows).to_string())
    .execute(&mut **tx)
    .await?;
    let ids: Vec<i64> = apps.iter().map(|app| app.id).collect();
    refresh_local_status(tx, &ids).await
}

/// The desk's view of applications `ids`: the server's status with the still-pending actions
/// applied in order (written only where it changes).
pub(crate) async fn refresh_local_status(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    ids: &[i64],
) -> Result<(), StoreError> {
    let rows: Vec<(i64, String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT a.id, a.status, a.local_status, o.action
         FROM applications a
         LEFT JOIN outbox o ON o.application_id = a.id AND o.state = 'pending'
         WHERE a.id IN (SELECT value FROM json_each(?1))
         ORDER BY a.id, o.id",
    )
    .bind(serde_json::to_string(ids)?)
    .fetch_all(&mut **tx)
    .await?;
    let mut changed: Vec<(i64, Option<&'static str>)> = Vec::new();
    for one in rows.chunk_by(|a, b| a.0 == b.0) {
        let (id, status, before, _) = &one[0];
        let mut local = status_from(status)?;
        let mut pending = false;
        for action in one.iter().filter_map(|row| row.3.as_deref()) {
            let action: Action = serde_json::from_str(action)?;
            // A pending action the server state no longer allows will come back refused.
            local = local.apply(action).unwrap_or(local);
            pending = true;
        }
        let local = pending.then(|| local.key());
        if local != before.as_deref() {
            changed.push((*id, local));
        }
    }
    if !changed.is_empty() {
        sqlx::query(
            "UPDATE applications SET local_status = j.value->>1
             FROM json_each(?1) AS j WHERE applications.id = j.value->>0",
        )
        .bind(serde_json::to_string(&changed)?)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
