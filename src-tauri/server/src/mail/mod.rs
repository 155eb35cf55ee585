//! 通知メールの配信: the notices go out through the prefecture's mail relay (SMTP), and what
//! comes back — delivery reports and bounces — is matched to its notice, so the help desk
//! knows what became of every mail.
//!
//! Sending is at most once: a notice is claimed (`sending`) in the database before its
//! transaction starts, and settled when the relay answers. A refusal before the end of DATA
//! is certain, so it is retried (4xx, a dropped connection) or failed (5xx). A server killed
//! between claim and answer leaves a claim whose lease runs out; such a notice is marked
//! 送信失敗 with a note that it may have arrived, and is never sent a second time.

mod bounce;
mod compose;
mod connect;
mod error;
mod inbound;
mod outcome;
mod receive;
mod recorder;
mod send;
mod service;
mod settings;

pub use bounce::{parse_report, Report, ReportedRecipient};
pub use compose::{compose, Charset, ComposeError};
pub use error::MailConfigError;
pub use inbound::Inbound;
pub use recorder::Recorder;
pub use send::{bounce_address, Sender};
pub use service::Service;
pub use settings::{InboundLimits, Relay, Security, Settings};
