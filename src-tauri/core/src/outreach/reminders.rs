//! 報告依頼・督促・申請のお願い for chosen 要連絡 entries: each institution's text from the
//! prefecture's templates (the domain's `reminder`), with its window's contact and the
//! scheme's deadline, previewed exactly as sent, and made into letters (PDF) or the list for
//! 差込印刷 (.xlsx) on this desk.

use std::path::Path;

use chrono::NaiveDate;
use madoguchi_domain::api::PrefectureSettings;
use madoguchi_domain::reminder::{fill, Filled, ReminderFacts, ReminderKind};
use madoguchi_domain::worklist::{ContactChannel, ContactOutcome};
use madoguchi_domain::{Code, Coded, Prefecture};
use serde::Serialize;

use super::worklist::{today, WorkEntry, WorklistError};
use crate::desk::Desk;
use crate::letters::{self, Addressee, LetterError, LetterReport, Letterhead};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ReminderError {
    #[error(transparent)]
    List(#[from] WorklistError),
    #[error(transparent)]
    Letter(#[from] LetterError),
    #[error("the window's contact is not set")]
    NoContact,
    #[error(transparent)]
    Sync(#[from] crate::sync::SyncError),
}

impl From<StoreError> for ReminderError {
    fn from(e: StoreError) -> Self {
        Self::List(e.into())
    }
}

impl Coded for ReminderError {
    fn code(&self) -> Code {
        match self {
            Self::List(e) => e.code(),
            Self::Letter(e) => e.code(),
            Self::NoContact => Code::LetterContact,
            Self::Sync(e) => e.code(),
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::List(e) => e.message_ja(),
            Self::Letter(e) => e.message_ja(),
            Self::Sync(e) => e.message_ja(),
            Self::NoContact => self.code().message_ja().to_owned(),
        }
    }
}

/// The chosen entries, each once, with its text.
pub struct Chosen {
    pub settings: PrefectureSettings,
    pub texts: Vec<(WorkEntry, Filled)>,
}

impl Store {
    /// `kind`'s text for each entry of `ids` (in their order, each institution once): refused
    /// until the prefecture has set its window's contact, which every text names.
    pub async fn reminder_texts(
        &self,
        prefecture: Prefecture,
        ids: &[String],
        kind: ReminderKind,
        today: NaiveDate,
    ) -> Result<Chosen, ReminderError> {
        let settings = self.settings_of(prefecture).await?.ok_or(ReminderError::NoContact)?;
        let contact = settings.contact.clone().ok_or(ReminderError::NoContact)?;
        let practice = settings.practice_in_force();
        let entries = self.entries_by_id(prefecture, ids, today).await?;
        let mut seen = std::collections::HashSet::new();
        let texts = entries
            .into_iter()
            .filter(|e| seen.insert((e.insurance_code.clone(), e.institution_name.clone())))
            .map(|e| {
                let facts = ReminderFacts {
                    institution_name: &e.institution_name,
                    scheme: e.scheme,
                    deadline: practice.period(e.scheme).map(|w| w.ends),
                    contact: &contact,
                };
                let filled = fill(kind, &settings.reminders, &facts);
                (e, filled)
            })
            .collect();
        Ok(Chosen { settings, texts })
    }
}

/// What came of sending reminders by mail.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, ts_rs::TS)]
pub struct MailedReport {
    /// Queued on the server, to be tracked as notices (a bounce returns it to 要連絡).
    pub queued: usize,
    /// Institutions with no application the desk holds: no address known; letters are next.
    pub without_address: Vec<String>,
    /// Refused by the server (its application not found there).
    pub refused: Vec<String>,
}

impl Store {
    /// The newest application the desk holds of the institution with `insurance_code`.
    async fn latest_application(&self, insurance_code: &str) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT max(id) FROM applications
             WHERE json_extract(payload, '$.form.insurance_code') = ?1",
        )
        .bind(insurance_code)
        .fetch_one(self.pool())
        .await?)
    }
}

/// The address as an envelope shows it: with the prefecture's name.
fn full_address(prefecture: Prefecture, address: &str) -> String {
    let address = address.trim();
    match address.starts_with(prefecture.name_ja()) {
        true => address.to_owned(),
        false => format!("{}{address}", prefecture.name_ja()),
    }
}

fn addressee(prefecture: Prefecture, e: &WorkEntry) -> Addressee {
    Addressee {
        postal_code: e.postal_code.clone(),
        address: full_address(prefecture, e.address.as_deref().unwrap_or_default()),
        name: e.institution_name.clone(),
        insurance_code: e.insurance_code.clone(),
        phone: e.phone.clone(),
        reason: e.said.clone(),
    }
}

impl Desk {
    async fn chosen(
        &self,
        ids: &[String],
        kind: ReminderKind,
    ) -> Result<(Prefecture, Chosen), ReminderError> {
        let prefecture = self.outreach_prefecture().await?;
        Ok((prefecture, self.store().reminder_texts(prefecture, ids, kind, today()).await?))
    }

