//! 機関検索: finding an institution from whatever the caller has — a code with a slip, a name
//! said aloud, a reading, an address, a postal code, a phone number. The index (`index`) is
//! built in memory from the store's registry and answers store ids; the hits' rows (`hit`)
//! are read from the store.

mod build;
mod bytes;
mod fields;
pub(crate) mod hit;
pub mod index;
mod keys;
mod postings;
pub(crate) mod saved;

use std::collections::HashMap;
use std::sync::Arc;

use futures::TryStreamExt;
use madoguchi_domain::Code;
use madoguchi_domain::{Coded, InstitutionKind, Prefecture};

pub use hit::{Hit, InstitutionRow, MatchReason, SearchContext, SearchResult};
pub use index::LookupIndex;
use saved::Stamp;

use crate::desk::Desk;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("the lookup index is still being built")]
    IndexNotReady,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Coded for LookupError {
    fn code(&self) -> Code {
        match self {
            Self::IndexNotReady => Code::LookupNotReady,
            Self::Store(e) => e.code(),
        }
    }
}

/// What a blocking task returned; its panic, if it panicked, goes on here.
fn joined<T>(result: Result<T, tokio::task::JoinError>) -> T {
    result.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// Where the lookup came from when the desk started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexOpened {
    /// The last run's saved index, still the registry's.
    Saved,
    /// Built from the store (no saved index, or one of another registry, version or prefecture).
    Built,
}

impl Store {
    /// What an index built now is built from.
    async fn lookup_stamp(&self) -> Result<Stamp, StoreError> {
        let (last_import, institutions): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT coalesce(max(id), 0) FROM registry_imports),
                    (SELECT count(*) FROM institutions)",
        )
        .fetch_one(self.pool())
        .await?;
        let home = self.desk_settings().await?.prefecture;
        Ok(Stamp { last_import, institutions, home })
    }

    /// The index for this desk, its prefecture (from 設定) ranked first.
    pub async fn lookup_index(&self) -> Result<LookupIndex, StoreError> {
        let home = self.desk_settings().await?.prefecture;
        self.build_lookup_index(home).await
    }

    /// Every institution, open and closed, read as a stream (the rows are never all held at
    /// once) and folded a chunk at a time on the blocking threads while the next chunk is
    /// read; the build itself runs there too, off the desk's async threads.
    async fn build_lookup_index(
        &self,
        home: Option<Prefecture>,
    ) -> Result<LookupIndex, StoreError> {
        const CHUNK: usize = 8192;
        let mut rows = sqlx::query_as::<_, build::IndexRow>(
            "SELECT id, insurance_code, name, kana, prefecture, postal_code, address, phone,
                    closed_import_id IS NOT NULL AS closed
             FROM institutions",
        )
        .fetch(self.pool());
        let fold = |chunk: Vec<build::IndexRow>| {
            tokio::task::spawn_blocking(move || {
                chunk.into_iter().map(|row| build::Pending::new(row, home)).collect::<Vec<_>>()
            })
        };
        let (mut folding, mut chunk) = (Vec::new(), Vec::with_capacity(CHUNK));
        while let Some(row) = rows.try_next().await? {
            chunk.push(row);
            if chunk.len() == CHUNK {
                folding.push(fold(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK))));
            }
        }
        folding.push(fold(chunk));
        let mut pending = Vec::new();
        for folded in folding {
            pending.extend(joined(folded.await));
        }
        Ok(joined(tokio::task::spawn_blocking(move || LookupIndex::build(pending, home)).await))
    }

    /// `query` searched in `index`, with the rows of the hits read from the store.
    pub async fn search(
        &self,
        index: &LookupIndex,
        query: &str,
        ctx: SearchContext,
    ) -> Result<SearchResult, StoreError> {
        let found = index.search(query, ctx);
        let ids: Vec<i64> = found.hits.iter().map(|(id, _)| *id).collect();
        let mut rows: HashMap<i64, InstitutionRow> = sqlx::query_as::<_, InstitutionRow>(&format!(
            "SELECT {} FROM institutions WHERE id IN (SELECT value FROM json_each(?1))",
            InstitutionRow::COLUMNS
        ))
        .bind(serde_json::to_string(&ids).expect("ids"))
        .fetch_all(self.pool())
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
        // (A row gone since the build — a registry being replaced — is left out.)
        let hits = found
            .hits
            .into_iter()
            .filter_map(|(id, reason)| {
                let institution = rows.remove(&id)?;
                Some(Hit {
                    kind_ja: institution
                        .kind
                        .as_deref()
                        .and_then(InstitutionKind::from_key)
                        .map(InstitutionKind::name_ja),
                    institution,
                    reason_ja: reason.label_ja(),
                    reason,
                })
            })
            .collect();
        Ok(SearchResult { hits, indexed: index.len(), code_check: found.code_check })
    }
}

impl Desk {
    /// Makes the lookup ready when the desk starts: the index saved by the last run when it
    /// was built from the registry as it stands, else a new build.
    pub async fn open_index(&self) -> Result<IndexOpened, StoreError> {
        if let Some(file) = self.index_file() {
            let started = std::time::Instant::now();
            let stamp = self.store().lookup_stamp().await?;
            // (50 MB read and checked: on a blocking thread, not the desk's async ones.)
            let file = file.to_owned();
            match joined(tokio::task::spawn_blocking(move || LookupIndex::load(&file, stamp)).await)
            {
                Ok(index) => {
                    let seconds = started.elapsed().as_secs_f64();
                    log::info!(
                        "lookup index: {} institutions loaded in {seconds:.2} s",
                        index.len()
                    );
                    self.set_index(Arc::new(index));
                    return Ok(IndexOpened::Saved);
                }
                Err(e) => log::info!("lookup index not loaded ({e}): building it"),
            }
        }
        self.rebuild_index().await?;
        Ok(IndexOpened::Built)
    }

    /// Builds the lookup index from the store and swaps it in; then saves it for the next start
    /// (a failure to save costs the next start a build, nothing else) and searches the saved
    /// file in its place, so the built arrays' memory is given back.
    pub async fn rebuild_index(&self) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        let stamp = self.store().lookup_stamp().await?;
        let index = Arc::new(self.store().build_lookup_index(stamp.home).await?);
        let seconds = started.elapsed().as_secs_f64();
        log::info!("lookup index: {} institutions built in {seconds:.2} s", index.len());
        // The index it replaces lets go of its file first (Windows replaces no mapped file).
        self.set_index(index.clone());
        if let Some(file) = self.index_file() {
            let file = file.to_owned();
            let saved = tokio::task::spawn_blocking(move || {
                index.save(&file, stamp)?;
                LookupIndex::load(&file, stamp).map_err(std::io::Error::other)
            });
            match joined(saved.await) {
                Ok(saved) => self.set_index(Arc::new(saved)),
                Err(e) => log::warn!("lookup index not saved: {e}"),
            }
        }
        // The build's scratch (rows read, folded, sorted) is freed: give it back.
        crate::memory::give_back();
        Ok(())
    }

    /// 機関検索 over the index as last built.
    pub async fn search(&self, query: &str, limit: usize) -> Result<SearchResult, LookupError> {
        let index = self.built_index().ok_or(LookupError::IndexNotReady)?;
        let ctx = SearchContext { limit: limit.clamp(1, 200) };
        Ok(self.store().search(&index, query, ctx).await?)
    }
}
