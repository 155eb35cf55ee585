//! 退避と復元: `backup` takes a consistent copy of the database into a folder of its own with a
//! manifest (versions, table counts, each prefecture's feed, the feed's epoch, the copy's
//! SHA-256); `backup verify` proves a copy usable — checksum, integrity, then every
//! prefecture's feed read back through the storage the API serves from and compared with the
//! manifest; `restore` puts a copy back and makes the restore safe for the desks and the
//! applicants: a new feed epoch (desks start over by themselves), the feed's sequence moved
//! past every cursor handed out, and notices not yet sent held until `mail release` (one may
//! have gone out after the backup was taken).

mod copy;
mod error;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use copy::Kind;
pub use error::BackupError;

use crate::storage::{self, FeedMark, Storage};

/// What a backup folder holds besides the copy: enough to check it and to say, on restore,
/// what came after it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub created_at: String,
    pub server_version: String,
    pub schema: i64,
    pub database: Kind,
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
    pub epoch: i64,
    pub tables: Vec<(String, i64)>,
    pub feeds: Vec<FeedMark>,
}

const MANIFEST: &str = "manifest.json";
/// Backup folders are named `madoguchi-backup-<UTC time>`, so their names sort by age.
const PREFIX: &str = "madoguchi-backup-";

/// Takes a backup of the database at `url` into a new folder under `out`; keeps the newest
/// `keep` folders there (all when `None`). The new folder.
pub async fn take(url: &str, out: &Path, keep: Option<usize>) -> Result<PathBuf, BackupError> {
    let kind = Kind::of(url)?;
    let created_at = crate::clock::now();
    let name = format!("{PREFIX}{}", created_at.replace([':', '.'], "-"));
    let dir = out.join(&name);
    std::fs::create_dir_all(&dir).map_err(|e| BackupError::io(&dir, e))?;
    let file = dir.join(kind.file());
    copy::dump(url, &file).await?;
    // The manifest describes the copy, read back from the copy itself.
    let (schema, epoch, tables, feeds) = read_copy(kind, url, &file).await?;
    let (bytes, sha256) = checksum(&file)?;
    let manifest = Manifest {
        format: 1,
        created_at,
        server_version: env!("CARGO_PKG_VERSION").into(),
        schema,
        database: kind,
        file: kind.file().into(),
        bytes,
        sha256,
        epoch,
        tables,
        feeds,
    };
    let text = serde_json::to_string_pretty(&manifest).expect("a manifest serialises");
    let path = dir.join(MANIFEST);
    std::fs::write(&path, text).map_err(|e| BackupError::io(&path, e))?;
    log::info!("backup {name}: {bytes} bytes, {} feeds", manifest.feeds.len());
    if let Some(keep) = keep {
        prune(out, keep.max(1))?;
    }
    Ok(dir)
}

/// Checks the backup in `dir` and returns its manifest: the checksum, the copy's integrity,
/// and every prefecture's feed read page by page and compared with the manifest.
pub async fn verify(dir: &Path, postgres_scratch: Option<&str>) -> Result<Manifest, BackupError> {
    let manifest = manifest(dir)?;
    let file = dir.join(&manifest.file);
    let (bytes, sha256) = checksum(&file)?;
    if (bytes, &sha256) != (manifest.bytes, &manifest.sha256) {
        return Err(BackupError::Corrupt(format!(
            "{} is {bytes} bytes with SHA-256 {sha256}; the manifest says {} bytes, {}",
            file.display(),
            manifest.bytes,
            manifest.sha256
        )));
    }
    let url = match manifest.database {
        Kind::Sqlite => String::new(),
        Kind::Postgres => postgres_scratch
            .ok_or_else(|| BackupError::Tool("a PostgreSQL copy is verified by restoring it: give --scratch postgres://… (a role that may create databases)".into()))?
            .to_owned(),
    };
    let (schema, epoch, tables, feeds) = read_copy(manifest.database, &url, &file).await?;
    let read = (schema, epoch, &tables, &feeds);
    if read != (manifest.schema, manifest.epoch, &manifest.tables, &manifest.feeds) {
        return Err(BackupError::Differs(format!(
            "read schema {schema}, epoch {epoch}, tables {tables:?}, feeds {feeds:?}"
        )));
    }
    Ok(manifest)
}

/// What a restore did, for the operator.
#[derive(Debug)]
pub struct Restored {
    pub manifest: Manifest,
    /// The highest feed seq the replaced database had handed out (0 if it was unreadable).
    pub handed_out: i64,
    /// Notices held (not mailed until `mail release`), by prefecture.
    pub held: Vec<(String, i64)>,
    pub epoch: i64,
}

