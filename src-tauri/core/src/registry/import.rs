//! 台帳の取り込み: importing the institution lists into the local store, and what each
//! import changed.
//!
//! One import is one transaction: a file that fails half-way, a cancel, or a crash leaves the
//! previous registry exactly as it was. The file is parsed on its own thread and streamed in
//! batches, so a 500 MB file needs no more memory than a batch.

use madoguchi_domain::Code;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Utc;
use madoguchi_domain::outreach::{class_number, class_of, municipality_of};
use madoguchi_domain::{Coded, Prefecture};
use madoguchi_registry::diff::{self, Change, ChangeKind, Snapshot};
use madoguchi_registry::{ImportError, InstitutionRecord, Records, RowError};
use serde::Serialize;
use sqlx::{QueryBuilder, Sqlite};

use crate::outreach::{place_ids, recount, Places};
use crate::store::{Store, StoreError};

/// Rows per INSERT statement and per progress report.
const BATCH: usize = 500;
/// How many skipped rows and changes an import report lists by name (all are counted).
const REPORT_LIMIT: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    File(#[from] ImportError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("import cancelled")]
    Cancelled,
    #[error("not a CSV file: {0}")]
    NotCsv(String),
    /// Opening `\\server\share\…` sends the officer's Windows credentials to that server.
    #[error("a network (UNC) path: {0}")]
    NetworkPath(String),
    /// Only a file the officer chose in the file dialog is read.
    #[error("not chosen in the file dialog: {0}")]
    NotChosen(String),
    #[error("another import is running")]
    ImportRunning,
    #[error("no institution {0}")]
    NoSuchInstitution(i64),
}

impl From<sqlx::Error> for RegistryError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

impl Coded for RegistryError {
    fn code(&self) -> Code {
        match self {
            Self::File(e) => e.code(),
            Self::Store(e) => e.code(),
            Self::Cancelled => Code::ImportCancelled,
            Self::NotCsv(_) => Code::ImportNotCsv,
            Self::NetworkPath(_) => Code::ImportNetworkPath,
            Self::NotChosen(_) => Code::ImportNotChosen,
            Self::ImportRunning => Code::ImportBusy,
            Self::NoSuchInstitution(_) => Code::LookupNotFound,
        }
    }
    fn message_ja(&self) -> String {
        match self {
            Self::File(e) => e.message_ja(),
            Self::Store(e) => e.message_ja(),
            _ => self.code().message_ja().into(),
        }
    }
}

/// Progress of a running import, for the progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ImportProgress {
    pub bytes_read: u64,
    /// The file's size, where the caller knows it.
    pub total_bytes: Option<u64>,
    pub rows: u64,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SkippedRow {
    pub line: u64,
    pub message: String,
}

/// What an import did, for the officer and the log.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ImportReport {
    pub import_id: i64,
    pub file_name: String,
    pub source: &'static str,
    pub encoding: &'static str,
    /// Data rows read (valid, skipped and duplicate).
    pub rows_read: u64,
    pub imported: u64,
    /// Rows repeating a key already read in the same file (the lists carry some).
    pub duplicates: u64,
    pub skipped_count: u64,
    /// The first skipped rows, with their lines.
    pub skipped: Vec<SkippedRow>,
    pub prefectures: Vec<String>,
    pub opened: u64,
    pub closed: u64,
    pub renamed: u64,
    pub moved: u64,
    /// The first changes of each kind, by name.
    pub changes: Vec<Change>,
}

/// What the parsing thread hands over.
enum Parsed {
    Started { source: &'static str, encoding: &'static str },
    Batch { records: Vec<InstitutionRecord>, errors: Vec<RowError>, bytes_read: u64 },
}

/// Parses `reader` on a blocking thread, sending batches until the file ends or the
/// receiver goes away (a cancel or a store error).
fn spawn_parser<R: Read + Send + 'static>(
    reader: R,
    file_name: String,
) -> tokio::sync::mpsc::Receiver<Result<Parsed, ImportError>> {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let mut records = match Records::open(reader, &file_name) {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        };
        let started = Parsed::Started {
            source: records.source().as_str(),
            encoding: records.encoding_name(),
        };
        if tx.blocking_send(Ok(started)).is_err() {
            return;
        }
        loop {
            let (mut batch, mut errors) = (Vec::with_capacity(BATCH), Vec::new());
            for r in records.by_ref().take(BATCH) {
                match r {
                    Ok(rec) => batch.push(rec),
                    Err(e) => errors.push(e),
                }
            }
            let done = batch.is_empty() && errors.is_empty();
            if done {
                if let Some(e) = records.take_failure() {
                    let _ = tx.blocking_send(Err(ImportError::Io(e)));
                    return;
                }
            }
            let sent = tx.blocking_send(Ok(Parsed::Batch {
                records: batch,
                errors,
                bytes_read: records.bytes_read(),
            }));
            if done || sent.is_err() {
                return;
            }
        }
    });
    rx
}

