//! 窓口端末: the desk's engine as the window uses it — the store, the lookup index kept in step
//! with it, and the import that can be cancelled. The app's commands are one call each into here.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use madoguchi_domain::Coded;
use serde::Serialize;

use crate::keychain::{self, KeychainError, Token};
use crate::lookup::{InstitutionRow, LookupIndex, SearchContext, SearchResult};
use crate::calls::{self, CallError, CallLinks, CallsOverview, Disclosed, IdentityChecks};
use crate::export::{self, CsvEncoding, ExportError, ExportReport};
use madoguchi_domain::api::{CallRecord, PrefectureSettings};
use madoguchi_domain::triage::{Outcome, Overrides, ReportingAnswer, ReportingWindow, Tree, TreeError};
use crate::queue::{notice_preview, queue_table, BulkOutcome, NoticePreview, QueueFilter, QueueList, QueueRow, QueueView, SavedView};
use madoguchi_domain::api::{AuditEntry, FieldError, Receipt};
use madoguchi_domain::{Action, ApplicationForm};
use crate::sync::{SyncClient, SyncConfig, SyncError, SyncReport};
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
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    #[error("cannot read the CA file {0}: {1}")]
    CaFile(String, std::io::Error),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error("a saved view needs a name")]
    ViewName,
    #[error(transparent)]
    Call(#[from] CallError),
    #[error(transparent)]
    Triage(#[from] TreeError),
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
            Self::Sync(e) => e.code(),
            Self::Keychain(e) => e.code(),
            Self::CaFile(..) => "E-SYNC-CA-FILE",
            Self::Export(e) => e.code(),
            Self::ViewName => "E-VIEW-NAME",
            Self::Call(e) => e.code(),
            Self::Triage(e) => e.code(),
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
            Self::Sync(e) => e.message_ja(),
            Self::Keychain(e) => e.message_ja(),
            Self::CaFile(path, _) => format!("ルート証明書ファイル「{path}」を読めません。設定のパスを確認してください。"),
            Self::Export(e) => e.message_ja(),
            Self::ViewName => "ビューの名前を入力してください。".into(),
            Self::Call(e) => e.message_ja(),
            Self::Triage(e) => e.message_ja(),
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

/// The sync state for the status bar: オンライン / オフライン, 未送信, 要確認.
#[derive(Debug, Clone, Serialize)]
pub struct SyncOverview {
    pub configured: bool,
    pub online: bool,
    pub last_sync_at: Option<String>,
    pub last_error: Option<String>,
    pub pending: i64,
    pub rejected: i64,
}

/// What became of a 代理申請: the receipt, or the fields to correct (nothing was stored).
#[derive(Debug, Clone, Serialize)]
pub struct ProxyOutcome {
    pub receipt: Option<Receipt>,
    pub fields: Vec<FieldError>,
}

/// 履歴: an application's audit trail from the server, and what this desk has yet to send.
#[derive(Debug, Clone, Serialize)]
pub struct History {
    pub audit: Vec<AuditEntry>,
    /// Why the server's trail is missing (offline…), in Japanese; the local part still shows.
    pub unavailable: Option<String>,
    pub unsent: Vec<crate::sync::OutboxEntry>,
}

/// One step of 接続診断, in the officer's words.
#[derive(Debug, Clone, Serialize)]
pub struct DiagnosisStep {
    pub step: &'static str,
    pub ok: bool,
    pub detail: String,
}

pub struct Desk {
    store: Store,
    /// Built from the settings and the keychain; `None` until a server is configured.
    sync: RwLock<Option<Arc<SyncClient>>>,
    online: AtomicBool,
    /// Development builds may talk plain http to this PC.
    allow_loopback_http: bool,
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
            import_cancel: Mutex::new(None),
        }
    }

    /// Builds the sync client from the settings and the keychain's token.
    pub async fn connect(&self) -> Result<(), DeskError> {
        *self.sync.write().expect("sync lock") = None;
        let settings = self.store.desk_settings().await?;
        let Some(server_url) = settings.server_url.clone() else { return Ok(()) };
        let ca_pem = match &settings.ca_cert_path {
            Some(path) => Some(std::fs::read(path).map_err(|e| DeskError::CaFile(path.clone(), e))?),
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
    pub async fn save_server_token(&self, token: &str) -> Result<(), DeskError> {
        let settings = self.store.desk_settings().await?;
        let server_url = settings.server_url.ok_or(SyncError::NotConfigured)?;
        keychain::save_token(&server_url, &Token::new(token.trim()))?;
        self.connect().await
    }

    fn client(&self) -> Result<Arc<SyncClient>, DeskError> {
        self.sync.read().expect("sync lock").clone().ok_or(DeskError::Sync(SyncError::NotConfigured))
    }

    /// Push then pull; the outcome sets オンライン / オフライン.
    pub async fn sync_now(&self) -> Result<SyncReport, DeskError> {
        let client = self.client()?;
        let result = self.store.sync(&client).await;
        self.online.store(result.is_ok(), Ordering::Relaxed);
        Ok(result?)
    }

    pub async fn sync_overview(&self) -> Result<SyncOverview, DeskError> {
        let status = self.store.sync_status().await?;
        Ok(SyncOverview {
            configured: self.sync.read().expect("sync lock").is_some(),
            online: self.online.load(Ordering::Relaxed),
            last_sync_at: status.last_sync_at,
            last_error: status.last_error,
            pending: status.pending,
            rejected: status.rejected,
        })
    }

    /// 最初から同期し直す: drops what was pulled (never unsent actions) and pulls it all again.
    pub async fn resync_from_scratch(&self) -> Result<SyncReport, DeskError> {
        self.store.reset_sync().await?;
        self.sync_now().await
    }

    /// 接続診断: settings, token, reachability (TLS included), authorisation — each step said.
    pub async fn diagnose(&self) -> Vec<DiagnosisStep> {
        let mut steps = Vec::new();
        let mut step = |step, result: Result<String, String>| {
            let ok = result.is_ok();
            steps.push(DiagnosisStep { step, ok, detail: result.unwrap_or_else(|e| e) });
            ok
        };
        let settings = match self.store.desk_settings().await {
            Ok(s) => s,
            Err(e) => {
                step("設定", Err(e.message_ja()));
                return steps;
            }
        };
        let Some(url) = settings.server_url else {
            step("サーバーURL", Err(SyncError::NotConfigured.message_ja()));
            return steps;
        };
        step("サーバーURL", Ok(url.clone()));
        if !step("接続トークン", keychain::load_token(&url).map(|_| "OSの資格情報ストアに登録済みです".into()).map_err(|e| e.message_ja())) {
            return steps;
        }
        if let Err(e) = self.connect().await {
            step("接続設定", Err(e.message_ja()));
            return steps;
        }
        let Ok(client) = self.client() else { return steps };
        if !step("サーバーへの接続（HTTPS）", client.health().await.map(|_| "応答があります".into()).map_err(|e| format!("{} {}", e.message_ja(), e))) {
            return steps;
        }
        let auth = self.store.pull(&client).await;
        self.online.store(auth.is_ok(), Ordering::Relaxed);
        step("認証と受信", auth.map(|n| format!("{n}件を受信しました")).map_err(|e| e.message_ja()));
        steps
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

    /// The lookup index, if built; the queue's flags go without registry checks until it is.
    fn built_index(&self) -> Option<Arc<LookupIndex>> {
        self.index.read().expect("index lock").clone()
    }

    fn index(&self) -> Result<Arc<LookupIndex>, DeskError> {
        self.built_index().ok_or(DeskError::IndexNotReady)
    }

    pub fn search(&self, query: &str, limit: usize) -> Result<SearchResult, DeskError> {
        Ok(self.index()?.search(query, SearchContext { limit: limit.clamp(1, 200) }))
    }

    pub async fn registry_status(&self) -> Result<RegistryStatus, DeskError> {
        let index = self.built_index();
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

    /// 申請キュー, flagged against the registry as it stands.
    pub async fn queue(&self, filter: &QueueFilter) -> Result<QueueView, DeskError> {
        let index = self.built_index();
        Ok(self.store.queue(index.as_deref(), filter, chrono::Utc::now()).await?)
    }

    /// The list the window shows: lines without the whole form.
    pub async fn queue_list(&self, filter: &QueueFilter) -> Result<QueueList, DeskError> {
        let index = self.built_index();
        Ok(self.store.queue_list(index.as_deref(), filter, chrono::Utc::now()).await?)
    }

    /// One application with its flags, for the detail pane.
    pub async fn queue_entry(&self, id: i64) -> Result<QueueRow, DeskError> {
        let index = self.built_index();
        Ok(self.store.queue_entry(index.as_deref(), id, chrono::Utc::now()).await?)
    }

    /// The mail `action` would send for application `id`, before the officer confirms.
    pub async fn preview(&self, id: i64, action: Action, note: Option<&str>) -> Result<Option<NoticePreview>, DeskError> {
        let (app, _) = self.store.application(id).await?.ok_or(SyncError::UnknownApplication(id))?;
        let accounts = self.store.known_accounts().await?;
        let login = crate::flags::existing_account(&app, &accounts).map(|a| a.login_id.clone());
        Ok(notice_preview(&app, action, note, login.as_deref()))
    }

    /// Records a decision (or review start) through the outbox: it works offline.
    pub async fn decide(&self, id: i64, action: Action, note: Option<String>) -> Result<(), DeskError> {
        self.store.queue_action(id, action, note.filter(|n| !n.trim().is_empty())).await?;
        Ok(())
    }

    /// 一括承認 of the listed applications that have no flags.
    pub async fn bulk_approve(&self, ids: &[i64]) -> Result<BulkOutcome, DeskError> {
        let view = self.queue(&QueueFilter::default()).await?;
        let rows: Vec<_> = view.rows.into_iter().filter(|r| ids.contains(&r.application.id)).collect();
        Ok(self.store.bulk_approve(&rows).await?)
    }

    /// 代理申請: the same validation as the registration form (here first, so an officer sees
    /// field errors offline too), then the server's intake in the officer's prefecture.
    pub async fn proxy_apply(&self, form: &ApplicationForm) -> Result<ProxyOutcome, DeskError> {
        if let Err(fields) = form.validate() {
            return Ok(ProxyOutcome { receipt: None, fields });
        }
        let client = self.client()?;
        let answer = client.proxy_apply(form).await;
        self.online.store(!matches!(answer, Err(SyncError::Offline(_))), Ordering::Relaxed);
        match answer? {
            Ok(receipt) => {
                log::info!("proxy application {} entered", receipt.id);
                if let Err(e) = self.store.pull(&client).await {
                    log::warn!("pull after a proxy application: {e}");
                }
                Ok(ProxyOutcome { receipt: Some(receipt), fields: Vec::new() })
            }
            Err(refusal) => {
                log::warn!("proxy application refused: {} {}", refusal.code, refusal.message);
                let fields = if refusal.fields.is_empty() {
                    vec![FieldError { field: String::new(), code: refusal.code, message: refusal.message }]
                } else {
                    refusal.fields
                };
                Ok(ProxyOutcome { receipt: None, fields })
            }
        }
    }

    /// 履歴 of application `id`: the server's audit trail when it can be reached, and always
    /// this desk's unsent actions.
    pub async fn history(&self, id: i64) -> Result<History, DeskError> {
        let unsent = self.store.pending_actions().await?.into_iter().filter(|e| e.application_id == id).collect();
        let trail = match self.client() {
            Ok(client) => client.application_detail(id).await.map(|d| d.audit).map_err(DeskError::from),
            Err(e) => Err(e),
        };
        Ok(match trail {
            Ok(audit) => History { audit, unavailable: None, unsent },
            Err(e) => {
                log::warn!("history of {id}: {e}");
                History { audit: Vec::new(), unavailable: Some(e.message_ja()), unsent }
            }
        })
    }

    /// The queue as filtered, to a CSV file for Excel.
    pub async fn export_queue(&self, filter: &QueueFilter, encoding: CsvEncoding, path: &Path) -> Result<ExportReport, DeskError> {
        let view = self.queue(filter).await?;
        Ok(export::write(&queue_table(&view.rows), encoding, path)?)
    }

    /// This desk's decisions, to a CSV file for Excel.
    pub async fn export_decisions(&self, encoding: CsvEncoding, path: &Path) -> Result<ExportReport, DeskError> {
        Ok(export::write(&self.store.decisions_table().await?, encoding, path)?)
    }

    pub async fn saved_views(&self) -> Result<Vec<SavedView>, DeskError> {
        Ok(self.store.saved_views().await?)
    }

    pub async fn save_view(&self, view: &SavedView) -> Result<(), DeskError> {
        if view.name.trim().is_empty() {
            return Err(DeskError::ViewName);
        }
        Ok(self.store.save_view(view).await?)
    }

    pub async fn delete_view(&self, name: &str) -> Result<(), DeskError> {
        Ok(self.store.delete_view(name).await?)
    }

    /// The tree this desk walks: national, with the prefecture's wording if it set any.
    pub async fn triage_tree(&self) -> Result<Tree, DeskError> {
        let national = Tree::national();
        let Some(settings) = self.store.prefecture_settings().await? else { return Ok(national.clone()) };
        match national.clone().with_overrides(&settings.prefecture.code(), &settings.triage_overrides) {
            Ok(tree) => Ok(tree),
            Err(e) => {
                log::warn!("prefecture wording not applied: {e}");
                Ok(national.clone())
            }
        }
    }

    /// The 定期報告 window against today's date in Japan.
    pub async fn reporting_answer(&self) -> Result<ReportingAnswer, DeskError> {
        let window = self.store.prefecture_settings().await?.and_then(|s| s.reporting_window);
        let today = chrono::Utc::now().with_timezone(&calls::JST).date_naive();
        Ok(ReportingAnswer::of(window, today))
    }

    pub async fn prefecture_settings(&self) -> Result<Option<PrefectureSettings>, DeskError> {
        Ok(self.store.prefecture_settings().await?)
    }

    /// Sets the 定期報告 window and 都道府県版 wording for every desk of the prefecture.
    pub async fn save_prefecture_settings(&self, window: Option<ReportingWindow>, overrides: Overrides) -> Result<PrefectureSettings, DeskError> {
        Tree::national().check_overrides(&overrides)?;
        Ok(self.store.save_prefecture_settings(window, overrides, &self.desk_name().await?, chrono::Utc::now()).await?)
    }

    async fn desk_name(&self) -> Result<String, DeskError> {
        Ok(self.store.desk_settings().await?.desk_name.unwrap_or_else(|| "desk".into()))
    }

    pub async fn start_call(&self) -> Result<CallRecord, DeskError> {
        let tree = self.triage_tree().await?;
        Ok(self.store.start_call(&tree, &self.desk_name().await?, chrono::Utc::now()).await?)
    }

    pub async fn choose(&self, call: &str, choice: usize) -> Result<CallRecord, DeskError> {
        let tree = self.triage_tree().await?;
        Ok(self.store.choose(&tree, call, choice, chrono::Utc::now()).await?)
    }

    pub async fn back(&self, call: &str) -> Result<CallRecord, DeskError> {
        Ok(self.store.back(call, chrono::Utc::now()).await?)
    }

    pub async fn pause_call(&self, call: &str, paused: bool) -> Result<CallRecord, DeskError> {
        Ok(self.store.pause_call(call, paused, chrono::Utc::now()).await?)
    }

    pub async fn link_call(&self, call: &str, links: CallLinks) -> Result<CallRecord, DeskError> {
        Ok(self.store.link_call(call, links, chrono::Utc::now()).await?)
    }

    pub async fn finish_call(&self, call: &str, note: &str, outcome: Option<Outcome>) -> Result<CallRecord, DeskError> {
        Ok(self.store.finish_call(call, note, outcome, chrono::Utc::now()).await?)
    }

    pub async fn disclose_login_id(&self, call: &str, checks: IdentityChecks) -> Result<Disclosed, DeskError> {
        Ok(self.store.disclose_login_id(call, checks, &self.desk_name().await?, chrono::Utc::now()).await?)
    }

    /// Every call the desk holds and their statistics, read once.
    pub async fn calls_overview(&self) -> Result<CallsOverview, DeskError> {
        let calls = self.store.calls().await?;
        Ok(CallsOverview { stats: calls::stats(&calls), calls })
    }

    /// 対応記録のCSV出力.
    pub async fn export_calls(&self, encoding: CsvEncoding, path: &Path) -> Result<ExportReport, DeskError> {
        Ok(export::write(&calls::calls_table(&self.store.calls().await?), encoding, path)?)
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
        if (&before.server_url, &before.ca_cert_path, &before.proxy_url, &before.desk_name)
            != (&settings.server_url, &settings.ca_cert_path, &settings.proxy_url, &settings.desk_name)
        {
            // A server without a token yet is not an error here; the status bar says so.
            if let Err(e) = self.connect().await {
                log::warn!("sync not connected after settings change: {e}");
            }
        }
        Ok(())
    }
}
