//! 同期: the desk's side of the central server. Officer actions wait in the outbox
//! (`crate::outbox`) and are sent by `push`; the server's changes feed is pulled by `feed`;
//! `client` is the HTTPS client. Here: a whole sync, its state for the status bar, and 接続診断.

pub(crate) mod client;
pub(crate) mod error;
mod feed;
mod pace;
mod push;

use chrono::Utc;
use madoguchi_domain::Coded;
use serde::Serialize;

pub use client::{SyncClient, SyncConfig};
pub use error::SyncError;
pub use pace::Pace;
pub use push::Pushed;

use crate::desk::Desk;
use crate::keychain;
use crate::store::{Store, StoreError};

/// The desk's sync state at a glance, for the status bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    pub cursor: i64,
    pub last_sync_at: Option<String>,
    pub last_error: Option<String>,
    /// 未送信
    pub pending: i64,
    /// 要確認: refused by the server
    pub rejected: i64,
    /// When the officer's token ends, as the server last said.
    pub token_expires_at: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SyncReport {
    pub sent: usize,
    pub rejected: usize,
    pub pulled: usize,
}

/// The sync state for the status bar: オンライン / オフライン, 未送信, 要確認.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SyncOverview {
    pub configured: bool,
    pub online: bool,
    pub last_sync_at: Option<String>,
    /// What the last sync left undone, in the officer's words, and its code (E-SYNC-401:
    /// the token needs registering again in 設定).
    pub last_error: Option<String>,
    pub last_error_code: Option<madoguchi_domain::Code>,
    /// How the store opened, when the officer should know (encrypted, set aside).
    pub store_notice: Option<String>,
    pub pending: i64,
    pub rejected: i64,
    /// Days until the officer's token ends, once fewer than [`TOKEN_WARN_DAYS`]: the status
    /// bar asks for a new one (`officer rotate` by the server's operator) before syncing stops.
    pub token_days_left: Option<i64>,
}

/// A token ending within this many days is warned of (as the server's `officer list` does).
pub const TOKEN_WARN_DAYS: i64 = 30;

/// Whole days from `now` until `expires_at`, when within [`TOKEN_WARN_DAYS`].
pub fn token_days_left(
    expires_at: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<i64> {
    let ends = chrono::DateTime::parse_from_rfc3339(expires_at?).ok()?.to_utc();
    let days = (ends - now).num_days();
    (days <= TOKEN_WARN_DAYS).then_some(days.max(0))
}

/// One step of 接続診断, in the officer's words.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct DiagnosisStep {
    pub step: &'static str,
    pub ok: bool,
    pub detail: String,
}

impl Store {
    pub async fn sync_status(&self) -> Result<SyncStatus, StoreError> {
        let (cursor, last_sync_at, last_error, token_expires_at): (i64, Option<String>, Option<String>, Option<String>) =
            sqlx::query_as("SELECT cursor, last_sync_at, last_error, token_expires_at FROM sync_state WHERE id = 1")
                .fetch_one(self.pool())
                .await?;
        let (pending, rejected): (i64, i64) = sqlx::query_as(
            "SELECT coalesce(sum(state = 'pending'), 0) + (SELECT count(*) FROM records WHERE dirty = 1),
                    coalesce(sum(state = 'rejected'), 0)
                        + (SELECT count(*) FROM records WHERE dirty = 2 OR conflict IS NOT NULL)
             FROM outbox",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(SyncStatus { cursor, last_sync_at, last_error, pending, rejected, token_expires_at })
    }

    /// Push, then pull, one sync at a time; the outcome is recorded for the status bar. What
    /// could not be sent waits for the next sync and never stops the pull; the sync fails
    /// only when the pull does or the token is refused.
    pub async fn sync(&self, client: &SyncClient) -> Result<SyncReport, SyncError> {
        let _one_at_a_time = self.sync_lock().lock().await;
        self.sync_locked(client).await
    }

    /// 最初から同期し直す, with no sync running meanwhile.
    pub async fn resync(&self, client: &SyncClient) -> Result<SyncReport, SyncError> {
        let _one_at_a_time = self.sync_lock().lock().await;
        self.reset_sync().await?;
        self.sync_locked(client).await
    }

    async fn sync_locked(&self, client: &SyncClient) -> Result<SyncReport, SyncError> {
        let result = async {
            let mut pushed = self.push(client).await?;
            pushed.add(self.push_records(client).await?);
            let pulled = self.pull(client).await?;
            let report = SyncReport { sent: pushed.sent, rejected: pushed.rejected, pulled };
            Ok::<_, SyncError>((report, pushed.trouble))
        }
        .await;
        let (at, error) = match &result {
            Ok((_, None)) => (Some(Utc::now().to_rfc3339()), None),
            Ok((_, Some(trouble))) => (Some(Utc::now().to_rfc3339()), Some(said(trouble))),
            Err(e) => (None, Some(said(e))),
        };
        sqlx::query(
            "UPDATE sync_state SET last_sync_at = coalesce(?1, last_sync_at), last_error = ?2 WHERE id = 1",
        )
        .bind(at)
        .bind(error)
        .execute(self.pool())
        .await?;
        result.map(|(report, _)| report)
    }
}

/// A sync's trouble as the status bar says it (the detail is in the log).
fn said(e: &SyncError) -> String {
    log::warn!("sync: {e}");
    format!("{} {}", e.code(), e.message_ja())
}

impl Desk {
    /// Push then pull; the outcome sets オンライン / オフライン.
    pub async fn sync_now(&self) -> Result<SyncReport, SyncError> {
        let client = self.client()?;
        let result = self.store().sync(&client).await;
        self.set_online(result.is_ok());
        result
    }

