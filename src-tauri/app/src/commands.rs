//! The commands the webview may call (and only these: see `capabilities/main.json` and
//! `build.rs`). Each is one call into the core; errors reach the UI as `UiError` with a
//! stable code, and their detail goes to the log.

use std::path::PathBuf;

use madoguchi_core::calls::{CallLinks, CallsOverview, Disclosed, IdentityChecks};
use madoguchi_core::export::{CsvEncoding, ExportReport};
use madoguchi_core::history::History;
use madoguchi_core::lookup::SearchResult;
use madoguchi_core::mail::MailFacts;
use madoguchi_core::prefecture::{HomeArea, PrefectureDraft};
use madoguchi_core::proxy::ProxyOutcome;
use madoguchi_core::queue::{
    BulkOutcome, NoticePreview, PageRequest, QueueFilter, QueuePage, QueuePosition, QueueRow,
    SavedView,
};
use madoguchi_core::registry::{ImportProgress, ImportReport, RegistryError};
use madoguchi_core::registry::{InstitutionDetail, RegistryStatus};
use madoguchi_core::retention::RetentionView;
use madoguchi_core::settings::DeskSettings;
use madoguchi_core::sync::{DiagnosisStep, SyncOverview, SyncReport};
use madoguchi_core::triage::{FaqHit, ReportingView};
use madoguchi_core::vocabulary::PrefectureView;
use madoguchi_core::{Desk, UiError};
use madoguchi_domain::api::{CallRecord, PrefectureSettings};
use madoguchi_domain::triage::{Outcome, Tree};
use madoguchi_domain::{Action, ApplicationForm};
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};

/// 都道府県の一覧, for the pickers.
#[tauri::command]
pub fn list_prefectures() -> Vec<PrefectureView> {
    madoguchi_core::vocabulary::prefectures()
}

#[tauri::command]
pub async fn get_settings(desk: State<'_, Desk>) -> Result<DeskSettings, UiError> {
    Ok(desk.settings().await?)
}

#[tauri::command]
pub async fn save_settings(desk: State<'_, Desk>, settings: DeskSettings) -> Result<(), UiError> {
    Ok(desk.save_settings(&settings).await?)
}

/// 機関検索: anything typed — code, name, reading, address, postal code, phone.
#[tauri::command]
pub async fn search_institutions(
    desk: State<'_, Desk>,
    query: String,
    limit: Option<usize>,
) -> Result<SearchResult, UiError> {
    Ok(desk.search(&query, limit.unwrap_or(20)).await?)
}

#[tauri::command]
pub async fn institution_detail(
    desk: State<'_, Desk>,
    id: i64,
) -> Result<InstitutionDetail, UiError> {
    Ok(desk.institution(id).await?)
}

#[tauri::command]
pub async fn registry_status(desk: State<'_, Desk>) -> Result<RegistryStatus, UiError> {
    Ok(desk.registry_status().await?)
}

/// Shows a system file dialog and waits for the officer's answer off the main thread (GTK
/// dialogs belong on the main thread). `None` when cancelled.
async fn ask_for_path<R: Runtime>(
    app: &AppHandle<R>,
    dialog: impl FnOnce() -> Option<PathBuf> + Send + 'static,
) -> Option<PathBuf> {
    let (tx, rx) = std::sync::mpsc::channel();
    if let Err(e) = app.run_on_main_thread(move || {
        let _ = tx.send(dialog());
    }) {
        log::error!("file dialog: {e}");
        return None;
    }
    tauri::async_runtime::spawn_blocking(move || rx.recv().ok().flatten()).await.ok().flatten()
}

/// The files the officer chose in the file dialog: the only ones `import_registry` reads,
/// each once (a script in the page cannot name any other file on the PC).
#[derive(Default)]
pub struct Chosen(std::sync::Mutex<std::collections::HashSet<PathBuf>>);

/// Opens the system file dialog for a list file; `None` when the officer cancels.
#[tauri::command]
pub async fn pick_registry_file<R: Runtime>(
    app: AppHandle<R>,
    chosen: State<'_, Chosen>,
) -> Result<Option<PathBuf>, UiError> {
    Ok(pick_csv(&app, &chosen, "取り込む台帳ファイル（CSV）を選んでください").await)
}

