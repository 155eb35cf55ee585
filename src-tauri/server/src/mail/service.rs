//! The running mail parts, started and stopped together.

use std::sync::Arc;

use super::error::MailConfigError;
use super::inbound::Inbound;
use super::recorder::Recorder;
use super::send::Sender;
use super::settings::{Security, Settings};
use crate::storage::Storage;

pub struct Service {
    pub sender: Option<Sender>,
    pub inbound: Option<Inbound>,
}

impl Service {
    /// Starts what `settings` asks for; says at start when mail is held.
    pub async fn start(
        storage: Arc<dyn Storage>,
        settings: Settings,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> Result<Self, MailConfigError> {
        let settings = Arc::new(settings);
        let recorder = Recorder::start(storage.clone(), metrics);
        let sender = match (&settings.relay, &settings.bounce_domain) {
            (Some(relay), _) if relay.security == Security::None && relay.password.is_some() => {
                return Err(MailConfigError::AuthWithoutTls)
            }
            (Some(relay), Some(_)) => {
                log::info!("mail: notices go out through {relay:?}");
                Some(Sender::start(storage.clone(), recorder.clone(), settings.clone()))
            }
            (Some(_), None) => return Err(MailConfigError::NoBounceDomain),
            (None, _) => {
                log::warn!("mail: no relay set (MADOGUCHI_SMTP_RELAY): notices are held as 送信待ち and not sent");
                None
            }
        };
        let inbound = match settings.bounce_listen {
            Some(addr) => Some(
                Inbound::start(storage, recorder, settings.clone(), addr)
                    .await
                    .map_err(|e| MailConfigError::Listen(format!("{addr}: {e}")))?,
            ),
            None => None,
        };
        Ok(Self { sender, inbound })
    }

    pub async fn shutdown(self) {
        if let Some(s) = self.sender {
            s.shutdown().await;
        }
        if let Some(i) = self.inbound {
            i.shutdown().await;
        }
    }
}
