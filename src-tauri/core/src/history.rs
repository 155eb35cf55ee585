//! 履歴: an application's audit trail as the server keeps it (who, which desk, when, from
//! which status to which, why), with this desk's actions not yet sent.

use madoguchi_domain::api::AuditEntry;
use madoguchi_domain::Coded;
use serde::Serialize;

use crate::desk::Desk;
use crate::mail::{notice_view, NoticeView};
use crate::outbox::OutboxEntry;
use crate::store::StoreError;

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct History {
    pub audit: Vec<AuditEntry>,
    /// Why the server's trail is missing (offline…), in Japanese; the local part still shows.
    pub unavailable: Option<String>,
    pub unsent: Vec<OutboxEntry>,
    /// The mails sent about it and what became of each (配信状況), as synced.
    pub notices: Vec<NoticeView>,
}

impl Desk {
    /// 履歴 of application `id`: the server's audit trail when it can be reached, and always
    /// this desk's unsent actions.
    pub async fn history(&self, id: i64) -> Result<History, StoreError> {
        let unsent = self
            .store()
            .pending_actions()
            .await?
            .into_iter()
            .filter(|e| e.application_id == id)
            .collect();
        let notices = self.store().notices_of(id).await?.iter().map(notice_view).collect();
        let trail = match self.client() {
            Ok(client) => client.application_detail(id).await.map(|d| d.audit),
            Err(e) => Err(e),
        };
        Ok(match trail {
            Ok(audit) => History { audit, unavailable: None, unsent, notices },
            Err(e) => {
                log::warn!("history of {id}: {e}");
                History { audit: Vec::new(), unavailable: Some(e.message_ja()), unsent, notices }
            }
        })
    }
}
