//! The two SQL implementations of the storage. Their SQL is one text (`$n` placeholders work
//! in both databases), kept by capability in the sibling modules as one macro each; what
//! differs — connecting, migrations, how a write transaction starts and how the changes feed
//! is kept in commit order — is said here, once per database.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use super::error::{Result, StorageError};

/// SQLite: one file. Writes take the database lock up front (`BEGIN IMMEDIATE`) so that
/// concurrent decisions queue instead of failing half-way.
pub struct SqliteStorage {
    pool: SqlitePool,
    writer: tokio::sync::Mutex<()>,
    /// The newest migration this binary carries.
    expected: i64,
}

/// PostgreSQL. Writers that add to a prefecture's changes feed hold an advisory lock until they
/// commit, so each feed's order is its commit order and a reader's cursor never skips a late
/// commit: a desk's decisions and records take their prefecture's lock (prefectures write side
/// by side, in any process), other writes the whole country's.
pub struct PostgresStorage {
    pool: PgPool,
    writer: tokio::sync::Mutex<()>,
    /// The newest migration this binary carries.
    expected: i64,
}

impl SqliteStorage {
    /// Whether the migrations' table exists (a database never migrated has none).
    const HAS_MIGRATIONS: &'static str =
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'";

    pub async fn open(url: &str, migrate: bool, pool: Option<u32>) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true)
            // What is deleted or rewritten (a purge of personal values) is zeroed in the file,
            // not left in free space.
            .pragma("secure_delete", "on");
        // A new deployment (or `cargo xtask run` after `target/` was deleted) names a file in
        // a folder that does not exist yet: the folder is made, as the file itself is.
        // (An in-memory database's name has no folder.)
        let path = options.get_filename().to_owned();
        if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)
                .map_err(|source| StorageError::Folder { path: folder.to_owned(), source })?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(pool.unwrap_or(8).max(1))
            .connect_with(options)
            .await
            .map_err(|source| StorageError::File { path, source })?;
        let migrator = sqlx::migrate!("../../migrations/server-sqlite");
        if migrate {
            migrator.run(&pool).await?;
        }
        Ok(Self { pool, writer: Default::default(), expected: newest(&migrator) })
    }
}

impl PostgresStorage {
    const HAS_MIGRATIONS: &'static str = "SELECT COUNT(*) FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'";

    /// `pool` connections at most (default 16: four processes stay under PostgreSQL's
    /// default of 100 connections, with room for the operator).
    pub async fn open(url: &str, migrate: bool, pool: Option<u32>) -> Result<Self> {
        let pool =
            PgPoolOptions::new().max_connections(pool.unwrap_or(16).max(1)).connect(url).await?;
        let migrator = sqlx::migrate!("../../migrations/server-postgres");
        if migrate {
            migrator.run(&pool).await?;
        }
        Ok(Self { pool, writer: Default::default(), expected: newest(&migrator) })
    }
}

