//! 窓口端末: the desk's engine as the window uses it — the store, the lookup index kept in step
//! with it, and the import that can be cancelled. The app's commands are one call each into here.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use madoguchi_domain::Coded;
use serde::Serialize;

use crate::lookup::{InstitutionRow, LookupIndex, SearchContext, SearchResult};
use crate::registry::{ImportProgress, ImportReport, RegistryError};
use crate::settings::DeskSettings;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("not a CSV file: {0}")]
    NotCsv(String),
    #[error("another import is running")]
    ImportRunning,
    #[error("the lookup index is still being built")]
    IndexNotReady,
    #[error("no institution {0}")]
    NoSuchInstitution(i64),
}

impl Coded for DeskError {
    fn code(&self) -> &'static str {
        match self {
            Self::Store(e) => e.code(),
            Self::Registry(e) => e.code(),
            Self::NotCsv(_) => "E-IMPORT-NOT-CSV",
            Self::ImportRunning => "E-IMPORT-BUSY",
            Self::IndexNotReady => "E-LOOKUP-NOT-READY",
            Self::NoSuchInstitution(_) => "E-LOOKUP-NOT-FOUND",
        }
    }
    fn message_ja(&self) -> String {
        match self {
            Self::Store(e) => e.message_ja(),
            Self::Registry(e) => e.message_ja(),
            Self::NotCsv(_) => "CSVファイル（拡張子 .csv）を選んでください。".into(),
            Self::ImportRunning => "ほかの取り込みが実行中です。終わってからもう一度お試しください。".into(),
            Self::IndexNotReady => "機関検索の準備中です。数秒後にもう一度お試しください。".into(),
            Self::NoSuchInstitution(_) => "この機関は台帳にありません。台帳が取り込み直された可能性があります。".into(),
        }
    }
}

/// The registry at a glance, for the lookup screen's header.
#[derive(Debug, Clone, Serialize)]
pub struct RegistryStatus {
    pub ready: bool,
    pub institutions: usize,
    pub last_import: Option<ImportSummary>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ImportSummary {
    pub file_name: String,
    pub imported_at: String,
}

/// An institution with everything the detail pane shows.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct InstitutionDetail {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub institution: InstitutionRow,
    pub municipality_code: Option<String>,
    /// The import that last listed it.
    pub listed_in: String,
    pub listed_at: String,
    /// The import that no longer listed it, if any.
    pub closed_in: Option<String>,
}

pub struct Desk {
    store: Store,
    /// `None` while the index is built (at start-up, after an import, after a settings change).
    index: RwLock<Option<Arc<LookupIndex>>>,
    import_cancel: Mutex<Option<Arc<AtomicBool>>>,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk").finish_non_exhaustive()
    }
}

impl Desk {
    /// A desk over `store`; call [`Desk::rebuild_index`] to make the lookup ready.
    pub fn new(store: Store) -> Self {
        Self { store, index: RwLock::new(None), import_cancel: Mutex::new(None) }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Builds the lookup index from the store and swaps it in.
    pub async fn rebuild_index(&self) -> Result<(), DeskError> {
        let started = std::time::Instant::now();
        let index = self.store.lookup_index().await?;
        log::info!("lookup index: {} institutions in {:.2} s", index.len(), started.elapsed().as_secs_f64());
        *self.index.write().expect("index lock") = Some(Arc::new(index));
        Ok(())
    }

    fn index(&self) -> Result<Arc<LookupIndex>, DeskError> {
        self.index.read().expect("index lock").clone().ok_or(DeskError::IndexNotReady)
    }

    pub fn search(&self, query: &str, limit: usize) -> Result<SearchResult, DeskError> {
        Ok(self.index()?.search(query, SearchContext { limit: limit.clamp(1, 200) }))
    }

    pub async fn registry_status(&self) -> Result<RegistryStatus, DeskError> {
        let index = self.index.read().expect("index lock").clone();
        let last_import = sqlx::query_as(
            "SELECT file_name, imported_at FROM registry_imports ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(self.store.pool())
        .await
        .map_err(StoreError::from)?;
        Ok(RegistryStatus {
            ready: index.is_some(),
            institutions: index.map_or(0, |i| i.len()),
            last_import,
        })
    }

    pub async fn institution(&self, id: i64) -> Result<InstitutionDetail, DeskError> {
        sqlx::query_as(
            "SELECT i.id, i.source, i.source_key, i.insurance_code, i.kind, i.name, i.kana, i.prefecture,
                    i.municipality_code, i.postal_code, i.address, i.phone, i.closed_import_id IS NOT NULL AS closed,
                    l.file_name AS listed_in, l.imported_at AS listed_at, c.file_name AS closed_in
             FROM institutions i
             JOIN registry_imports l ON l.id = i.import_id
             LEFT JOIN registry_imports c ON c.id = i.closed_import_id
             WHERE i.id = ?1",
        )
        .bind(id)
        .fetch_optional(self.store.pool())
        .await
        .map_err(StoreError::from)?
        .ok_or(DeskError::NoSuchInstitution(id))
    }

    /// Imports a list file chosen by the officer, then rebuilds the lookup. Only one import
    /// runs at a time; [`Desk::cancel_import`] stops it with nothing applied.
    pub async fn import_registry_file(
        &self,
        path: &Path,
        progress: impl FnMut(ImportProgress) + Send,
    ) -> Result<ImportReport, DeskError> {
        let is_csv = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if !is_csv || !path.is_file() {
            return Err(DeskError::NotCsv(path.display().to_string()));
        }
        let cancel = Arc::new(AtomicBool::new(false));
        {
            let mut running = self.import_cancel.lock().expect("import lock");
            if running.is_some() {
                return Err(DeskError::ImportRunning);
            }
            *running = Some(cancel.clone());
        }
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("registry.csv").to_owned();
        let total_bytes = std::fs::metadata(path).ok().map(|m| m.len());
        let mut progress = progress;
        let with_total = move |p: ImportProgress| progress(ImportProgress { total_bytes, ..p });
        let result = match std::fs::File::open(path) {
            Ok(file) => self.store.import_registry(file, &file_name, with_total, &cancel).await.map_err(DeskError::from),
            Err(e) => Err(RegistryError::File(e.into()).into()),
        };
        *self.import_cancel.lock().expect("import lock") = None;
        let report = result?;
        self.rebuild_index().await?;
        Ok(report)
    }

    /// Stops the running import, if any; it rolls back.
    pub fn cancel_import(&self) {
        if let Some(flag) = self.import_cancel.lock().expect("import lock").as_ref() {
            flag.store(true, Ordering::Relaxed);
        }
    }

    pub async fn settings(&self) -> Result<DeskSettings, DeskError> {
        Ok(self.store.desk_settings().await?)
    }

    /// Saves the settings; a new prefecture re-ranks the lookup, so the index is rebuilt.
    pub async fn save_settings(&self, settings: &DeskSettings) -> Result<(), DeskError> {
        let before = self.store.desk_settings().await?;
        self.store.save_desk_settings(settings).await?;
        if before.prefecture != settings.prefecture {
            self.rebuild_index().await?;
        }
        Ok(())
    }
}