    /// The text one entry's institution would receive, exactly.
    pub async fn reminder_preview(
        &self,
        id: &str,
        kind: ReminderKind,
    ) -> Result<Filled, ReminderError> {
        let (_, chosen) = self.chosen(&[id.to_owned()], kind).await?;
        let (_, filled) =
            chosen.texts.into_iter().next().ok_or(WorklistError::NoEntry(id.into()))?;
        Ok(filled)
    }

    /// Letters to the chosen entries' institutions, one A4 page each, into `path` (PDF).
    pub async fn make_letters(
        &self,
        ids: &[String],
        kind: ReminderKind,
        path: &Path,
    ) -> Result<LetterReport, ReminderError> {
        let (prefecture, chosen) = self.chosen(ids, kind).await?;
        let letters: Vec<(Addressee, Filled)> =
            chosen.texts.iter().map(|(e, f)| (addressee(prefecture, e), f.clone())).collect();
        let head = Letterhead {
            prefecture: prefecture.name_ja().to_owned(),
            contact: chosen.settings.contact.clone().ok_or(ReminderError::NoContact)?,
            date: today(),
        };
        let font = letters::find_font(None)?;
        let path = path.to_owned();
        let report = tokio::task::spawn_blocking(move || {
            letters::write_letters(&letters, &head, &font, &path)
        });
        Ok(report.await.map_err(|e| LetterError::Pdf(e.to_string()))??)
    }

    /// Mails `kind` to the chosen entries' institutions through the server — each to the
    /// address of the institution's newest application, with the text previewed — and notes
    /// the mail on each entry (メール・送付済み). Those with no application are listed for a
    /// letter. Needs the server now (a mail is not queued offline: the officer would not know
    /// when it went).
    pub async fn send_reminders(
        &self,
        ids: &[String],
        kind: ReminderKind,
    ) -> Result<MailedReport, ReminderError> {
        use madoguchi_domain::reminder::{ReminderBatch, ReminderItem, MAX_REMINDERS};
        let (_, chosen) = self.chosen(ids, kind).await?;
        let client = self.client()?;
        let mut report = MailedReport::default();
        let mut items = Vec::new();
        for (entry, filled) in &chosen.texts {
            let application = match (entry.application_id, &entry.insurance_code) {
                (Some(id), _) => Some(id),
                (None, Some(code)) => self.store().latest_application(code).await?,
                (None, None) => None,
            };
            match application {
                Some(application_id) => items.push(ReminderItem {
                    entry_id: entry.id.clone(),
                    application_id,
                    subject: filled.subject.clone(),
                    body: filled.body.clone(),
                }),
                None => report.without_address.push(entry.institution_name.clone()),
            }
        }
        let name_of = |id: &str| {
            let e = chosen.texts.iter().find(|(e, _)| e.id == id);
            e.map(|(e, _)| e.institution_name.clone()).unwrap_or_default()
        };
        let batch_id = uuid::Uuid::new_v4().to_string();
        for (n, chunk) in items.chunks(MAX_REMINDERS).enumerate() {
            let batch =
                ReminderBatch { batch_id: format!("{batch_id}-{n}"), items: chunk.to_vec() };
            let answer = client.send_reminders(&batch).await;
            self.set_online(!matches!(
                answer,
                Err(crate::sync::SyncError::Offline(_) | crate::sync::SyncError::Untrusted(_))
            ));
            for result in answer?.results {
                match result.notice_id {
                    Some(notice) => {
                        report.queued += 1;
                        let note = format!("{}をメールで送信（通知 {notice}）", kind.name_ja());
                        self.record_contact(
                            &result.entry_id,
                            ContactChannel::Mail,
                            ContactOutcome::Sent,
                            &note,
                            None,
                        )
                        .await?;
                    }
                    None => report.refused.push(name_of(&result.entry_id)),
                }
            }
        }
        log::info!(
            "{} reminders ({}) queued; {} without an address, {} refused",
            report.queued,
            kind.name_ja(),
            report.without_address.len(),
            report.refused.len()
        );
        if let Err(e) = self.store().pull(&client).await {
            log::warn!("pull after reminders: {e}");
        }
        Ok(report)
    }

    /// The chosen entries' institutions as the list for 差込印刷, into `path` (.xlsx).
    pub async fn make_mail_merge(
        &self,
        ids: &[String],
        path: &Path,
    ) -> Result<LetterReport, ReminderError> {
        let (prefecture, chosen) = self.chosen(ids, ReminderKind::ApplyRequest).await?;
        let list: Vec<Addressee> =
            chosen.texts.iter().map(|(e, _)| addressee(prefecture, e)).collect();
        Ok(letters::write_mail_merge(&list, path)?)
    }
}
