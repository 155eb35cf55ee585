//! What the registry's, outreach's and letters' tests share: the real snapshots and a fresh
//! store (each test crate uses its part).
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use madoguchi_core::registry::{ImportReport, RegistryError};
use madoguchi_core::Store;

fn snapshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/institution-codes")
        .join(name)
}

pub fn snapshot(name: &str) -> Vec<u8> {
    let path = snapshot_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub async fn import(
    store: &Store,
    bytes: Vec<u8>,
    name: &str,
) -> Result<ImportReport, RegistryError> {
    store.import_registry(std::io::Cursor::new(bytes), name, |_| {}, &AtomicBool::new(false)).await
}

pub async fn fresh_store(dir: &tempfile::TempDir) -> Store {
    Store::open(&dir.path().join("desk.db")).await.unwrap()
}