struct Counts {
    report: ImportReport,
    listed: [usize; 4],
}

impl Counts {
    fn record(&mut self, change: Change) {
        let (counter, slot) = match change.kind {
            ChangeKind::Opened => (&mut self.report.opened, 0),
            ChangeKind::Closed => (&mut self.report.closed, 1),
            ChangeKind::Renamed { .. } => (&mut self.report.renamed, 2),
            ChangeKind::Moved { .. } => (&mut self.report.moved, 3),
        };
        *counter += 1;
        if self.listed[slot] < REPORT_LIMIT {
            self.listed[slot] += 1;
            self.report.changes.push(change);
        }
    }
}

impl Store {
    /// Imports one list file. `progress` is called after every batch; setting `cancel` stops
    /// the import and rolls it back.
    pub async fn import_registry<R: Read + Send + 'static>(
        &self,
        reader: R,
        file_name: &str,
        mut progress: impl FnMut(ImportProgress) + Send,
        cancel: &AtomicBool,
    ) -> Result<ImportReport, RegistryError> {
        let mut rx = spawn_parser(reader, file_name.to_owned());
        let (source, encoding) = match rx.recv().await {
            Some(Ok(Parsed::Started { source, encoding })) => (source, encoding),
            Some(Err(e)) => return Err(e.into()),
            _ => return Err(ImportError::UnknownFormat("parser ended early".into()).into()),
        };
        let mut tx = self.pool().begin().await?;
        let import_id: i64 = sqlx::query_scalar(
            "INSERT INTO registry_imports (source, file_name, encoding, imported_at) VALUES (?1, ?2, ?3, ?4) RETURNING id",
        )
        .bind(source)
        .bind(file_name)
        .bind(encoding)
        .bind(Utc::now().to_rfc3339())
        .fetch_one(&mut *tx)
        .await?;

        // The registry as it stands, to tell what this snapshot changes.
        let rows: Vec<(String, String, String, Option<String>, String)> = sqlx::query_as(
            "SELECT source_key, name, address, postal_code, prefecture FROM institutions
             WHERE source = ?1 AND closed_import_id IS NULL",
        )
        .bind(source)
        .fetch_all(&mut *tx)
        .await?;
        let mut old: HashMap<String, (Snapshot, String)> = rows
            .into_iter()
            .map(|(key, name, address, postal_code, pref)| {
                (key, (Snapshot { name, address, postal_code }, pref))
            })
            .collect();

        let mut counts = Counts {
            report: ImportReport {
                import_id,
                file_name: file_name.to_owned(),
                source,
                encoding,
                rows_read: 0,
                imported: 0,
                duplicates: 0,
                skipped_count: 0,
                skipped: Vec::new(),
                prefectures: Vec::new(),
                opened: 0,
                closed: 0,
                renamed: 0,
                moved: 0,
                changes: Vec::new(),
            },
            listed: [0; 4],
        };
        let mut seen: HashSet<String> = HashSet::new();
        let mut places = Places::default();
        // Where an import's time goes, for the log: rows written, then the recount and commit.
        let started = std::time::Instant::now();
        let mut covered: HashSet<Prefecture> = HashSet::new();
        while let Some(parsed) = rx.recv().await {
            if cancel.load(Ordering::Relaxed) {
                log::info!("registry import of {file_name} cancelled; rolled back");
                return Err(RegistryError::Cancelled);
            }
            let Parsed::Batch { records, errors, bytes_read } = parsed? else { continue };
            let report = &mut counts.report;
            report.rows_read += (records.len() + errors.len()) as u64;
            report.skipped_count += errors.len() as u64;
            for e in errors {
                log::warn!("{file_name}: {e}");
                if report.skipped.len() < REPORT_LIMIT {
                    report.skipped.push(SkippedRow { line: e.line, message: e.message_ja() });
                }
            }
            let fresh: Vec<InstitutionRecord> = records
                .into_iter()
                .filter(|r| {
                    let new = seen.insert(r.key.clone());
                    if !new {
                        counts.report.duplicates += 1;
                    }
                    new
                })
                .collect();
            for r in &fresh {
                covered.insert(r.prefecture);
                let snapshot = Snapshot {
                    name: r.name.clone(),
                    address: r.address.clone(),
                    postal_code: r.postal_code.map(|p| p.digits()),
                };
                let before = old.remove(&r.key).map(|(s, _)| s);
                for change in diff::compare(&r.key, before.as_ref(), &snapshot) {
                    counts.record(change);
                }
            }
            counts.report.imported += fresh.len() as u64;
            upsert(&mut tx, import_id, &mut places, &fresh).await?;
            progress(ImportProgress {
                bytes_read,
                total_bytes: None,
                rows: counts.report.rows_read,
            });
        }
        if counts.report.imported == 0 {
            return Err(ImportError::NoValidRows.into());
        }
        let written = started.elapsed();

        // Listed before, not now, in a prefecture this file covers: closed (or moved away).
        let covered_codes: HashSet<String> = covered.iter().map(|p| p.code()).collect();
        let gone: HashMap<String, Snapshot> = old
            .into_iter()
            .filter(|(_, (_, pref))| covered_codes.contains(pref))
            .map(|(k, (s, _))| (k, s))
            .collect();
        for change in diff::closed(&gone) {
            counts.record(change);
        }
        for keys in gone.keys().collect::<Vec<_>>().chunks(BATCH) {
            let mut q = QueryBuilder::<Sqlite>::new("UPDATE institutions SET closed_import_id = ");
            q.push_bind(import_id)
                .push(" WHERE source = ")
                .push_bind(source)
                .push(" AND source_key IN (");
            let mut list = q.separated(", ");
            for k in keys {
                list.push_bind(k.as_str());
            }
            q.push(")");
            q.build().execute(&mut *tx).await?;
        }

        let mut prefectures: Vec<String> = covered_codes.into_iter().collect();
        prefectures.sort();
        let r = &mut counts.report;
        r.prefectures = prefectures;
        sqlx::query(
            "UPDATE registry_imports SET rows_read = ?2, rows_skipped = ?3, opened = ?4, closed = ?5, renamed = ?6, moved = ?7
             WHERE id = ?1",
        )
        .bind(import_id)
        .bind(r.rows_read as i64)
        .bind(r.skipped_count as i64)
        .bind(r.opened as i64)
        .bind(r.closed as i64)
        .bind(r.renamed as i64)
        .bind(r.moved as i64)
        .execute(&mut *tx)
        .await?;
        recount(&mut tx).await?;
        let counted = started.elapsed();
        tx.commit().await?;
        let (committed, s) = (started.elapsed(), |d: std::time::Duration| d.as_secs_f64());
        log::info!(
            "registry import {import_id} of {file_name} ({encoding}): {} rows, {} imported, {} skipped, {} duplicate; opened {}, closed {}, renamed {}, moved {}; written in {:.2} s, recounted {:.2} s, committed {:.2} s",
            r.rows_read, r.imported, r.skipped_count, r.duplicates, r.opened, r.closed, r.renamed, r.moved,
            s(written), s(counted - written), s(committed - counted)
        );
        Ok(counts.report)
    }
}

