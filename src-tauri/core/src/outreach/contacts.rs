//! 連絡記録: what a desk does about a 要連絡 entry — takes it (対応中, so the other desks see
//! who is on it), records each contact made or tried (電話・メール・郵送 and what came of
//! it), gives it back — and an outbound call logged against the entry. Written as a synced
//! record; two desks' changes on one version are merged by the domain's rule.

use chrono::{DateTime, Utc};
use madoguchi_domain::api::{CallInstitution, CallRecord};
use madoguchi_domain::call::stamp;
use madoguchi_domain::practice::JST;
use madoguchi_domain::worklist::{
    ContactAttempt, ContactChannel, ContactOutcome, ContactRecord, MAX_ATTEMPTS,
};

use super::worklist::{today, Worklist, WorklistError, WorklistFilter};
use crate::calls::CallLinks;
use crate::desk::Desk;
use crate::records::RecordKind;
use crate::store::Store;

impl Store {
    /// Changes an entry's 連絡記録 (made from the entry if none yet) and writes it to sync.
    async fn change_contact(
        &self,
        id: &str,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut ContactRecord) -> Result<(), WorklistError>,
    ) -> Result<ContactRecord, WorklistError> {
        let prefecture =
            self.desk_settings().await?.prefecture.ok_or(WorklistError::NoPrefecture)?;
        let entry = self.entry(prefecture, id, now.with_timezone(&JST).date_naive()).await?;
        let mut record = entry.contact.unwrap_or(ContactRecord {
            id: entry.id.clone(),
            prefecture,
            institution_name: entry.institution_name.clone(),
            insurance_code: entry.insurance_code.clone(),
            taken_by: None,
            taken_at: None,
            attempts: Vec::new(),
            updated_at: String::new(),
            version: 0,
        });
        change(&mut record)?;
        record.updated_at = stamp(now);
        self.write_record(RecordKind::Contact, id, &record, &record.updated_at, None).await?;
        Ok(record)
    }

    /// 対応する: this desk takes the entry, so the others see it is being contacted; refused
    /// while another desk has it.
    pub async fn take_contact(
        &self,
        id: &str,
        desk: &str,
        now: DateTime<Utc>,
    ) -> Result<ContactRecord, WorklistError> {
        self.change_contact(id, now, |c| match &c.taken_by {
            Some(other) if other != desk => Err(WorklistError::Taken(other.clone())),
            _ => {
                c.taken_by = Some(desk.to_owned());
                c.taken_at = Some(stamp(now));
                Ok(())
            }
        })
        .await
    }

    /// 対応をやめる: gives the entry back to the list.
    pub async fn release_contact(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<ContactRecord, WorklistError> {
        self.change_contact(id, now, |c| {
            (c.taken_by, c.taken_at) = (None, None);
            Ok(())
        })
        .await
    }

    /// 連絡した: one contact made or tried; one that closes the entry (連絡済) gives it back.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_contact(
        &self,
        id: &str,
        desk: &str,
        channel: ContactChannel,
        outcome: ContactOutcome,
        note: &str,
        call_id: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<ContactRecord, WorklistError> {
        let note = note.trim();
        if note.chars().count() > 500 {
            return Err(WorklistError::Note(note.chars().count()));
        }
        self.change_contact(id, now, |c| {
            if c.attempts.len() >= MAX_ATTEMPTS {
                c.attempts.remove(0);
            }
            c.attempts.push(ContactAttempt {
                at: stamp(now),
                desk: desk.to_owned(),
                channel,
                outcome,
                note: note.to_owned(),
                call_id,
            });
            if outcome.closes() {
                (c.taken_by, c.taken_at) = (None, None);
            }
            Ok(())
        })
        .await
    }
}

impl Desk {
    /// The desk's prefecture's 要連絡 today (JST).
    pub async fn worklist(&self, filter: &WorklistFilter) -> Result<Worklist, WorklistError> {
        let prefecture = self.outreach_prefecture().await?;
        let today = today();
        Ok(self.store().worklist(prefecture, today, filter).await?)
    }

    pub async fn take_contact(&self, id: &str) -> Result<ContactRecord, WorklistError> {
        let desk = self.desk_name().await?;
        self.store().take_contact(id, &desk, Utc::now()).await
    }

    pub async fn release_contact(&self, id: &str) -> Result<ContactRecord, WorklistError> {
        self.store().release_contact(id, Utc::now()).await
    }

    pub async fn record_contact(
        &self,
        id: &str,
        channel: ContactChannel,
        outcome: ContactOutcome,
        note: &str,
        call_id: Option<String>,
    ) -> Result<ContactRecord, WorklistError> {
        let desk = self.desk_name().await?;
        self.store().record_contact(id, &desk, channel, outcome, note, call_id, Utc::now()).await
    }

    /// 電話する: takes the entry and opens a call logged against it — the institution, its
    /// application and the entry linked — for the officer to walk and finish as any call.
    pub async fn start_contact_call(&self, id: &str) -> Result<CallRecord, WorklistError> {
        let prefecture = self.outreach_prefecture().await?;
        let now = Utc::now();
        let entry = self.store().entry(prefecture, id, today()).await?;
        self.take_contact(id).await?;
        let call = self.start_call().await.map_err(WorklistError::Call)?;
        let links = CallLinks {
            institution: Some(CallInstitution {
                name: entry.institution_name.clone(),
                insurance_code: entry.insurance_code.clone(),
            }),
            application_id: entry.application_id,
        };
        self.link_call(&call.id, links).await.map_err(WorklistError::Call)?;
        let contact = Some(id.to_owned());
        self.store().mark_call_contact(&call.id, contact, now).await.map_err(WorklistError::Call)
    }
}
