//! Outreach's commands: カバー状況 and the list behind each number, 報告状況's import, 要連絡
//! and 連絡記録, reminder previews, letters and the 差込印刷 list. Each one call into the core.

use std::path::PathBuf;

use madoguchi_core::export::{CsvEncoding, ExportReport};
use madoguchi_core::letters::LetterReport;
use madoguchi_core::outreach::reminders::MailedReport;
use madoguchi_core::outreach::reports::ReportImport;
use madoguchi_core::outreach::worklist::{Worklist, WorklistFilter};
use madoguchi_core::outreach::{CoverageEntry, CoverageFilter};
use madoguchi_core::registry::RegistryError;
use madoguchi_core::{Desk, UiError};
use madoguchi_domain::api::CallRecord;
use madoguchi_domain::outreach::Coverage;
use madoguchi_domain::reminder::{Filled, ReminderKind};
use madoguchi_domain::worklist::{ContactChannel, ContactOutcome, ContactRecord};
use tauri::{AppHandle, Runtime, State};

use super::{ask_where_to_save, pick_csv, was_chosen, Chosen};

/// カバー状況 of the desk's prefecture.
#[tauri::command]
pub async fn coverage(desk: State<'_, Desk>) -> Result<Coverage, UiError> {
    Ok(desk.coverage().await?)
}

/// The institutions behind one number.
#[tauri::command]
pub async fn coverage_list(
    desk: State<'_, Desk>,
    filter: CoverageFilter,
) -> Result<Vec<CoverageEntry>, UiError> {
    Ok(desk.coverage_list(&filter).await?)
}

/// The list behind a number as CSV, through the save dialog; `None` when cancelled.
#[tauri::command]
pub async fn export_coverage_list<R: Runtime>(
    app: AppHandle<R>,
    desk: State<'_, Desk>,
    filter: CoverageFilter,
    encoding: CsvEncoding,
) -> Result<Option<ExportReport>, UiError> {
    let Some(path) = ask_where_to_save(&app, "カバー状況", "csv").await else {
        return Ok(None);
    };
    Ok(Some(desk.export_coverage_list(&filter, encoding, &path).await?))
}

#[tauri::command]
pub async fn pick_report_file<R: Runtime>(
    app: AppHandle<R>,
    chosen: State<'_, Chosen>,
) -> Result<Option<PathBuf>, UiError> {
    Ok(pick_csv(&app, &chosen, "取り込む報告状況ファイル（CSV）を選んでください").await)
}

/// Imports a 報告状況 file chosen in the dialog: every row good, or nothing.
#[tauri::command]
pub async fn import_reports(
    desk: State<'_, Desk>,
    chosen: State<'_, Chosen>,
    path: PathBuf,
) -> Result<ReportImport, UiError> {
    if !was_chosen(&chosen, &path) {
        return Err(RegistryError::NotChosen(path.display().to_string()).into());
    }
    Ok(desk.import_reports_file(&path).await?)
}

/// 要連絡: counts per reason and the entries asked for.
#[tauri::command]
pub async fn worklist(desk: State<'_, Desk>, filter: WorklistFilter) -> Result<Worklist, UiError> {
    Ok(desk.worklist(&filter).await?)
}

#[tauri::command]
pub async fn take_contact(desk: State<'_, Desk>, id: String) -> Result<ContactRecord, UiError> {
    Ok(desk.take_contact(&id).await?)
}

#[tauri::command]
pub async fn release_contact(desk: State<'_, Desk>, id: String) -> Result<ContactRecord, UiError> {
    Ok(desk.release_contact(&id).await?)
}

/// 連絡した: one contact made or tried.
#[tauri::command]
pub async fn record_contact(
    desk: State<'_, Desk>,
    id: String,
    channel: ContactChannel,
    outcome: ContactOutcome,
    note: String,
    call_id: Option<String>,
) -> Result<ContactRecord, UiError> {
    Ok(desk.record_contact(&id, channel, outcome, &note, call_id).await?)
}

/// 電話する: takes the entry and opens a call logged against it.
#[tauri::command]
pub async fn start_contact_call(desk: State<'_, Desk>, id: String) -> Result<CallRecord, UiError> {
    Ok(desk.start_contact_call(&id).await?)
}

/// The reminder one entry's institution would receive, exactly.
#[tauri::command]
pub async fn reminder_preview(
    desk: State<'_, Desk>,
    id: String,
    kind: ReminderKind,
) -> Result<Filled, UiError> {
    Ok(desk.reminder_preview(&id, kind).await?)
}

/// Letters to the chosen entries, as one PDF through the save dialog; `None` when cancelled.
#[tauri::command]
pub async fn make_letters<R: Runtime>(
    app: AppHandle<R>,
    desk: State<'_, Desk>,
    ids: Vec<String>,
    kind: ReminderKind,
) -> Result<Option<LetterReport>, UiError> {
    let stem = format!("{}_郵送", kind.name_ja());
    let Some(path) = ask_where_to_save(&app, &stem, "pdf").await else { return Ok(None) };
    Ok(Some(desk.make_letters(&ids, kind, &path).await?))
}

/// Mails the reminder to the chosen entries' institutions through the server (the window
/// asked the officer to confirm the count first).
#[tauri::command]
pub async fn send_reminders(
    desk: State<'_, Desk>,
    ids: Vec<String>,
    kind: ReminderKind,
) -> Result<MailedReport, UiError> {
    Ok(desk.send_reminders(&ids, kind).await?)
}

/// The chosen entries as the 差込印刷 list (.xlsx), through the save dialog.
#[tauri::command]
pub async fn make_mail_merge<R: Runtime>(
    app: AppHandle<R>,
    desk: State<'_, Desk>,
    ids: Vec<String>,
) -> Result<Option<LetterReport>, UiError> {
    let Some(path) = ask_where_to_save(&app, "差込印刷", "xlsx").await else { return Ok(None) };
    Ok(Some(desk.make_mail_merge(&ids, &path).await?))
}