/// The CSV the officer picks in the system dialog, remembered as chosen.
async fn pick_csv<R: Runtime>(
    app: &AppHandle<R>,
    chosen: &Chosen,
    title: &'static str,
) -> Option<PathBuf> {
    let picked = ask_for_path(app, move || {
        // End-to-end tests cannot drive a system dialog: a debug build answers with the
        // newest list in the folder they name.
        #[cfg(debug_assertions)]
        if let Some(dir) = std::env::var_os("MADOGUCHI_DEV_PICK_DIR") {
            return newest_csv(std::path::Path::new(&dir));
        }
        rfd::FileDialog::new().set_title(title).add_filter("CSV", &["csv", "CSV"]).pick_file()
    })
    .await;
    if let Some(path) = &picked {
        chosen.0.lock().expect("chosen files").insert(path.clone());
    }
    picked
}

/// Takes `path` off the chosen files: true if the officer chose it in the dialog.
fn was_chosen(chosen: &Chosen, path: &PathBuf) -> bool {
    chosen.0.lock().expect("chosen files").remove(path)
}

#[cfg(debug_assertions)]
fn newest_csv(dir: &std::path::Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")))
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
        .map(|e| e.path())
}

/// Where to save an export: the save dialog, with a dated file name proposed (`ext` its
/// kind: csv, pdf, xlsx).
async fn ask_where_to_save<R: Runtime>(
    app: &AppHandle<R>,
    stem: &str,
    ext: &'static str,
) -> Option<PathBuf> {
    let name = format!("{stem}_{}.{ext}", chrono::Local::now().format("%Y%m%d_%H%M"));
    // End-to-end tests cannot drive a system dialog: a debug build saves into the folder they name.
    #[cfg(debug_assertions)]
    if let Some(dir) = std::env::var_os("MADOGUCHI_DEV_SAVE_DIR") {
        return Some(PathBuf::from(dir).join(name));
    }
    ask_for_path(app, move || {
        rfd::FileDialog::new()
            .set_title(format!("{}の保存先を選んでください", ext.to_uppercase()))
            .set_file_name(name)
            .add_filter(ext.to_uppercase(), &[ext])
            .save_file()
    })
    .await
}

/// 申請キューのCSV出力 (as filtered), through the save dialog; `None` when cancelled.
#[tauri::command]
pub async fn export_queue<R: Runtime>(
    app: AppHandle<R>,
    desk: State<'_, Desk>,
    filter: QueueFilter,
    encoding: CsvEncoding,
) -> Result<Option<ExportReport>, UiError> {
    let Some(path) = ask_where_to_save(&app, "申請キュー", "csv").await else {
        return Ok(None);
    };
    Ok(Some(desk.export_queue(&filter, encoding, &path).await?))
}

/// 判定履歴のCSV出力, through the save dialog; `None` when cancelled.
#[tauri::command]
pub async fn export_decisions<R: Runtime>(
    app: AppHandle<R>,
    desk: State<'_, Desk>,
    encoding: CsvEncoding,
) -> Result<Option<ExportReport>, UiError> {
    let Some(path) = ask_where_to_save(&app, "判定履歴", "csv").await else { return Ok(None) };
    Ok(Some(desk.export_decisions(encoding, &path).await?))
}

/// Imports a list file, reporting progress on `on_progress`; the lookup is rebuilt after.
#[tauri::command]
pub async fn import_registry(
    desk: State<'_, Desk>,
    chosen: State<'_, Chosen>,
    path: PathBuf,
    on_progress: Channel<ImportProgress>,
) -> Result<ImportReport, UiError> {
    if !was_chosen(&chosen, &path) {
        return Err(RegistryError::NotChosen(path.display().to_string()).into());
    }
    Ok(desk
        .import_registry_file(&path, |p| {
            let _ = on_progress.send(p);
        })
        .await?)
}

/// Stops a running import; it rolls back and the previous registry stays.
#[tauri::command]
pub fn cancel_import(desk: State<'_, Desk>) {
    desk.cancel_import();
}

/// オンライン / オフライン, 最終同期, 未送信, 要確認: for the status bar.
#[tauri::command]
pub async fn sync_status(desk: State<'_, Desk>) -> Result<SyncOverview, UiError> {
    Ok(desk.sync_overview().await?)
}

#[tauri::command]
pub async fn sync_now(desk: State<'_, Desk>) -> Result<SyncReport, UiError> {
    Ok(desk.sync_now().await?)
}