/// Inserts or refreshes one batch; a row listed again is open again.
async fn upsert(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    import_id: i64,
    places: &mut Places,
    records: &[InstitutionRecord],
) -> Result<(), sqlx::Error> {
    if records.is_empty() {
        return Ok(());
    }
    let municipalities: Vec<String> = records.iter().map(|r| municipality_of(&r.address)).collect();
    let names = records.iter().map(|r| r.prefecture).zip(municipalities.iter().map(String::as_str));
    place_ids(tx, places, names).await?;
    let mut q = QueryBuilder::<Sqlite>::new(
        "INSERT INTO institutions (source, source_key, insurance_code, kind, name, kana, prefecture,
         municipality_code, place, class, postal_code, address, import_id, counted) ",
    );
    q.push_values(records.iter().zip(&municipalities), |mut row, (r, municipality)| {
        let code = r.insurance_code.map(|c| c.digits());
        let class = class_number(class_of(r.kind, code.as_deref()).0) as i64;
        row.push_bind(r.source.as_str())
            .push_bind(&r.key)
            .push_bind(code)
            .push_bind(r.kind.map(|k| k.key()))
            .push_bind(&r.name)
            .push_bind(&r.kana)
            .push_bind(r.prefecture.code())
            .push_bind(&r.municipality_code)
            .push_bind(places.get(r.prefecture, municipality))
            .push_bind(class)
            .push_bind(r.postal_code.map(|p| p.digits()))
            .push_bind(&r.address)
            .push_bind(import_id)
            // Counted until `recount` finds an open row with its code before it: a new row is
            // written once, not again by the recount.
            .push_bind(1);
    });
    q.push(
        " ON CONFLICT (source, source_key) DO UPDATE SET insurance_code = excluded.insurance_code,
          kind = excluded.kind, name = excluded.name, kana = excluded.kana, prefecture = excluded.prefecture,
          municipality_code = excluded.municipality_code, place = excluded.place, class = excluded.class, postal_code = excluded.postal_code,
          address = excluded.address, import_id = excluded.import_id, closed_import_id = NULL",
    );
    q.build().execute(&mut **tx).await?;
    Ok(())
}
