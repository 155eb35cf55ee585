//! 保存期間: a desk keeps a decided application's personal data (メールアドレス, 電話番号,
//! 担当者, 担当部署, ログインID, its notices and the answers kept in the outbox) and a
//! finished call's note only for the period the prefecture sets (90 days unless it says
//! otherwise). The server keeps what its audit needs; what a resync brings back is purged again.

use chrono::{DateTime, Duration, Utc};
use madoguchi_domain::api::DEFAULT_RETENTION_DAYS;
use serde::Serialize;

use crate::desk::Desk;
use crate::store::{Store, StoreError};

/// The period in force and what this desk has purged, for 設定.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RetentionView {
    pub days: u32,
    /// Applications and calls whose personal data this desk has purged, in all.
    pub applications_purged: i64,
    pub calls_purged: i64,
    pub last_run_at: Option<String>,
}

/// What one purge did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub applications: u64,
    pub calls: u64,
}

/// Statuses after which an application waits for nothing more from the desk.
const SETTLED: &str =
    "('approved_new_account', 'approved_existing_account', 'rejected', 'returned_for_correction', 'resubmitted')";

impl Store {
    /// Purges personal data settled more than `days` before `now`; counted in 設定.
    pub async fn purge_expired(&self, days: u32, now: DateTime<Utc>) -> Result<Purged, StoreError> {
        let cutoff = madoguchi_domain::call::stamp(now - Duration::days(i64::from(days)));
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let ids: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT id FROM applications WHERE status IN {SETTLED} AND updated_at < ?1
               AND (json_extract(payload, '$.form.email') != '' OR json_extract(payload, '$.login_id') IS NOT NULL)"
        ))
        .bind(&cutoff)
        .fetch_all(&mut *tx)
        .await?;
        for id in &ids {
            sqlx::query(
                "UPDATE applications SET payload = json_set(payload,
                     '$.form.email', '', '$.form.phone', '', '$.form.contact_name', '',
                     '$.form.department', '', '$.form.department_number', '',
                     '$.login_id', NULL, '$.note', NULL)
                 WHERE id = ?1",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM notices WHERE application_id = ?1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE outbox SET answer = NULL, note = NULL WHERE application_id = ?1 AND state != 'pending'")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let calls = sqlx::query(
            "UPDATE records SET payload = json_set(payload, '$.note', ''), conflict = NULL
             WHERE kind = 'call' AND json_extract(payload, '$.state') = 'finished'
               AND json_extract(payload, '$.ended_at') < ?1 AND json_extract(payload, '$.note') != ''",
        )
        .bind(&cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let purged = Purged { applications: ids.len() as u64, calls };
        sqlx::query(
            "UPDATE retention SET applications = applications + ?1, calls = calls + ?2, last_run_at = ?3 WHERE id = 1",
        )
        .bind(purged.applications as i64)
        .bind(purged.calls as i64)
        .bind(madoguchi_domain::call::stamp(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if purged != Purged::default() {
            log::info!(
                "retention: {} applications and {} calls purged ({days} days)",
                purged.applications,
                purged.calls
            );
        }
        Ok(purged)
    }

    async fn retention_counts(&self) -> Result<(i64, i64, Option<String>), StoreError> {
        Ok(sqlx::query_as("SELECT applications, calls, last_run_at FROM retention WHERE id = 1")
            .fetch_one(self.pool())
            .await?)
    }
}

impl Desk {
    async fn retention_days(&self) -> Result<u32, StoreError> {
        Ok(self.prefecture_settings().await?.map_or(DEFAULT_RETENTION_DAYS, |s| s.retention_days()))
    }

    /// Purges what is past the prefecture's period, now.
    pub async fn purge_expired(&self) -> Result<Purged, StoreError> {
        let days = self.retention_days().await?;
        self.store().purge_expired(days, Utc::now()).await
    }

    pub async fn retention(&self) -> Result<RetentionView, StoreError> {
        let (applications_purged, calls_purged, last_run_at) =
            self.store().retention_counts().await?;
        Ok(RetentionView {
            days: self.retention_days().await?,
            applications_purged,
            calls_purged,
            last_run_at,
        })
    }
}
