//! 保存先: the server's storage, one trait per capability (officers, accounts, the registry,
//! intake, applications, decisions, the feed, records, notices and their delivery, reminders,
//! the status page) and [`Storage`] for all of them, with an implementation per database —
//! SQLite (one file, no setup; the default) and PostgreSQL (a national deployment). Both run
//! the same shared test suite. This module only names its parts; each capability is in its own file with its SQL.

mod accounts;
mod applications;
mod audit;
mod backup;
mod decisions;
mod error;
mod feed;
mod health;
mod intake;
mod notices;
mod officers;
mod records;
mod registry;
mod reminders;
mod retention;
mod rows;
mod sql;
mod status;

use std::sync::Arc;

pub use accounts::Accounts;
pub use applications::Applications;
pub use audit::{AuditRow, AuditTrail};
pub use backup::{Backup, FeedMark, COUNTED};
pub use decisions::{Answer, Decision, Decisions};
pub use error::{Result, StorageError};
pub use feed::Feed;
pub use health::{Figures, Health, Schema};
pub use intake::{AddressCheck, Confirmation, Held, Intake, PENDING_PER_ADDRESS};
pub use notices::{InboundMail, MailRecord, Notices, Outgoing};
pub use officers::{Officer, OfficerToken, Officers};
pub use records::{PutRecord, Record, Records};
pub use registry::Registry;
pub use reminders::Reminders;
pub use retention::{Purged, Retention, PURGED_BODY};
pub use sql::{PostgresStorage, SqliteStorage};
pub use status::{StatusFacts, StatusPage};

/// Everything the server keeps: what handlers, the mailer and the command line are given.
pub trait Storage:
    Officers
    + Accounts
    + Registry
    + Intake
    + Applications
    + Decisions
    + Feed
    + Records
    + Notices
    + Health
    + Backup
    + Retention
    + AuditTrail
    + Reminders
    + StatusPage
{
}

impl<T> Storage for T where
    T: Officers
        + Accounts
        + Registry
        + Intake
        + Applications
        + Decisions
        + Feed
        + Records
        + Notices
        + Health
        + Backup
        + Retention
        + AuditTrail
        + Reminders
        + StatusPage
        + ?Sized
{
}

/// Opens (creating if needed) and migrates the database named by `url`.
pub async fn open(url: &str) -> Result<Arc<dyn Storage>> {
    open_as(url, true).await
}

/// Opens the database named by `url`, migrating it or not; without, its schema may be any.
pub async fn open_as(url: &str, migrate: bool) -> Result<Arc<dyn Storage>> {
    open_sized(url, migrate, None).await
}

/// [`open_as`] with at most `pool` connections (each database's default otherwise).
pub async fn open_sized(url: &str, migrate: bool, pool: Option<u32>) -> Result<Arc<dyn Storage>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStorage::open(url, migrate, pool).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStorage::open(url, migrate, pool).await?))
    } else {
        Err(StorageError::UnsupportedUrl(crate::redact::redact(url)))
    }
}

/// Opens the database named by `url` without migrating it, and only if its schema is this
/// binary's: a command of a newer binary never changes a database older processes serve,
/// nor an older one a newer database.
pub async fn open_current(url: &str) -> Result<Arc<dyn Storage>> {
    current(open_as(url, false).await?).await
}

/// `storage` if its schema is this binary's.
pub async fn current(storage: Arc<dyn Storage>) -> Result<Arc<dyn Storage>> {
    let schema = storage.schema().await?;
    if !schema.is_current() {
        return Err(StorageError::Schema { applied: schema.applied, expected: schema.expected });
    }
    Ok(storage)
}

/// Whether `serve` migrates when its settings do not say: a single SQLite server does; a
/// PostgreSQL database shared by several processes is migrated once, by `db migrate`.
pub fn migrates_by_default(url: &str) -> bool {
    url.starts_with("sqlite:")
}
