//! 代理申請: a 新規ユーザ登録申請 the prefecture enters on an institution's behalf — checked
//! here with the same rules as the registration form (so field errors show offline too),
//! then entered through the server's intake in the officer's prefecture.

use madoguchi_domain::api::{FieldError, Receipt};
use madoguchi_domain::ApplicationForm;
use serde::Serialize;

use crate::desk::Desk;
use crate::sync::SyncError;

/// What became of a 代理申請: the receipt, or the fields to correct (nothing was stored).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ProxyOutcome {
    pub receipt: Option<Receipt>,
    pub fields: Vec<FieldError>,
}

impl Desk {
    pub async fn proxy_apply(&self, form: &ApplicationForm) -> Result<ProxyOutcome, SyncError> {
        if let Err(fields) = form.validate() {
            return Ok(ProxyOutcome { receipt: None, fields });
        }
        let client = self.client()?;
        let answer = client.proxy_apply(form).await;
        self.set_online(!matches!(answer, Err(SyncError::Offline(_) | SyncError::Untrusted(_))));
        match answer? {
            Ok(receipt) => {
                log::info!("proxy application {} entered", receipt.id);
                if let Err(e) = self.store().pull(&client).await {
                    log::warn!("pull after a proxy application: {e}");
                }
                Ok(ProxyOutcome { receipt: Some(receipt), fields: Vec::new() })
            }
            Err(refusal) => {
                log::warn!("proxy application refused: {} {}", refusal.code, refusal.message);
                let fields = if refusal.fields.is_empty() {
                    let (code, message) = (refusal.code, refusal.message);
                    vec![FieldError { field: String::new(), code, message }]
                } else {
                    refusal.fields
                };
                Ok(ProxyOutcome { receipt: None, fields })
            }
        }
    }
}