    pub async fn sync_overview(&self) -> Result<SyncOverview, StoreError> {
        let status = self.store().sync_status().await?;
        let error = status.last_error.as_deref().map(|e| match e.split_once(' ') {
            Some((code, message)) if madoguchi_domain::Code::parse(code).is_some() => {
                (madoguchi_domain::Code::parse(code), message.to_owned())
            }
            _ => (None, e.to_owned()),
        });
        Ok(SyncOverview {
            configured: self.client().is_ok(),
            online: self.is_online(),
            last_sync_at: status.last_sync_at,
            last_error_code: error.as_ref().and_then(|(code, _)| *code),
            last_error: error.map(|(_, message)| message),
            store_notice: self.store_notice(),
            pending: status.pending,
            rejected: status.rejected,
            token_days_left: token_days_left(
                status.token_expires_at.as_deref(),
                chrono::Utc::now(),
            ),
        })
    }

    /// 配信の健全性 of the desk's prefecture, for 設定 (asked of the server each time).
    pub async fn mail_health(
        &self,
    ) -> Result<madoguchi_domain::mail_health::MailHealth, SyncError> {
        self.client()?.mail_health().await
    }

    /// 最初から同期し直す: drops what was pulled (never unsent actions) and pulls it all again.
    pub async fn resync_from_scratch(&self) -> Result<SyncReport, SyncError> {
        let client = self.client()?;
        let result = self.store().resync(&client).await;
        self.set_online(result.is_ok());
        result
    }

    /// 接続診断: settings, token, reachability (TLS included), authorisation — each step said.
    pub async fn diagnose(&self) -> Vec<DiagnosisStep> {
        let mut steps = Vec::new();
        let mut step = |step, result: Result<String, String>| {
            let ok = result.is_ok();
            steps.push(DiagnosisStep { step, ok, detail: result.unwrap_or_else(|e| e) });
            ok
        };
        let settings = match self.store().desk_settings().await {
            Ok(s) => s,
            Err(e) => {
                step("設定", Err(e.message_ja()));
                return steps;
            }
        };
        let Some(url) = settings.server_url else {
            step("サーバーURL", Err(SyncError::NotConfigured.message_ja()));
            return steps;
        };
        step("サーバーURL", Ok(url.clone()));
        let token = keychain::load_token(&url)
            .map(|_| "OSの資格情報ストアに登録済みです".into())
            .map_err(|e| e.message_ja());
        if !step("接続トークン", token) {
            return steps;
        }
        if let Err(e) = self.connect().await {
            step("接続設定", Err(e.message_ja()));
            return steps;
        }
        let Ok(client) = self.client() else { return steps };
        let reached = client
            .health()
            .await
            .map(|_| "応答があります".into())
            .map_err(|e| format!("{} {}", e.message_ja(), e));
        if !step("サーバーへの接続（HTTPS）", reached) {
            return steps;
        }
        let auth = self.store().pull(&client).await;
        self.set_online(auth.is_ok());
        step(
            "認証と受信",
            auth.map(|n| format!("{n}件を受信しました")).map_err(|e| e.message_ja()),
        );
        steps
    }
}
