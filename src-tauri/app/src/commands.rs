//! The commands the webview may call (and only these: see `capabilities/main.json`).
//! Each is one call into the core; errors reach the UI as `UiError` with a stable code.

use madoguchi_core::code_check::{self, CodeCheck};
use madoguchi_core::settings::DeskSettings;
use madoguchi_core::{Store, UiError};
use madoguchi_domain::Prefecture;
use serde::Serialize;
use tauri::State;

#[derive(Debug, Serialize)]
pub struct PrefectureView {
    code: String,
    name: &'static str,
}

/// 都道府県の一覧, for the pickers.
#[tauri::command]
pub fn list_prefectures() -> Vec<PrefectureView> {
    Prefecture::all().map(|p| PrefectureView { code: p.code(), name: p.name_ja() }).collect()
}

/// Checks a typed insurance code; `prefecture` (two digits) completes short forms.
#[tauri::command]
pub fn check_insurance_code(input: String, prefecture: Option<String>) -> Result<CodeCheck, UiError> {
    let prefecture = prefecture.map(|p| p.parse::<Prefecture>()).transpose()?;
    Ok(code_check::check(&input, prefecture))
}

#[tauri::command]
pub async fn get_settings(store: State<'_, Store>) -> Result<DeskSettings, UiError> {
    Ok(store.desk_settings().await?)
}

#[tauri::command]
pub async fn save_settings(store: State<'_, Store>, settings: DeskSettings) -> Result<(), UiError> {
    Ok(store.save_desk_settings(&settings).await?)
}
