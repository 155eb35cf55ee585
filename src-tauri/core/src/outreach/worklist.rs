//! 要連絡: the institutions the prefecture's window should contact, each for the fact that put
//! it there (the domain's `worklist::Reason`), with the registry's phone (or the one its
//! application gave) and what the prefecture's desks did about it (連絡記録, synced as a
//! record). Taking an entry (対応中) tells every desk who is on it.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate};
use madoguchi_domain::api::PrefectureSettings;
use madoguchi_domain::outreach::Standing;
use madoguchi_domain::practice::{Scheme, JST};
use madoguchi_domain::worklist::{institution_key, ContactRecord, Reason};
use madoguchi_domain::{
    BounceCategory, Code, Coded, DeliveryState, InstitutionKind, NoticeKind, Prefecture,
};
use serde::{Deserialize, Serialize};

use super::{CoverageEntry, CoverageFilter};
use crate::records::RecordKind;
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
    Undelivered,
    Returned,
    NotReported,
    NotApplied,
}

impl ReasonKind {
    pub const ALL: [ReasonKind; 4] =
        [Self::Undelivered, Self::Returned, Self::NotReported, Self::NotApplied];

    pub fn of(reason: &Reason) -> Self {
        match reason {
            Reason::NoticeUndelivered { .. } => Self::Undelivered,
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

/// The institution an application is for, as [`APPLICANT`] selects it from `a`.
#[derive(sqlx::FromRow)]
struct Applicant {
    name: Option<String>,
    insurance_code: Option<String>,
    kind: Option<String>,
    phone: Option<String>,
    postal_code: Option<String>,
    address: Option<String>,
}

/// Its columns: the registry's phone where the list has one, else the form's.
const APPLICANT: &str = "json_extract(a.payload, '$.form.name') AS name,
    json_extract(a.payload, '$.form.insurance_code') AS insurance_code,
    json_extract(a.payload, '$.form.kind') AS kind,
    coalesce((SELECT i.phone FROM institutions i
              WHERE i.insurance_code = json_extract(a.payload, '$.form.insurance_code')
                AND i.phone IS NOT NULL LIMIT 1),
             json_extract(a.payload, '$.form.phone')) AS phone,
    json_extract(a.payload, '$.form.postal_code') AS postal_code,
    json_extract(a.payload, '$.form.address') AS address";

/// A notice that did not arrive, with the application it was for.
#[derive(sqlx::FromRow)]
struct Undelivered {
    notice_id: i64,
    application_id: i64,
    notice_kind: String,
    state: String,
    category: Option<String>,
    diagnostic: Option<String>,
    #[sqlx(flatten)]
    applicant: Applicant,
}

/// An application returned for correction.
#[derive(sqlx::FromRow)]
struct Returned {
    id: i64,
    updated_at: String,
    #[sqlx(flatten)]
    applicant: Applicant,
}

/// Who an entry is about, and how to reach them.
struct Whom {
    name: String,
    insurance_code: Option<String>,
    scheme: Scheme,
    phone: Option<String>,
    postal_code: Option<String>,
    address: Option<String>,
    application_id: Option<i64>,
}

impl Applicant {
    fn whom(self, application_id: i64) -> Whom {
        let pharmacy = self.kind.as_deref() == Some(InstitutionKind::Pharmacy.key());
        // The form's 〒 as typed (100-0001): kept as the registry keeps it, seven digits.
        let postal = self.postal_code.map(|p| p.chars().filter(char::is_ascii_digit).collect());
        Whom {
            name: self.name.unwrap_or_default(),
            insurance_code: self.insurance_code,
            scheme: if pharmacy { Scheme::Pharmacy } else { Scheme::Medical },
            phone: self.phone,
            postal_code: postal.filter(|p: &String| p.len() == 7),
            address: self.address,
            application_id: Some(application_id),
        }
    }
}

impl Whom {
    fn listed(e: CoverageEntry) -> Self {
        Whom {
            name: e.name,
            insurance_code: e.insurance_code,
            scheme: e.scheme,
            phone: e.phone,
            postal_code: e.postal_code,
            address: Some(e.address),
            application_id: None,
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
        let returned: Vec<Returned> = sqlx::query_as(&format!(
            "SELECT a.id, a.updated_at, {APPLICANT} FROM applications a
             WHERE a.prefecture = ?1 AND a.status = 'returned_for_correction'
               AND json_extract(a.payload, '$.resubmitted_as') IS NULL"
        ))
        .bind(prefecture.code())
        .fetch_all(self.pool())
        .await?;
        for r in returned {
            let Some(returned_on) = day_of(&r.updated_at) else { continue };
            let Some(days) = timing.returned_due(returned_on, today) else { continue };
            push(
                Reason::Returned { application_id: r.id, returned_on, days },
                r.applicant.whom(r.id),
            );
        }

        for scheme in [Scheme::Medical, Scheme::Pharmacy] {
            let Some(window) = practice.serves(scheme).then(|| practice.period(scheme)).flatten()
            else {
                continue;
            };
            let mut listed = Vec::new();
            if timing.not_applied_due(window, today) {
                let filter =
                    CoverageFilter { standing: Some(Standing::NotApplied), ..Default::default() };
                let reason = Reason::NotApplied { period_starts: window.starts };
                listed.push((reason, filter));
            }
            let reports_known = self.reports_known(prefecture, scheme, window.starts).await?;
            if let (true, Some(days_left)) = (reports_known, timing.not_reported_due(window, today))
            {
                let filter = CoverageFilter {
                    standing: Some(Standing::Account),
                    reported: Some(false),
                    ..Default::default()
                };
                listed.push((
                    Reason::NotReported { scheme, deadline: window.ends, days_left },
                    filter,
                ));
            }
            for (reason, filter) in listed {
                for e in self.coverage_list(prefecture, &filter).await? {
                    if e.scheme == scheme {
                        push(reason.clone(), Whom::listed(e));
                    }
                }
            }
        }
        Ok(entries)
    }

    /// Notices of the prefecture whose delivery ended bounced or refused.
    async fn undelivered(&self, prefecture: Prefecture) -> Result<Vec<Undelivered>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT n.id AS notice_id, n.application_id,
                    json_extract(n.payload, '$.kind') AS notice_kind,
                    json_extract(n.payload, '$.delivery.state') AS state,
                    json_extract(n.payload, '$.delivery.category') AS category,
                    json_extract(n.payload, '$.delivery.diagnostic') AS diagnostic, {APPLICANT}
             FROM notices n JOIN applications a ON a.id = n.application_id
             WHERE a.prefecture = ?1 AND json_extract(n.payload, '$.delivery.state') IN (?2, ?3)
             ORDER BY n.id"
        ))
        .bind(prefecture.code())
        .bind(name_key(DeliveryState::Bounced))
        .bind(name_key(DeliveryState::Failed))
        .fetch_all(self.pool())
        .await?)
    }

    async fn reports_known(
        &self,
        prefecture: Prefecture,
        scheme: Scheme,
        period: NaiveDate,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM reports WHERE prefecture = ?1 AND scheme = ?2 AND period = ?3)",
        )
        .bind(prefecture.code())
        .bind(super::scheme_key(scheme))
        .bind(period.to_string())
        .fetch_one(self.pool())
        .await?)
    }

    /// Every 連絡記録 the desk holds, by entry.
    async fn contacts(&self) -> Result<HashMap<String, ContactRecord>, StoreError> {
        let mut out = HashMap::new();
        for payload in self.records(RecordKind::Contact).await? {
            let c: ContactRecord = serde_json::from_str(&payload)?;
            out.insert(c.id.clone(), c);
        }
        Ok(out)
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

/// A unit enum's serde name (a delivery state, a notice kind), as the stored JSON has it.
fn name_key(value: impl Serialize) -> String {
    let value = serde_json::to_value(value).ok();
    value.and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The date of an RFC 3339 time, as the prefecture's desk reads it (JST).
fn day_of(at: &str) -> Option<NaiveDate> {
    Some(DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&JST).date_naive())
}
