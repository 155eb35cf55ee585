//! 機関台帳: the institution lists the desk holds — imported by the officer from the bureaus'
//! code lists and the ナビイ files (`import`), one institution's detail, and the registry's
//! state for the lookup screen.

mod import;
pub(crate) mod listing;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::Serialize;

pub use import::{ImportProgress, ImportReport, RegistryError, SkippedRow};
pub use listing::Listing;

use crate::desk::Desk;
use crate::lookup::InstitutionRow;
use crate::store::{Store, StoreError};

/// The registry at a glance, for the lookup screen's header.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct RegistryStatus {
    pub ready: bool,
    pub institutions: usize,
    pub last_import: Option<ImportSummary>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ts_rs::TS)]
pub struct ImportSummary {
    pub file_name: String,
    pub imported_at: String,
}

/// An institution with everything the detail pane shows.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ts_rs::TS)]
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

impl Store {
    /// The latest import, if any.
    pub async fn last_import(&self) -> Result<Option<ImportSummary>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT file_name, imported_at FROM registry_imports ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(self.pool())
        .await?)
    }

    /// The address the registry lists under an insurance code (an open row first), for the
    /// 保健所 that covers it.
    pub async fn registry_address(&self, digits: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT address FROM institutions WHERE insurance_code = ?1
             ORDER BY closed_import_id IS NOT NULL, id LIMIT 1",
        )
        .bind(digits)
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn institution(&self, id: i64) -> Result<Option<InstitutionDetail>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT i.id, i.source, i.source_key, i.insurance_code, i.kind, i.name, i.kana, i.prefecture,
                    i.municipality_code, i.postal_code, i.address, i.phone, i.closed_import_id IS NOT NULL AS closed,
                    l.file_name AS listed_in, l.imported_at AS listed_at, c.file_name AS closed_in
             FROM institutions i
             JOIN registry_imports l ON l.id = i.import_id
             LEFT JOIN registry_imports c ON c.id = i.closed_import_id
             WHERE i.id = ?1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }
}

impl Desk {
    pub async fn registry_status(&self) -> Result<RegistryStatus, StoreError> {
        let index = self.built_index();
        Ok(RegistryStatus {
            ready: index.is_some(),
            institutions: index.map_or(0, |i| i.len()),
            last_import: self.store().last_import().await?,
        })
    }

    pub async fn institution(&self, id: i64) -> Result<InstitutionDetail, RegistryError> {
        self.store().institution(id).await?.ok_or(RegistryError::NoSuchInstitution(id))
    }

    /// Imports a list file chosen by the officer, then rebuilds the lookup. Only one import
    /// runs at a time; [`Desk::cancel_import`] stops it with nothing applied.
    pub async fn import_registry_file(
        &self,
        path: &Path,
        progress: impl FnMut(ImportProgress) + Send,
    ) -> Result<ImportReport, RegistryError> {
        match local_csv(path) {
            Err(NotLocalCsv::Network) => {
                return Err(RegistryError::NetworkPath(path.display().to_string()))
            }
            Err(NotLocalCsv::NotCsv) => {
                return Err(RegistryError::NotCsv(path.display().to_string()))
            }
            Ok(()) => {}
        }
        let cancel = Arc::new(AtomicBool::new(false));
        {
            let mut running = self.import_cancel.lock().expect("import lock");
            if running.is_some() {
                return Err(RegistryError::ImportRunning);
            }
            *running = Some(cancel.clone());
        }
        let file_name =
            path.file_name().and_then(|n| n.to_str()).unwrap_or("registry.csv").to_owned();
        let total_bytes = std::fs::metadata(path).ok().map(|m| m.len());
        let mut progress = progress;
        let with_total = move |p: ImportProgress| progress(ImportProgress { total_bytes, ..p });
        let result = match std::fs::File::open(path) {
            Ok(file) => self.store().import_registry(file, &file_name, with_total, &cancel).await,
            Err(e) => Err(RegistryError::File(e.into())),
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
}

/// `\\server\share\…`, `//server/share/…` or `\\?\UNC\…`: checked before the path is touched,
/// since even asking whether such a file exists reaches out to the server.
/// Why a file the officer chose is not read as a list.
pub(crate) enum NotLocalCsv {
    /// On a network share: copied to the PC first.
    Network,
    /// Not a .csv file (or gone).
    NotCsv,
}

/// Whether `path` is a CSV file on this PC, as the registry's and 報告状況's imports take.
pub(crate) fn local_csv(path: &Path) -> Result<(), NotLocalCsv> {
    if is_network_path(path) {
        return Err(NotLocalCsv::Network);
    }
    let is_csv =
        path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    match is_csv && path.is_file() {
        true => Ok(()),
        false => Err(NotLocalCsv::NotCsv),
    }
}

pub fn is_network_path(path: &Path) -> bool {
    let text = path.to_string_lossy().replace('/', "\\");
    match text.strip_prefix("\\\\?\\") {
        Some(verbatim) => verbatim.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("UNC\\")),
        None => text.starts_with("\\\\"),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn network_paths_are_told_apart_from_local_ones() {
        for network in
            [r"\\fileserver\share\list.csv", "//fileserver/share/list.csv", r"\\?\UNC\fs\s\l.csv"]
        {
            assert!(super::is_network_path(Path::new(network)), "{network}");
        }
        for local in [
            r"C:\Users\madoguchi\list.csv",
            r"\\?\C:\list.csv",
            "/home/madoguchi/list.csv",
            "list.csv",
        ] {
            assert!(!super::is_network_path(Path::new(local)), "{local}");
        }
    }
}
