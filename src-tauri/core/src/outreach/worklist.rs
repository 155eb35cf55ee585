//! 要連絡: the institutions the prefecture's window should contact, each for the fact that put
//! it there (the domain's `worklist::Reason`), with the registry's phone (or the one its
//! application gave) and what the prefecture's desks did about it (連絡記録, synced as a
//! record). Taking an entry (対応中) tells every desk who is on it.

use std::collections::HashMap;

use chrono::NaiveDate;
use madoguchi_domain::api::PrefectureSettings;
use madoguchi_domain::outreach::Standing;
use madoguchi_domain::practice::Scheme;
use madoguchi_domain::worklist::{institution_key, ContactRecord, Reason};
use madoguchi_domain::{BounceCategory, Code, Coded, InstitutionKind, NoticeKind, Prefecture};
use serde::{Deserialize, Serialize};

use super::facts::{day_of, name_key, Whom};
use super::CoverageFilter;
use crate::store::{Store, StoreError};

/// Where an entry stands on the desks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum EntryState {
    /// 未対応
    Open,
    /// 対応中 (a desk took it)
    Taken,
    /// 連絡済
    Done,
}

/// One institution to contact, for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct WorkEntry {
    pub id: String,
    pub reason: Reason,
    /// The reason as the list says it.
    pub said: String,
    pub institution_name: String,
    pub insurance_code: Option<String>,
    /// The scheme it reports under (a pharmacy's 薬局機能情報, else 医療機能情報).
    pub scheme: Scheme,
    /// The phone to call: the registry's, else the one the application gave.
    pub phone: Option<String>,
    pub postal_code: Option<String>,
    pub address: Option<String>,
    pub application_id: Option<i64>,
    pub state: EntryState,
    /// 連絡記録, once a desk took or contacted it.
    pub contact: Option<ContactRecord>,
}

/// The reasons, as the list groups them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    /// The applicant said so on the status page.
    MailMissing,
    Undelivered,
    Unconfirmed,
    Returned,
    NotReported,
    NotApplied,
}

impl ReasonKind {
    pub const ALL: [ReasonKind; 6] = [
        Self::MailMissing,
        Self::Undelivered,
        Self::Unconfirmed,
        Self::Returned,
        Self::NotReported,
        Self::NotApplied,
    ];

    pub fn of(reason: &Reason) -> Self {
        match reason {
            Reason::MailMissing { .. } => Self::MailMissing,
            Reason::NoticeUndelivered { .. } => Self::Undelivered,
            Reason::Unconfirmed { .. } => Self::Unconfirmed,
            Reason::Returned { .. } => Self::Returned,
            Reason::NotReported { .. } => Self::NotReported,
            Reason::NotApplied { .. } => Self::NotApplied,
        }
    }
}

/// How many entries each reason has, by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
pub struct StateCounts {
    pub open: i64,
    pub taken: i64,
    pub done: i64,
}

/// The list: counts per reason, and the entries asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
pub struct Worklist {
    pub counts: Vec<(ReasonKind, StateCounts)>,
    pub entries: Vec<WorkEntry>,
    /// Entries that match the filter, before the page was cut.
    pub matching: i64,
}

/// Which entries to return.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct WorklistFilter {
    pub reason: Option<ReasonKind>,
    pub state: Option<EntryState>,
    pub offset: usize,
    /// At most this many (none: 500).
    pub limit: Option<usize>,
}

#[derive(Debug, thiserror::Error)]
pub enum WorklistError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the desk has no prefecture")]
    NoPrefecture,
    #[error("no 要連絡 entry {0}")]
    NoEntry(String),
    #[error("entry taken by {0}")]
    Taken(String),
    #[error("note of {0} characters")]
    Note(usize),
    #[error(transparent)]
    Call(crate::calls::CallError),
    #[error(transparent)]
    Export(#[from] crate::export::ExportError),
}

