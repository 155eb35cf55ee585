//! 都道府県の設定: what a prefecture sets for all its desks — the 定期報告 window and its own
//! wording of the troubleshooting tree (都道府県版) — kept as a synced record; and the
//! 定期報告 answer for today.

use chrono::{DateTime, Utc};
use madoguchi_domain::api::{PrefectureSettings, WindowContact};
use madoguchi_domain::call::stamp;
use madoguchi_domain::triage::{
    Overrides, ReportingAnswer, ReportingWindow, ReportingWindowError, Tree, TreeError, JST,
};
use madoguchi_domain::Code;
use madoguchi_domain::Coded;

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
        }
    }
    fn message_ja(&self) -> String {
        match self {
            Self::Store(e) => e.message_ja(),
            Self::Window(e) => e.message_ja(),
            Self::Wording(e) => e.message_ja(),
            Self::NoPrefecture | Self::Retention(_) | Self::Contact => {
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

    /// Sets the prefecture's settings for every desk (synced). A contact left all blank is none.
    #[allow(clippy::too_many_arguments)]
    pub async fn save_prefecture_settings(
        &self,
        window: Option<ReportingWindow>,
        overrides: Overrides,
        retention_days: Option<u32>,
        contact: Option<WindowContact>,
        desk: &str,
        now: DateTime<Utc>,
    ) -> Result<PrefectureSettings, PrefectureError> {
        let window = window.map(ReportingWindow::check).transpose()?;
        let prefecture =
            self.desk_settings().await?.prefecture.ok_or(PrefectureError::NoPrefecture)?;
        // Made on the version this desk holds: the server refuses it if another desk's came first.
        let version = self.prefecture_settings().await?.map_or(0, |s| s.version);
        let settings = PrefectureSettings {
            prefecture,
            reporting_window: window,
            triage_overrides: overrides,
            updated_at: stamp(now),
            updated_by: desk.to_owned(),
            retention_days,
            contact: contact.filter(|c| {
                [&c.name, &c.phone, &c.hours, &c.email].iter().any(|f| !f.trim().is_empty())
            }),
            version,
        };
        if !settings.retention_ok() {
            return Err(PrefectureError::Retention(retention_days.unwrap_or_default()));
        }
        if !settings.contact_ok() {
            return Err(PrefectureError::Contact);
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

    /// Sets the 定期報告 window, 都道府県版 wording, 保存期間 and 窓口の連絡先 for every desk
    /// of the prefecture.
    pub async fn save_prefecture_settings(
        &self,
        window: Option<ReportingWindow>,
        overrides: Overrides,
        retention_days: Option<u32>,
        contact: Option<WindowContact>,
    ) -> Result<PrefectureSettings, PrefectureError> {
        Tree::national().check_overrides(&overrides)?;
        let desk = self.desk_name().await?;
        self.store()
            .save_prefecture_settings(window, overrides, retention_days, contact, &desk, Utc::now())
            .await
    }

    /// The 定期報告 window against today's date in Japan.
    pub async fn reporting_answer(&self) -> Result<ReportingAnswer, StoreError> {
        let window = self.store().prefecture_settings().await?.and_then(|s| s.reporting_window);
        Ok(ReportingAnswer::of(window, Utc::now().with_timezone(&JST).date_naive()))
    }
}
