//! What puts an institution on 要連絡, as the desk holds it: notices that did not arrive (and
//! the application each was for), applicants who said so on the status page, returns not
//! resubmitted, 疎通確認 that lapsed (as the server publishes them), whether a 報告状況 is
//! known, and the 連絡記録 kept — each with who the institution is and how to reach it.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate};
use madoguchi_domain::api::LapsedCheck;
use madoguchi_domain::practice::{Scheme, JST};
use madoguchi_domain::worklist::ContactRecord;
use madoguchi_domain::{DeliveryState, InstitutionKind, Prefecture};
use serde::Serialize;

use super::CoverageEntry;
use crate::records::RecordKind;
use crate::store::{Store, StoreError};

/// The institution an application is for, as [`APPLICANT`] selects it from `a`.
#[derive(sqlx::FromRow)]
pub(super) struct Applicant {
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
pub(super) struct Undelivered {
    pub(super) notice_id: i64,
    pub(super) application_id: i64,
    pub(super) notice_kind: String,
    pub(super) state: String,
    pub(super) category: Option<String>,
    pub(super) diagnostic: Option<String>,
    #[sqlx(flatten)]
    pub(super) applicant: Applicant,
}

/// An application returned for correction.
#[derive(sqlx::FromRow)]
pub(super) struct Returned {
    pub(super) id: i64,
    pub(super) updated_at: String,
    #[sqlx(flatten)]
    pub(super) applicant: Applicant,
}

/// An application whose applicant said on the status page that the mail did not arrive.
#[derive(sqlx::FromRow)]
pub(super) struct MailMissing {
    pub(super) id: i64,
    pub(super) asked_at: String,
    #[sqlx(flatten)]
    pub(super) applicant: Applicant,
}

/// A lapsed check, with the registry's phone, postal code and address.
pub(super) type Lapse = (LapsedCheck, Option<String>, Option<String>, Option<String>);

/// A lapsed check as stored, with the registry row it matched.
#[derive(sqlx::FromRow)]
struct LapseRow {
    payload: String,
    phone: Option<String>,
    postal_code: Option<String>,
    address: Option<String>,
}

/// Who an entry is about, and how to reach them.
pub(super) struct Whom {
    pub(super) name: String,
    pub(super) insurance_code: Option<String>,
    pub(super) scheme: Scheme,
    pub(super) phone: Option<String>,
    pub(super) postal_code: Option<String>,
    pub(super) address: Option<String>,
    pub(super) application_id: Option<i64>,
}

impl Applicant {
    pub(super) fn whom(self, application_id: i64) -> Whom {
        let pharmacy = self.kind.as_deref() == Some(InstitutionKind::Pharmacy.key());
        // The form's 〒 as typed (100-0001): kept as the registry keeps it, seven digits.
        let postal = self.postal_code.and_then(|p| p.parse::<madoguchi_domain::PostalCode>().ok());
        Whom {
            name: self.name.unwrap_or_default(),
            insurance_code: self.insurance_code,
            scheme: if pharmacy { Scheme::Pharmacy } else { Scheme::Medical },
            phone: self.phone,
            postal_code: postal.map(|p| p.digits()),
            address: self.address,
            application_id: Some(application_id),
        }
    }
}

impl Whom {
    pub(super) fn listed(e: CoverageEntry) -> Self {
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
    /// Notices of the prefecture whose delivery ended bounced or refused.
    pub(super) async fn undelivered(
        &self,
        prefecture: Prefecture,
    ) -> Result<Vec<Undelivered>, StoreError> {
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

    /// Lapsed 疎通確認 of the prefecture whose institution has neither an account nor an
    /// application since, with the registry's phone and address.
    pub(super) async fn lapsed(&self, prefecture: Prefecture) -> Result<Vec<Lapse>, StoreError> {
        let rows: Vec<LapseRow> = sqlx::query_as(
            "SELECT l.payload, i.phone, i.postal_code, i.address FROM lapsed_checks l
             LEFT JOIN institutions i ON i.insurance_code = l.insurance_code AND i.counted = 1
             WHERE l.prefecture = ?1
               AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.insurance_code = l.insurance_code)
               AND NOT EXISTS (SELECT 1 FROM applications p
                               WHERE json_extract(p.payload, '$.form.insurance_code') = +l.insurance_code
                                  OR json_extract(p.payload, '$.form.name') = json_extract(l.payload, '$.institution_name'))
             ORDER BY l.id",
        )
        .bind(prefecture.code())
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                let check: LapsedCheck = serde_json::from_str(&r.payload)?;
                Ok((check, r.phone, r.postal_code, r.address))
            })
            .collect()
    }

    /// Whether a 報告状況 is imported for `scheme`'s period starting `period` (2027-01-04).
    pub(super) async fn reports_known(
        &self,
        prefecture: Prefecture,
        scheme: Scheme,
        period: &str,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM reports WHERE prefecture = ?1 AND scheme = ?2 AND period = ?3)",
        )
        .bind(prefecture.code())
        .bind(super::scheme_key(scheme))
        .bind(period)
        .fetch_one(self.pool())
        .await?)
    }

    /// Every 連絡記録 the desk holds, by entry.
    pub(super) async fn contacts(&self) -> Result<HashMap<String, ContactRecord>, StoreError> {
        let mut out = HashMap::new();
        for payload in self.records(RecordKind::Contact).await? {
            let c: ContactRecord = serde_json::from_str(&payload)?;
            out.insert(c.id.clone(), c);
        }
        Ok(out)
    }

    /// Applications of the prefecture whose applicant said the mail did not arrive.
    pub(super) async fn mail_missing(
        &self,
        prefecture: Prefecture,
    ) -> Result<Vec<MailMissing>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT a.id, json_extract(a.payload, '$.status_page.mail_missing_at') AS asked_at, {APPLICANT}
             FROM applications a
             WHERE a.prefecture = ?1 AND json_extract(a.payload, '$.status_page.mail_missing_at') IS NOT NULL"
        ))
        .bind(prefecture.code())
        .fetch_all(self.pool())
        .await?)
    }

    /// Applications returned for correction and not resubmitted.
    pub(super) async fn returned(
        &self,
        prefecture: Prefecture,
    ) -> Result<Vec<Returned>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT a.id, a.updated_at, {APPLICANT} FROM applications a
             WHERE a.prefecture = ?1 AND a.status = 'returned_for_correction'
               AND json_extract(a.payload, '$.resubmitted_as') IS NULL"
        ))
        .bind(prefecture.code())
        .fetch_all(self.pool())
        .await?)
    }
}

/// A unit enum's serde name (a delivery state, a notice kind), as the stored JSON has it.
pub(super) fn name_key(value: impl Serialize) -> String {
    let value = serde_json::to_value(value).ok();
    value.and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The date of an RFC 3339 time, as the prefecture's desk reads it (JST).
pub(super) fn day_of(at: &str) -> Option<NaiveDate> {
    Some(DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&JST).date_naive())
}