impl Coded for WorklistError {
    fn code(&self) -> Code {
        match self {
            Self::Store(e) => e.code(),
            Self::NoPrefecture => Code::CallPrefecture,
            Self::NoEntry(_) => Code::ContactNoEntry,
            Self::Taken(_) => Code::ContactTaken,
            Self::Note(_) => Code::ContactNote,
            Self::Call(e) => e.code(),
            Self::Export(e) => e.code(),
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::Store(e) => e.message_ja(),
            Self::Call(e) => e.message_ja(),
            Self::Export(e) => e.message_ja(),
            Self::Taken(desk) => format!("{}（対応中: {desk}）", self.code().message_ja()),
            _ => self.code().message_ja().to_owned(),
        }
    }
}

impl Store {
    /// The prefecture's 要連絡 on `today`: counts per reason and the entries `filter` asks for
    /// (undelivered notices first, then returns, 未報告 and 未申請; open before taken before done).
    pub async fn worklist(
        &self,
        prefecture: Prefecture,
        today: NaiveDate,
        filter: &WorklistFilter,
    ) -> Result<Worklist, StoreError> {
        let mut entries = self.entries(prefecture, today).await?;
        let mut counts: Vec<(ReasonKind, StateCounts)> =
            ReasonKind::ALL.iter().map(|k| (*k, StateCounts::default())).collect();
        for e in &entries {
            let kind = ReasonKind::of(&e.reason);
            if let Some((_, c)) = counts.iter_mut().find(|(k, _)| *k == kind) {
                *match e.state {
                    EntryState::Open => &mut c.open,
                    EntryState::Taken => &mut c.taken,
                    EntryState::Done => &mut c.done,
                } += 1;
            }
        }
        entries.retain(|e| {
            filter.reason.is_none_or(|r| ReasonKind::of(&e.reason) == r)
                && filter.state.is_none_or(|s| e.state == s)
        });
        entries.sort_by_key(|e| {
            let kind = ReasonKind::ALL.iter().position(|k| *k == ReasonKind::of(&e.reason));
            (kind, e.state)
        });
        let matching = entries.len() as i64;
        let entries =
            entries.into_iter().skip(filter.offset).take(filter.limit.unwrap_or(500)).collect();
        Ok(Worklist { counts, entries, matching })
    }