#[tauri::command]
pub async fn resync_from_scratch(desk: State<'_, Desk>) -> Result<SyncReport, UiError> {
    Ok(desk.resync_from_scratch().await?)
}

/// 配信の健全性 of the prefecture (設定): the server's mail over the last day and the week.
#[tauri::command]
pub async fn mail_health(
    desk: State<'_, Desk>,
) -> Result<madoguchi_domain::mail_health::MailHealth, UiError> {
    Ok(desk.mail_health().await?)
}

#[tauri::command]
pub async fn diagnose_sync(desk: State<'_, Desk>) -> Result<Vec<DiagnosisStep>, UiError> {
    Ok(desk.diagnose().await)
}

/// Puts the server token into the OS keychain; the webview never reads it back.
#[tauri::command]
pub async fn save_server_token(desk: State<'_, Desk>, token: String) -> Result<(), UiError> {
    Ok(desk.save_server_token(&token).await?)
}

/// The Japanese words for statuses, kinds and reasons.
#[tauri::command]
pub fn vocabulary() -> madoguchi_core::vocabulary::Vocabulary {
    madoguchi_core::vocabulary::vocabulary()
}

/// 申請キュー: the lines in view (and a margin), with the counts and chart over all of them.
#[tauri::command]
pub async fn queue_page(
    desk: State<'_, Desk>,
    filter: QueueFilter,
    request: PageRequest,
) -> Result<QueuePage, UiError> {
    Ok(desk.queue_page(&filter, &request).await?)
}

/// N: the next clean, undecided line after the selected one.
#[tauri::command]
pub async fn queue_next_clear(
    desk: State<'_, Desk>,
    filter: QueueFilter,
    after: Option<i64>,
) -> Result<Option<QueuePosition>, UiError> {
    Ok(desk.queue_next_clear(&filter, after).await?)
}

/// One application with every field and its flags, for the detail pane.
#[tauri::command]
pub async fn queue_entry(desk: State<'_, Desk>, id: i64) -> Result<QueueRow, UiError> {
    Ok(desk.queue_entry(id).await?)
}

/// The exact mail a decision would send.
#[tauri::command]
pub async fn preview_notice(
    desk: State<'_, Desk>,
    id: i64,
    action: Action,
    note: Option<String>,
) -> Result<Option<NoticePreview>, UiError> {
    Ok(desk.preview(id, action, note.as_deref()).await?)
}

/// A decision, through the outbox (works offline; sent at the next sync).
#[tauri::command]
pub async fn decide(
    desk: State<'_, Desk>,
    id: i64,
    action: Action,
    note: Option<String>,
) -> Result<(), UiError> {
    Ok(desk.decide(id, action, note).await?)
}

#[tauri::command]
pub async fn bulk_approve(desk: State<'_, Desk>, ids: Vec<i64>) -> Result<BulkOutcome, UiError> {
    Ok(desk.bulk_approve(&ids).await?)
}

#[tauri::command]
pub async fn saved_views(desk: State<'_, Desk>) -> Result<Vec<SavedView>, UiError> {
    Ok(desk.saved_views().await?)
}

#[tauri::command]
pub async fn save_view(desk: State<'_, Desk>, view: SavedView) -> Result<(), UiError> {
    Ok(desk.save_view(&view).await?)
}

#[tauri::command]
pub async fn delete_view(desk: State<'_, Desk>, name: String) -> Result<(), UiError> {
    Ok(desk.delete_view(&name).await?)
}

/// 代理申請: validated here, then entered on the server.
#[tauri::command]
pub async fn proxy_apply(
    desk: State<'_, Desk>,
    form: ApplicationForm,
) -> Result<ProxyOutcome, UiError> {
    Ok(desk.proxy_apply(&form).await?)
}

/// 履歴: the audit trail of one application and this desk's unsent actions on it.
#[tauri::command]
pub async fn application_history(desk: State<'_, Desk>, id: i64) -> Result<History, UiError> {
    Ok(desk.history(id).await?)
}

/// トラブル対応の手順 (national, with the prefecture's wording), as said to `call`'s caller.
#[tauri::command]
pub async fn triage_tree(desk: State<'_, Desk>, call: Option<String>) -> Result<Tree, UiError> {
    Ok(desk.triage_tree_for(call.as_deref()).await?)
}

/// The 定期報告 window of the caller's scheme against today (JST).
#[tauri::command]
pub async fn reporting_answer(
    desk: State<'_, Desk>,
    call: Option<String>,
) -> Result<ReportingView, UiError> {
    Ok(desk.reporting_answer(call.as_deref()).await?)
}

