//! Rows as both databases store them, and how stored names, JSON and codes read back.

use madoguchi_domain::api::{Account, Application, Notice};
use madoguchi_domain::status_page::StatusPageUse;
use madoguchi_domain::{ApplicationForm, Delivery, Prefecture};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::{Result, StorageError};
use super::notices::Outgoing;

/// An enum's serde name (`"in_review"`), as stored.
pub(super) fn name_of<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

pub(super) fn from_name<T: DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|e| StorageError::Corrupt(format!("{s}: {e}")))
}

pub(super) fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("wire types serialise")
}

pub(super) fn from_json<T: DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StorageError::Corrupt(e.to_string()))
}

#[derive(sqlx::FromRow)]
pub(super) struct ApplicationRow {
    pub(super) id: i64,
    pub(super) prefecture: String,
    pub(super) status: String,
    pub(super) version: i64,
    pub(super) form: String,
    pub(super) submitted_by: String,
    pub(super) received_at: String,
    pub(super) updated_at: String,
    pub(super) login_id: Option<String>,
    pub(super) return_reason: Option<String>,
    pub(super) reject_reason: Option<String>,
    pub(super) note: Option<String>,
    pub(super) address_verified: bool,
    pub(super) resubmission_of: Option<i64>,
    pub(super) resubmitted_as: Option<i64>,
    pub(super) status_looked_at: Option<String>,
    pub(super) mail_missing_at: Option<String>,
}

impl ApplicationRow {
    pub(super) fn into_application(self) -> Result<Application> {
        Ok(Application {
            id: self.id,
            prefecture: stored_prefecture(&self.prefecture)?,
            status: from_name(&self.status)?,
            version: self.version,
            form: from_json(&self.form)?,
            submitted_by: from_name(&self.submitted_by)?,
            received_at: self.received_at,
            updated_at: self.updated_at,
            login_id: self.login_id,
            return_reason: self.return_reason.as_deref().map(from_name).transpose()?,
            reject_reason: self.reject_reason.as_deref().map(from_name).transpose()?,
            note: self.note,
            address_verified: self.address_verified,
            resubmission_of: self.resubmission_of,
            resubmitted_as: self.resubmitted_as,
            status_page: StatusPageUse {
                looked_at: self.status_looked_at,
                mail_missing_at: self.mail_missing_at,
            },
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct NoticeRow {
    pub(super) id: i64,
    pub(super) application_id: i64,
    pub(super) prefecture: String,
    pub(super) kind: String,
    pub(super) to_address: String,
    pub(super) subject: String,
    pub(super) body: String,
    pub(super) created_at: String,
    pub(super) delivery: String,
    pub(super) desk_body: Option<String>,
}

impl NoticeRow {
    pub(super) fn into_notice(self) -> Result<Notice> {
        Ok(Notice {
            id: self.id,
            application_id: self.application_id,
            prefecture: stored_prefecture(&self.prefecture)?,
            kind: from_name(&self.kind)?,
            to: self.to_address,
            subject: self.subject,
            body: self.desk_body.unwrap_or(self.body),
            created_at: self.created_at,
            delivery: from_json(&self.delivery)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AccountRow {
    pub(super) id: i64,
    pub(super) prefecture: String,
    pub(super) institution_code: String,
    pub(super) insurance_code: Option<String>,
    pub(super) institution_name: String,
    pub(super) login_id: String,
    pub(super) created_at: String,
}

impl AccountRow {
    pub(super) fn into_account(self) -> Result<Account> {
        Ok(Account {
            id: self.id,
            prefecture: stored_prefecture(&self.prefecture)?,
            institution_code: self.institution_code,
            insurance_code: self.insurance_code,
            institution_name: self.institution_name,
            login_id: self.login_id,
            created_at: self.created_at,
        })
    }
}

/// A prefecture code as stored; anything else is a damaged row.
pub(super) fn stored_prefecture(code: &str) -> Result<Prefecture> {
    code.parse().map_err(|_| StorageError::Corrupt(code.to_owned()))
}

/// The form's insurance code as ten plain digits (accounts are matched on it).
pub(super) fn insurance_digits(form: &ApplicationForm) -> Option<String> {
    form.insurance_code
        .as_deref()?
        .parse::<madoguchi_domain::InsuranceCode>()
        .ok()
        .map(|c| c.digits())
}

/// An address as the duplicate check finds it (`applications.email_key`, indexed).
pub(super) fn email_key(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}

pub(super) const NOTICE_COLUMNS: &str =
    "id, application_id, prefecture, kind, to_address, subject, body, created_at, delivery, desk_body";

/// A notice as the mailer reads it: the body as mailed, link and all.
pub(super) fn outgoing(row: NoticeRow) -> Result<Outgoing> {
    Ok(Outgoing {
        id: row.id,
        application_id: row.application_id,
        prefecture: stored_prefecture(&row.prefecture)?,
        kind: from_name(&row.kind)?,
        to: row.to_address,
        subject: row.subject,
        body: row.body,
        created_at: row.created_at,
        attempts: from_json::<Delivery>(&row.delivery)?.attempts,
    })
}

pub(super) const APPLICATION_COLUMNS: &str = "id, prefecture, status, version, form, submitted_by, received_at, updated_at, login_id, return_reason, reject_reason, note, address_verified, resubmission_of, resubmitted_as, status_looked_at, mail_missing_at";
