//! The Madoguchi window: a thin Tauri shell over `madoguchi-core`.
//!
//! This crate owns the window, logging, the database's location and the list of commands the
//! webview may call. Every command body is one call into the core.
//!
//! The store is encrypted (SQLCipher, see `madoguchi_core::vault`) and the core opens it:
//! tauri-plugin-sql cannot pass the key (its connection strings take no `PRAGMA key`), so it
//! is no longer used.

mod commands;

use madoguchi_core::Desk;
use tauri::{Manager, Runtime};

/// The store's file name, in the local (never the roaming) app-data folder: on Windows
/// %LOCALAPPDATA%\jp.madoguchi.desk, so it does not travel with a roaming profile.
const DB_FILE: &str = "madoguchi.db";

/// The webview's commands by name, and their handler, from the one list.
macro_rules! commands {
    ($($name:ident),* $(,)?) => {
        /// Every command the webview may call, by name.
        pub const COMMANDS: &[&str] = &[$(stringify!($name)),*];

        /// Registers the app's commands: shared by the real app and the command tests.
        pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
            builder.invoke_handler(tauri::generate_handler![$(commands::$name),*])
        }
    };
}
include!("command_list.rs");

/// Where the store lives: the local app-data folder. A store left in the config folder by
/// earlier versions (tauri-plugin-sql put it there: roaming on Windows) is moved first.
fn store_path<R: Runtime>(
    app: &tauri::App<R>,
) -> Result<std::path::PathBuf, Box<dyn std::error::Error>> {
    let dir = app.path().app_local_data_dir()?;
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(DB_FILE);
    let old = app.path().app_config_dir()?.join(DB_FILE);
    if !path.exists() && old.exists() {
        for suffix in ["", "-wal", "-shm"] {
            let from = old.with_file_name(format!("{DB_FILE}{suffix}"));
            if from.exists() {
                std::fs::rename(&from, dir.join(format!("{DB_FILE}{suffix}")))?;
            }
        }
        log::info!("store moved from the config folder to the local app-data folder");
    }
    Ok(path)
}

/// Opens the encrypted store and hands the core's desk to the commands; the lookup is made
/// ready in the background (the index saved by the last run, or a new build) so the window
/// opens at once.
fn open_desk<R: Runtime>(app: &tauri::App<R>) -> Result<(), Box<dyn std::error::Error>> {
    let path = store_path(app)?;
    // Development builds may reach a server on this PC over plain http; release builds never.
    let desk = tauri::async_runtime::block_on(Desk::open(&path, cfg!(debug_assertions)))?;
    if let Some(notice) = desk.store_notice() {
        log::warn!("store: {notice}");
    }
    // Before the window asks for its settings: it opens on 申請キュー for a desk with a server.
    #[cfg(debug_assertions)]
    tauri::async_runtime::block_on(dev_server(&desk));
    // The sync client too (settings, CA file, keychain; no network), so the status bar's first
    // reading knows the desk has a server instead of saying 「サーバー未設定」 until the next.
    if let Err(e) = tauri::async_runtime::block_on(desk.connect()) {
        log::warn!("sync not connected: {e}");
    }
    app.manage(desk);
    app.manage(commands::Chosen::default());
    let handle = app.handle().clone();
    tauri::async_runtime::spawn(async move {
        let desk = handle.state::<Desk>();
        if let Err(e) = desk.open_index().await {
            log::error!("lookup index not built: {e}");
        }
        #[cfg(debug_assertions)]
        dev_registry(&desk).await;
        // Once a minute, sooner after the server was away (the officer can always sync at once).
        let mut pace = madoguchi_core::sync::Pace::default();
        loop {
            let mut outcome = Ok(());
            if desk.sync_overview().await.is_ok_and(|s| s.configured) {
                outcome = desk.sync_now().await.map(|_| ());
                if let Err(e) = &outcome {
                    log::info!("background sync: {e}");
                }
            }
            // After the sync: what a resync brought back is purged again.
            if let Err(e) = desk.purge_expired().await {
                log::error!("retention: {e}");
            }
            tokio::time::sleep(pace.next(outcome.as_ref().map(|_| ()))).await;
        }
    });
    Ok(())
}

/// `cargo xtask run` starts a local central server and hands its address, CA and a demo
/// officer's token over in the environment; development builds take them into 設定 and the
/// keychain. Release builds have no such door.
#[cfg(debug_assertions)]
async fn dev_server(desk: &Desk) {
    let (Ok(url), Ok(ca), Ok(token)) = (
        std::env::var("MADOGUCHI_DEV_SERVER_URL"),
        std::env::var("MADOGUCHI_DEV_CA_CERT"),
        std::env::var("MADOGUCHI_DEV_TOKEN"),
    ) else {
        return;
    };
    let outcome = async {
        let mut settings = desk.settings().await?;
        settings.server_url = Some(url.clone());
        settings.ca_cert_path = Some(ca);
        settings.prefecture = settings
            .prefecture
            .or_else(|| std::env::var("MADOGUCHI_DEV_PREFECTURE").ok()?.parse().ok());
        desk.save_settings(&settings).await?;
        desk.save_server_token(&token).await
    };
    match outcome.await {
        Ok(()) => log::info!("development server {url} configured"),
        Err(e) => log::error!("development server not configured: {e}"),
    }
}

/// `cargo xtask run` also names a sample registry (MADOGUCHI_DEV_REGISTRY, a public code list):
/// a development build imports it into a desk that has none yet, as the officer would with
/// 台帳を取り込む, so a first run has something to search and check against.
#[cfg(debug_assertions)]
async fn dev_registry(desk: &Desk) {
    let Ok(sample) = std::env::var("MADOGUCHI_DEV_REGISTRY") else {
        return;
    };
    match desk.registry_status().await {
        Ok(status) if status.last_import.is_none() => {
            match desk.import_registry_file(std::path::Path::new(&sample), |_| {}).await {
                Ok(report) => log::info!("sample registry imported: {} rows", report.imported),
                Err(e) => log::error!("sample registry not imported: {e}"),
            }
        }
        Ok(_) => {}
        Err(e) => log::error!("registry status: {e}"),
    }
}

pub fn run() {
    madoguchi_core::memory::few_arenas();
    let log = tauri_plugin_log::Builder::new()
        .targets([
            tauri_plugin_log::Target::new(tauri_plugin_log::TargetKind::Stderr),
            tauri_plugin_log::Target::new(tauri_plugin_log::TargetKind::LogDir { file_name: None }),
        ])
        .level(log::LevelFilter::Info)
        .build();
    let app = with_commands(tauri::Builder::default())
        .plugin(log)
        .setup(|app| {
            open_desk(app)?;
            log::info!("Madoguchi {} started", env!("CARGO_PKG_VERSION"));
            Ok(())
        })
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|_, _| {}),
        Err(e) => {
            log::error!("cannot start Madoguchi: {e}");
            eprintln!("Madoguchi を起動できませんでした: {e}");
            std::process::exit(1);
        }
    }
}
