//! 窓口端末: the desk's state and lifecycle — the store, the sync client built from the
//! settings and the keychain, the lookup index kept in step with the registry, and the
//! queue's cache. Each capability adds its own `impl Desk` beside its rules (`queue`,
//! `calls`, `registry`, `sync`…); the app's commands are one call each into those.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::keychain::{self, Token};
use crate::lookup::index::LookupIndex;
use crate::queue::cache::QueueCache;
use crate::settings::DeskSettings;
use crate::store::{Store, StoreError};
use crate::sync::client::{SyncClient, SyncConfig};
use crate::sync::error::SyncError;

pub struct Desk {
    store: Store,
    /// Built from the settings and the keychain; `None` until a server is configured.
    sync: RwLock<Option<Arc<SyncClient>>>,
    online: AtomicBool,
    /// Development builds may talk plain http to this PC.
    allow_loopback_http: bool,
    /// `None` while the index is built (at start-up, after an import, after a settings change).
    index: RwLock<Option<Arc<LookupIndex>>>,
    /// Where the index is saved between runs (beside the store); none for a desk made over a
    /// bare store.
    index_file: Option<std::path::PathBuf>,
    /// Set while a registry import runs; raising it cancels the import.
    pub(crate) import_cancel: Mutex<Option<Arc<AtomicBool>>>,
    /// The queue as last read and flagged.
    pub(crate) queue_cache: QueueCache,
    /// How the store opened (encrypted for the first time, set aside): said to the officer.
    opened: crate::vault::Opened,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk").finish_non_exhaustive()
    }
}

impl Desk {
    /// A desk over `store`; call [`Desk::open_index`] to make the lookup ready.
    pub fn new(store: Store) -> Self {
        Self::with_http_to_loopback(store, false)
    }

    /// A desk that may also use plain http to 127.0.0.1 (development builds only).
    pub fn with_http_to_loopback(store: Store, allow_loopback_http: bool) -> Self {
        Self {
            store,
            sync: RwLock::new(None),
            online: AtomicBool::new(false),
            allow_loopback_http,
            index: RwLock::new(None),
            index_file: None,
            import_cancel: Mutex::new(None),
            queue_cache: QueueCache::default(),
            opened: crate::vault::Opened::Ready,
        }
    }

    /// The desk over its encrypted store at `path` (see [`crate::vault`]).
    pub async fn open(
        path: &std::path::Path,
        allow_loopback_http: bool,
    ) -> Result<Self, StoreError> {
        let (store, opened) = Store::open_encrypted(path).await?;
        Ok(Self {
            opened,
            index_file: Some(path.with_extension("lookup")),
            ..Self::with_http_to_loopback(store, allow_loopback_http)
        })
    }

    /// What the officer should know about how the store opened, if anything.
    pub fn store_notice(&self) -> Option<String> {
        self.opened.notice_ja()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Builds the sync client from the settings and the keychain's token.
    pub async fn connect(&self) -> Result<(), SyncError> {
        *self.sync.write().expect("sync lock") = None;
        let settings = self.store.desk_settings().await?;
        let Some(server_url) = settings.server_url.clone() else { return Ok(()) };
        let ca_pem = match &settings.ca_cert_path {
            Some(path) => {
                Some(std::fs::read(path).map_err(|e| SyncError::CaFile(path.clone(), e))?)
            }
            None => None,
        };
        let config = SyncConfig {
            server_url: server_url.clone(),
            ca_pem,
            proxy_url: settings.proxy_url.clone(),
            allow_loopback_http: self.allow_loopback_http,
            desk_name: settings.desk_name.clone().unwrap_or_default(),
        };
        let token = keychain::load_token(&server_url)?;
        let client = SyncClient::new(&config, token)?;
        *self.sync.write().expect("sync lock") = Some(Arc::new(client));
        log::info!("sync client ready for {server_url}");
        Ok(())
    }

    /// Keeps the server token in the OS keychain (never in the store) and reconnects.
    pub async fn save_server_token(&self, token: &str) -> Result<(), SyncError> {
        let settings = self.store.desk_settings().await?;
        let server_url = settings.server_url.ok_or(SyncError::NotConfigured)?;
        keychain::save_token(&server_url, &Token::new(token.trim()))?;
        self.connect().await
    }

    /// The sync client, once a server and its token are set.
    pub(crate) fn client(&self) -> Result<Arc<SyncClient>, SyncError> {
        self.sync.read().expect("sync lock").clone().ok_or(SyncError::NotConfigured)
    }

    pub(crate) fn set_online(&self, online: bool) {
        self.online.store(online, Ordering::Relaxed);
    }

    pub(crate) fn is_online(&self) -> bool {
        self.online.load(Ordering::Relaxed)
    }

    /// Swaps in a new lookup index; searches under way finish on the old one.
    pub(crate) fn set_index(&self, index: Arc<LookupIndex>) {
        *self.index.write().expect("index lock") = Some(index);
    }

    pub(crate) fn index_file(&self) -> Option<&std::path::Path> {
        self.index_file.as_deref()
    }

    /// The lookup index, if built; the queue's flags go without registry checks until it is.
    pub(crate) fn built_index(&self) -> Option<Arc<LookupIndex>> {
        self.index.read().expect("index lock").clone()
    }

    /// The name this desk signs its actions and records with.
    pub(crate) async fn desk_name(&self) -> Result<String, StoreError> {
        Ok(self.store.desk_settings().await?.desk_name.unwrap_or_else(|| "desk".into()))
    }

    pub async fn settings(&self) -> Result<DeskSettings, StoreError> {
        self.store.desk_settings().await
    }

    /// Saves the settings; a new prefecture re-ranks the lookup, so the index is rebuilt, and
    /// a new server, CA, proxy or name rebuilds the sync client.
    pub async fn save_settings(&self, settings: &DeskSettings) -> Result<(), StoreError> {
        let before = self.store.desk_settings().await?;
        self.store.save_desk_settings(settings).await?;
        if before.prefecture != settings.prefecture {
            self.rebuild_index().await?;
        }
        let link = |s: &DeskSettings| {
            (s.server_url.clone(), s.ca_cert_path.clone(), s.proxy_url.clone(), s.desk_name.clone())
        };
        if link(&before) != link(settings) {
            // A server without a token yet is not an error here; the status bar says so.
            if let Err(e) = self.connect().await {
                log::warn!("sync not connected after settings change: {e}");
            }
        }
        Ok(())
    }
}