    /// Every entry of the list, unsorted.
    async fn entries(
        &self,
        prefecture: Prefecture,
        today: NaiveDate,
    ) -> Result<Vec<WorkEntry>, StoreError> {
        let settings = self.settings_of(prefecture).await?;
        let practice =
            settings.as_ref().map(PrefectureSettings::practice_in_force).unwrap_or_default();
        let timing = practice.outreach;
        let contacts = self.contacts().await?;
        let mut entries = Vec::new();
        let mut push = |reason: Reason, whom: Whom| {
            let id = reason.entry_id(&institution_key(whom.insurance_code.as_deref(), &whom.name));
            let contact = contacts.get(&id).cloned();
            let state = match &contact {
                Some(c) if c.done() => EntryState::Done,
                Some(c) if c.taken_by.is_some() => EntryState::Taken,
                _ => EntryState::Open,
            };
            entries.push(WorkEntry {
                id,
                said: reason.said(),
                reason,
                institution_name: whom.name,
                insurance_code: whom.insurance_code,
                scheme: whom.scheme,
                phone: whom.phone,
                postal_code: whom.postal_code,
                address: whom.address,
                application_id: whom.application_id,
                state,
                contact,
            });
        };

        for n in self.undelivered(prefecture).await? {
            let reason = Reason::NoticeUndelivered {
                notice_id: n.notice_id,
                reminder: n.notice_kind == name_key(NoticeKind::Reminder),
                bounced: n.state == "bounced",
                category: n.category.as_deref().and_then(|c| {
                    serde_json::from_value::<BounceCategory>(serde_json::Value::String(c.into()))
                        .ok()
                }),
                diagnostic: n.diagnostic,
            };
            push(reason, n.applicant.whom(n.application_id));
        }
        for m in self.mail_missing(prefecture).await? {
            let Some(asked_on) = day_of(&m.asked_at) else { continue };
            push(Reason::MailMissing { application_id: m.id, asked_on }, m.applicant.whom(m.id));
        }
        let returned = self.returned(prefecture).await?;
        for r in returned {
            let Some(returned_on) = day_of(&r.updated_at) else { continue };
            let Some(days) = timing.returned_due(returned_on, today) else { continue };
            push(
                Reason::Returned { application_id: r.id, returned_on, days },
                r.applicant.whom(r.id),
            );
        }

        let kept = settings
            .as_ref()
            .map_or(madoguchi_domain::api::DEFAULT_RETENTION_DAYS, |s| s.retention_days());
        for (lapse, phone, postal_code, address) in self.lapsed(prefecture).await? {
            let Some(lapsed_on) = day_of(&lapse.lapsed_at) else { continue };
            if (today - lapsed_on).num_days() > i64::from(kept) {
                continue; // past the prefecture's retention: no longer news
            }
            let pharmacy = lapse.kind == InstitutionKind::Pharmacy;
            let whom = Whom {
                name: lapse.institution_name,
                insurance_code: lapse.insurance_code,
                scheme: if pharmacy { Scheme::Pharmacy } else { Scheme::Medical },
                phone,
                postal_code,
                address,
                application_id: None,
            };
            push(Reason::Unconfirmed { application_id: lapse.id, lapsed_on }, whom);
        }

        // Each scheme's reason for the registry's rows, if it is their time: then one list per
        // standing serves both schemes.
        let mut not_applied = Vec::new();
        let mut not_reported = Vec::new();
        for scheme in [Scheme::Medical, Scheme::Pharmacy] {
            let Some(window) = practice.serves(scheme).then(|| practice.period(scheme)).flatten()
            else {
                continue;
            };
            if timing.not_applied_due(window, today) {
                not_applied.push((scheme, Reason::NotApplied { period_starts: window.starts }));
            }
            let period = window.starts.to_string();
            let reports_known = self.reports_known(prefecture, scheme, &period).await?;
            if let (true, Some(days_left)) = (reports_known, timing.not_reported_due(window, today))
            {
                let reason = Reason::NotReported { scheme, deadline: window.ends, days_left };
                not_reported.push((scheme, reason));
            }
        }
        let lists = [
            (
                not_applied,
                CoverageFilter { standing: Some(Standing::NotApplied), ..Default::default() },
            ),
            (
                not_reported,
                CoverageFilter {
                    standing: Some(Standing::Account),
                    reported: Some(false),
                    ..Default::default()
                },
            ),
        ];
        for (reasons, filter) in lists {
            if reasons.is_empty() {
                continue;
            }
            for e in self.coverage_list(prefecture, &filter).await? {
                if let Some((_, reason)) = reasons.iter().find(|(s, _)| *s == e.scheme) {
                    push(reason.clone(), Whom::listed(e));
                }
            }
        }
        Ok(entries)
    }

    /// The entries `ids` on `today`, in that order; one no longer listed is an error.
    pub(crate) async fn entries_by_id(
        &self,
        prefecture: Prefecture,
        ids: &[String],
        today: NaiveDate,
    ) -> Result<Vec<WorkEntry>, WorklistError> {
        let mut all: HashMap<String, WorkEntry> =
            self.entries(prefecture, today).await?.into_iter().map(|e| (e.id.clone(), e)).collect();
        ids.iter()
            .map(|id| all.remove(id).ok_or_else(|| WorklistError::NoEntry(id.clone())))
            .collect()
    }

    /// The entry `id` on `today`.
    pub(super) async fn entry(
        &self,
        prefecture: Prefecture,
        id: &str,
        today: NaiveDate,
    ) -> Result<WorkEntry, WorklistError> {
        let mut found = self.entries_by_id(prefecture, &[id.to_owned()], today).await?;
        Ok(found.remove(0))
    }
}

impl crate::desk::Desk {
    /// The prefecture the desk serves, which every outreach list is of.
    pub(super) async fn outreach_prefecture(&self) -> Result<Prefecture, WorklistError> {
        self.store().desk_settings().await?.prefecture.ok_or(WorklistError::NoPrefecture)
    }
}

/// The desk's date: the prefecture's (JST), whatever the PC's zone.
pub(super) fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&madoguchi_domain::practice::JST).date_naive()
}
