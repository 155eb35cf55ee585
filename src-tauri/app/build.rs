/// The commands the webview may call. Each gets an `allow-…` permission, and the capability
/// file grants exactly these: anything else the webview tries is refused by Tauri.
const COMMANDS: &[&str] = &[
    "list_prefectures",
    "get_settings",
    "save_settings",
    "search_institutions",
    "institution_detail",
    "registry_status",
    "pick_registry_file",
    "import_registry",
    "cancel_import",
    "sync_status",
    "sync_now",
    "resync_from_scratch",
    "diagnose_sync",
    "save_server_token",
    "queue_view",
    "queue_entry",
    "vocabulary",
    "preview_notice",
    "decide",
    "bulk_approve",
    "export_queue",
    "export_decisions",
    "saved_views",
    "save_view",
    "delete_view",
    "proxy_apply",
    "application_history",
    "triage_tree",
    "reporting_answer",
    "faq_search",
    "prefecture_settings",
    "save_prefecture_settings",
    "start_call",
    "choose_answer",
    "go_back",
    "pause_call",
    "link_call",
    "finish_call",
    "disclose_login_id",
    "calls_overview",
    "export_calls",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script");
}