/// Puts the backup in `dir` in place of the database at `url` (every server process stopped
/// first), checked before anything is replaced.
pub async fn restore(url: &str, dir: &Path) -> Result<Restored, BackupError> {
    let manifest = manifest(dir)?;
    if Kind::of(url)? != manifest.database {
        return Err(BackupError::Manifest(format!(
            "a {:?} backup cannot be restored into this database",
            manifest.database
        )));
    }
    let scratch = (manifest.database == Kind::Postgres).then_some(url);
    verify(dir, scratch).await?;
    // How far desks may have pulled: the database being replaced says, if it still can.
    let handed_out = match storage::open_as(url, false).await {
        Ok(current) => {
            let marks = current.feed_marks().await;
            current.close().await;
            marks.map_or(0, |m| last_seq(&m))
        }
        Err(_) => 0,
    };
    copy::put_back(url, &dir.join(&manifest.file))?;
    let restored = storage::open_as(url, copy::Kind::of(url)? == Kind::Sqlite).await?;
    let past = handed_out.max(last_seq(&manifest.feeds));
    let detail = format!("backup of {} restored; feed moved past {past}", manifest.created_at);
    let held = restored.restored(past, &detail).await?;
    let epoch = restored.epoch().await?;
    Ok(Restored { manifest, handed_out, held, epoch })
}

fn last_seq(marks: &[FeedMark]) -> i64 {
    marks.iter().map(|m| m.last_seq).max().unwrap_or(0)
}

fn manifest(dir: &Path) -> Result<Manifest, BackupError> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(|e| BackupError::io(&path, e))?;
    serde_json::from_str(&text)
        .map_err(|e| BackupError::Manifest(format!("{}: {e}", path.display())))
}

type Read = (i64, i64, Vec<(String, i64)>, Vec<FeedMark>);

/// Schema, epoch, table counts and feeds of the copy `file`: SQLite opened (a scratch copy,
/// the backup never written to) after its integrity check; PostgreSQL restored into a new
/// database beside `url`'s, dropped after. Every change of every feed is read and decoded.
async fn read_copy(kind: Kind, url: &str, file: &Path) -> Result<Read, BackupError> {
    match kind {
        Kind::Sqlite => {
            copy::sqlite_integrity(file).await?;
            let scratch = tempfile_dir()?;
            let copy = scratch.join("copy.db");
            std::fs::copy(file, &copy).map_err(|e| BackupError::io(&copy, e))?;
            let storage = storage::open_as(&format!("sqlite://{}", copy.display()), false).await?;
            let read = read_storage(storage.as_ref()).await;
            storage.close().await;
            let _ = std::fs::remove_dir_all(&scratch);
            read
        }
        Kind::Postgres => {
            let name = format!("madoguchi_verify_{:016x}", rand::random::<u64>());
            let admin = sqlx::PgPool::connect(url).await?;
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await?;
            let base = url.rsplit_once('/').map_or(url, |(b, _)| b);
            let scratch = format!("{base}/{name}");
            let outcome = async {
                copy::put_back(&scratch, file)?;
                let storage = storage::open_as(&scratch, false).await?;
                let read = read_storage(storage.as_ref()).await;
                storage.close().await;
                read
            }
            .await;
            let _ =
                sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&admin).await;
            outcome
        }
    }
}

async fn read_storage(storage: &dyn Storage) -> Result<Read, BackupError> {
    let schema = storage.schema().await?;
    let feeds = storage.feed_marks().await?;
    for mark in &feeds {
        let prefecture: madoguchi_domain::Prefecture = mark.prefecture.parse().map_err(|_| {
            BackupError::Differs(format!("a feed of prefecture {:?}", mark.prefecture))
        })?;
        let (mut since, mut read) = (0, 0);
        loop {
            let page = storage.changes(prefecture, since, 500).await?;
            read += page.changes.len() as i64;
            since = page.next_cursor;
            if !page.has_more {
                break;
            }
        }
        if (read, since) != (mark.changes, mark.last_seq) {
            return Err(BackupError::Differs(format!(
                "prefecture {}: {read} changes up to {since} read back",
                mark.prefecture
            )));
        }
    }
    Ok((schema.applied, storage.epoch().await?, storage.table_counts().await?, feeds))
}

/// A scratch folder under the system's temporary folder.
fn tempfile_dir() -> Result<PathBuf, BackupError> {
    let dir = std::env::temp_dir().join(format!("madoguchi-verify-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).map_err(|e| BackupError::io(&dir, e))?;
    Ok(dir)
}

fn checksum(file: &Path) -> Result<(u64, String), BackupError> {
    let mut hasher = Sha256::new();
    let mut f = std::fs::File::open(file).map_err(|e| BackupError::io(file, e))?;
    let bytes = std::io::copy(&mut f, &mut hasher).map_err(|e| BackupError::io(file, e))?;
    let hex = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((bytes, hex))
}

/// Removes the oldest backup folders in `out` beyond the newest `keep`.
fn prune(out: &Path, keep: usize) -> Result<(), BackupError> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(out)
        .map_err(|e| BackupError::io(out, e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_dir()
                && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(PREFIX))
        })
        .collect();
    folders.sort();
    let excess = folders.len().saturating_sub(keep);
    for old in &folders[..excess] {
        std::fs::remove_dir_all(old).map_err(|e| BackupError::io(old, e))?;
        log::info!("backup {} removed (--keep {keep})", old.display());
    }
    Ok(())
}
