//! Why a queue action failed, in the officer's words.

use madoguchi_domain::Code;
use madoguchi_domain::Coded;

use crate::export::ExportError;
use crate::outbox::OutboxError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error("no application {0} on this desk")]
    UnknownApplication(i64),
    #[error("a saved view needs a name")]
    ViewName,
}

impl Coded for QueueError {
    fn code(&self) -> Code {
        match self {
            Self::Store(e) => e.code(),
            Self::Outbox(e) => e.code(),
            Self::Export(e) => e.code(),
            Self::UnknownApplication(_) => Code::AppNotFound,
            Self::ViewName => Code::ViewName,
        }
    }
    fn message_ja(&self) -> String {
        match self {
            Self::Store(e) => e.message_ja(),
            Self::Outbox(e) => e.message_ja(),
            Self::Export(e) => e.message_ja(),
            _ => self.code().message_ja().into(),
        }
    }
}
