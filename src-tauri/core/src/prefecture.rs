//! 都道府県の設定: what a prefecture sets for all its desks — the 定期報告 window, its own
//! wording of the troubleshooting tree (都道府県版), its practice (都道府県の運用) — kept as a
//! synced record.

use chrono::{DateTime, Utc};
use madoguchi_domain::api::{PrefectureSettings, WindowContact};
use madoguchi_domain::call::stamp;
use madoguchi_domain::practice::{Practice, PracticeError, ReportingWindow, ReportingWindowError};
use madoguchi_domain::triage::{Overrides, Tree, TreeError};
use madoguchi_domain::Code;
use madoguchi_domain::Coded;
use serde::Deserialize;

use crate::desk::Desk;
use crate::records::RecordKind;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum PrefectureError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the desk has no prefecture set")]
    NoPrefecture,
    #[error(transparent)]
    Window(#[from] ReportingWindowError),
    #[error(transparent)]
    Wording(#[from] TreeError),
    #[error("retention of {0} days")]
    Retention(u32),
    #[error("the window's contact lacks a name, or a usable phone number or address")]
    Contact,
    #[error("a reminder wording is unusable")]
    Reminders,
    #[error(transparent)]
    Practice(#[from] PracticeError),
}

/// 管轄: the 保健所 a desk belongs to and the municipalities it covers, where the queue opens.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct HomeArea {
    pub name: String,
    pub municipalities: Vec<String>,
}

/// What an officer saves in 都道府県の設定.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ts_rs::TS)]
pub struct PrefectureDraft {
    /// The 定期報告 window of every scheme without its own in `practice`.
    pub window: Option<ReportingWindow>,
    pub overrides: Overrides,
    pub retention_days: Option<u32>,
    /// A contact left all blank is none.
    pub contact: Option<WindowContact>,
    #[serde(default)]
    pub practice: Practice,
    #[serde(default)]
    pub reminders: Vec<madoguchi_domain::reminder::ReminderTemplate>,
}

impl Coded for PrefectureError {
    fn code(&self) -> Code {
        match self {
            Self::Store(e) => e.code(),
            Self::NoPrefecture => Code::CallPrefecture,
            Self::Window(e) => e.code(),
            Self::Wording(e) => e.code(),
            Self::Retention(_) => Code::RetentionDays,
            Self::Contact => Code::PrefContact,
            Self::Reminders => Code::PrefReminders,
            Self::Practice(e) => e.code(),
        }
    }
    fn message_ja(&self) -> String {
        match self {
            Self::Store(e) => e.message_ja(),
            Self::Window(e) => e.message_ja(),
            Self::Wording(e) => e.message_ja(),
            Self::Practice(e) => e.message_ja(),
            Self::NoPrefecture | Self::Retention(_) | Self::Contact | Self::Reminders => {
                self.code().message_ja().into()
            }
        }
    }
}

impl Store {
    /// The prefecture's settings as this desk holds them.
    pub async fn prefecture_settings(&self) -> Result<Option<PrefectureSettings>, StoreError> {
        let Some(prefecture) = self.desk_settings().await?.prefecture else { return Ok(None) };
        let kind = RecordKind::PrefectureSettings;
        let Some((payload, _)) = self.record(kind, &prefecture.code()).await? else {
            return Ok(None);
        };
        Ok(Some(serde_json::from_str(&payload)?))
    }

    /// Sets the prefecture's settings for every desk (synced).
    pub async fn save_prefecture_settings(
        &self,
        draft: PrefectureDraft,
        desk: &str,
        now: DateTime<Utc>,
    ) -> Result<PrefectureSettings, PrefectureError> {
        let window = draft.window.map(ReportingWindow::check).transpose()?;
        draft.practice.check()?;
        let prefecture =
            self.desk_settings().await?.prefecture.ok_or(PrefectureError::NoPrefecture)?;
        // Made on the version this desk holds: the server refuses it if another desk's came first.
        let version = self.prefecture_settings().await?.map_or(0, |s| s.version);
        let settings = PrefectureSettings {
            prefecture,
            reporting_window: window,
            triage_overrides: draft.overrides,
            updated_at: stamp(now),
            updated_by: desk.to_owned(),
            retention_days: draft.retention_days,
            contact: draft.contact.filter(|c| {
                [&c.name, &c.phone, &c.hours, &c.email].iter().any(|f| !f.trim().is_empty())
            }),
            practice: draft.practice,
            reminders: draft.reminders,
            version,
        };
        if !settings.retention_ok() {
            return Err(PrefectureError::Retention(draft.retention_days.unwrap_or_default()));
        }
        if !settings.contact_ok() {
            return Err(PrefectureError::Contact);
        }
        if !settings.reminders_ok() {
            return Err(PrefectureError::Reminders);
        }
        let (id, at) = (prefecture.code(), &settings.updated_at);
        self.write_record(RecordKind::PrefectureSettings, &id, &settings, at, None).await?;
        Ok(settings)
    }
}

impl Desk {
    pub async fn prefecture_settings(&self) -> Result<Option<PrefectureSettings>, StoreError> {
        self.store().prefecture_settings().await
    }

    /// The area of the 保健所 this desk belongs to, when it names one the prefecture's
    /// practice lists; None for the prefecture's own window (or a 保健所 since removed).
    pub async fn home_area(&self) -> Result<Option<HomeArea>, StoreError> {
        let Some(name) = self.store().desk_settings().await?.health_centre else { return Ok(None) };
        let settings = self.store().prefecture_settings().await?;
        let centres = settings.map(|s| s.practice.health_centres).unwrap_or_default();
        Ok(centres.into_iter().find(|c| c.contact.name.trim() == name.trim()).map(|c| HomeArea {
            name: c.contact.name.trim().to_owned(),
            municipalities: c.municipalities,
        }))
    }

    /// Sets the 定期報告 window, 都道府県版 wording, 保存期間, 窓口の連絡先 and 都道府県の
    /// 運用 for every desk of the prefecture.
    pub async fn save_prefecture_settings(
        &self,
        draft: PrefectureDraft,
    ) -> Result<PrefectureSettings, PrefectureError> {
        Tree::national().check_overrides(&draft.overrides)?;
        let desk = self.desk_name().await?;
        self.store().save_prefecture_settings(draft, &desk, Utc::now()).await
    }
}