fn newest(migrator: &sqlx::migrate::Migrator) -> i64 {
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Every capability's SQL for one database, with the write transactions they share:
/// `$begin` starts a write transaction, `$order` (if not empty) serialises writers of the
/// changes feed, `$within` (if not empty) only the writers of one prefecture's feed (`$1`,
/// its number) while excluding `$order`'s.
macro_rules! sql_storage {
    ($storage:ty, $db:ty, $begin:literal, $order:literal, $within:literal, [$($advance:literal),+], $compact:literal) => {
        impl $storage {
            /// A write transaction, this process's writers taking turns first: waiting on an
            /// async lock wakes at once, where SQLite's busy handler sleeps for milliseconds.
            async fn write(
                &self,
            ) -> Result<(tokio::sync::MutexGuard<'_, ()>, sqlx::Transaction<'static, $db>)> {
                let turn = self.writer.lock().await;
                let mut tx = self.pool.begin_with($begin).await?;
                if !$order.is_empty() {
                    sqlx::query($order).execute(&mut *tx).await?;
                }
                Ok((turn, tx))
            }

            /// A write transaction that touches only `prefecture`'s feed: where the database
            /// can order each prefecture apart, no turn is taken with other prefectures'.
            async fn write_within(
                &self,
                prefecture: Prefecture,
            ) -> Result<(Option<tokio::sync::MutexGuard<'_, ()>>, sqlx::Transaction<'static, $db>)>
            {
                if $within.is_empty() {
                    let (turn, tx) = self.write().await?;
                    return Ok((Some(turn), tx));
                }
                let mut tx = self.pool.begin_with($begin).await?;
                sqlx::query($within).bind(i32::from(prefecture.number())).execute(&mut *tx).await?;
                Ok((None, tx))
            }
        }

        officers_sql!($storage, $db);
        accounts_sql!($storage, $db);
        registry_sql!($storage, $db);
        intake_sql!($storage, $db);
        applications_sql!($storage, $db);
        decisions_sql!($storage, $db);
        feed_sql!($storage, $db);
        records_sql!($storage, $db);
        notices_sql!($storage, $db);
        health_sql!($storage, $db);
        backup_sql!($storage, $db, [$($advance),+]);
        retention_sql!($storage, $db, $compact);
        audit_sql!($storage, $db);
        reminders_sql!($storage, $db);
        status_sql!($storage, $db);
    };
}

/// What the capabilities' SQL names, in scope where it is expanded.
mod prelude {
    pub(super) use async_trait::async_trait;
    pub(super) use madoguchi_domain::api::{
        Account, Application, AuditEntry, Change, ChangesPage, DecisionResponse, Entity, Notice,
        Receipt, RegistryEntry, SubmittedBy,
    };
    pub(super) use madoguchi_domain::notice;
    pub(super) use madoguchi_domain::{
        ApplicationForm, ApplicationStatus, Delivery, DeliveryEvent, Prefecture, ValidForm,
    };
    pub(super) use madoguchi_registry::InstitutionRecord;

    pub(super) use crate::decisions::{self, Context, DecisionError, Issue};
    pub(super) use crate::storage::accounts::*;
    pub(super) use crate::storage::applications::*;
    pub(super) use crate::storage::audit::*;
    pub(super) use crate::storage::backup::*;
    pub(super) use crate::storage::decisions::*;
    pub(super) use crate::storage::error::{Result, StorageError};
    pub(super) use crate::storage::feed::*;
    pub(super) use crate::storage::health::*;
    pub(super) use crate::storage::intake::*;
    pub(super) use crate::storage::notices::*;
    pub(super) use crate::storage::officers::*;
    pub(super) use crate::storage::records::*;
    pub(super) use crate::storage::registry::*;
    pub(super) use crate::storage::reminders::*;
    pub(super) use crate::storage::retention::*;
    pub(super) use crate::storage::rows::*;
    pub(super) use crate::storage::sql::{PostgresStorage, SqliteStorage};
    pub(super) use crate::storage::status::*;
}

mod sqlite_impl {
    use crate::storage::sql::prelude::*;
    sql_storage!(
        SqliteStorage,
        sqlx::Sqlite,
        "BEGIN IMMEDIATE",
        "",
        "",
        [
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'changes', $1
             WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'changes')",
            "UPDATE sqlite_sequence SET seq = MAX(seq, $1) WHERE name = 'changes'"
        ],
        "PRAGMA wal_checkpoint(TRUNCATE)"
    );
}

mod postgres_impl {
    use crate::storage::sql::prelude::*;
    sql_storage!(
        PostgresStorage,
        sqlx::Postgres,
        "BEGIN",
        "SELECT pg_advisory_xact_lock(7204)",
        "SELECT pg_advisory_xact_lock_shared(7204), pg_advisory_xact_lock(7205, $1)",
        ["SELECT setval(pg_get_serial_sequence('changes', 'seq'),
                GREATEST((SELECT last_value FROM changes_seq_seq), $1))"],
        "VACUUM applications, notices, delivery_audit, inbound_mail, changes, audit, idempotency"
    );
}