/// よくある質問: nodes whose text holds every word typed.
#[tauri::command]
pub async fn faq_search(desk: State<'_, Desk>, query: String) -> Result<Vec<FaqHit>, UiError> {
    Ok(desk.faq_search(&query, 20).await?)
}

#[tauri::command]
pub async fn prefecture_settings(
    desk: State<'_, Desk>,
) -> Result<Option<PrefectureSettings>, UiError> {
    Ok(desk.prefecture_settings().await?)
}

/// 管轄: the area of the 保健所 this desk belongs to, where the queue opens.
#[tauri::command]
pub async fn home_area(desk: State<'_, Desk>) -> Result<Option<HomeArea>, UiError> {
    Ok(desk.home_area().await?)
}

/// 定期報告期間, 都道府県版の案内, 保存期間, 窓口の連絡先 and 都道府県の運用, for every
/// desk of the prefecture (synced).
#[tauri::command]
pub async fn save_prefecture_settings(
    desk: State<'_, Desk>,
    draft: PrefectureDraft,
) -> Result<PrefectureSettings, UiError> {
    Ok(desk.save_prefecture_settings(draft).await?)
}

/// 保存期間: the period in force and what this desk has purged.
#[tauri::command]
pub async fn retention(desk: State<'_, Desk>) -> Result<RetentionView, UiError> {
    Ok(desk.retention().await?)
}

/// 対応開始.
#[tauri::command]
pub async fn start_call(desk: State<'_, Desk>) -> Result<CallRecord, UiError> {
    Ok(desk.start_call().await?)
}

/// Takes answer `choice` (0-based) at the call's current node.
#[tauri::command]
pub async fn choose_answer(
    desk: State<'_, Desk>,
    call: String,
    choice: usize,
) -> Result<CallRecord, UiError> {
    Ok(desk.choose(&call, choice).await?)
}

#[tauri::command]
pub async fn go_back(desk: State<'_, Desk>, call: String) -> Result<CallRecord, UiError> {
    Ok(desk.back(&call).await?)
}

/// 保留 (paused = true) and 再開.
#[tauri::command]
pub async fn pause_call(
    desk: State<'_, Desk>,
    call: String,
    paused: bool,
) -> Result<CallRecord, UiError> {
    Ok(desk.pause_call(&call, paused).await?)
}

#[tauri::command]
pub async fn link_call(
    desk: State<'_, Desk>,
    call: String,
    links: CallLinks,
) -> Result<CallRecord, UiError> {
    Ok(desk.link_call(&call, links).await?)
}

/// 配信状況 of the mail a call is about, for the banner above the walk.
#[tauri::command]
pub async fn call_mail_facts(
    desk: State<'_, Desk>,
    call: String,
) -> Result<Option<MailFacts>, UiError> {
    Ok(desk.call_mail_facts(&call).await?)
}

/// 対応終了, with a note (and the outcome, when the walk stopped before an ending).
#[tauri::command]
pub async fn finish_call(
    desk: State<'_, Desk>,
    call: String,
    note: String,
    outcome: Option<Outcome>,
) -> Result<CallRecord, UiError> {
    Ok(desk.finish_call(&call, &note, outcome).await?)
}

/// ログインIDの開示 after the identity checks; the call comes back with the disclosure recorded.
#[tauri::command]
pub async fn disclose_login_id(
    desk: State<'_, Desk>,
    call: String,
    checks: IdentityChecks,
) -> Result<Disclosed, UiError> {
    Ok(desk.disclose_login_id(&call, checks).await?)
}

/// 対応記録: every call and the statistics.
#[tauri::command]
pub async fn calls_overview(desk: State<'_, Desk>) -> Result<CallsOverview, UiError> {
    Ok(desk.calls_overview().await?)
}

/// 対応記録のCSV出力, through the save dialog; `None` when cancelled.
#[tauri::command]
pub async fn export_calls<R: Runtime>(
    app: AppHandle<R>,
    desk: State<'_, Desk>,
    encoding: CsvEncoding,
) -> Result<Option<ExportReport>, UiError> {
    let Some(path) = ask_where_to_save(&app, "対応記録", "csv").await else { return Ok(None) };
    Ok(Some(desk.export_calls(encoding, &path).await?))
}

mod outreach;
pub use outreach::*;
