//! The app's commands through Tauri's IPC, on the mock runtime (no display), with the real
//! configuration and capabilities: what the webview may call, and what it may not.

use madoguchi_core::Store;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindow, WebviewWindowBuilder};

struct Window {
    window: WebviewWindow<tauri::test::MockRuntime>,
    _dir: tempfile::TempDir,
}

/// The app as `run()` builds it, but with a store on a temporary file and a mock window.
async fn desk() -> Window {
    let dir = tempfile::tempdir().unwrap();
    let desk = madoguchi_core::Desk::new(Store::open(&dir.path().join("desk.db")).await.unwrap());
    let csv = dir.path().join("codes.csv");
    std::fs::write(
        &csv,
        "010112489,0112489,医療法人 愛全病院,0050813,札幌市南区川沿１３条２丁目１番３８号\r\n",
    )
    .unwrap();
    desk.import_registry_file(&csv, |_| {}).await.unwrap();
    let app = madoguchi_app::with_commands(mock_builder())
        .build(tauri::generate_context!(test = true))
        .unwrap();
    app.manage(desk);
    let window = WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    Window { window, _dir: dir }
}

fn invoke(desk: &Window, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        &desk.window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_code_in_any_typed_form_is_checked_and_found() {
    let desk = desk().await;
    let found =
        invoke(&desk, "search_institutions", json!({"query": "０１ １ ０１ １２４８ ９"})).unwrap();
    assert_eq!(found["code_check"]["status"], "valid");
    assert_eq!(found["code_check"]["code"]["parts"], "01 1 01 1248 9");
    assert_eq!(found["hits"][0]["reason"]["kind"], "code");
    // A code the registry does not hold: checked all the same, with valid neighbours offered.
    let unknown = invoke(&desk, "search_institutions", json!({"query": "1310270750"})).unwrap();
    assert_eq!(unknown["code_check"]["error"]["code"], "E-CODE-CHECK");
    assert!(unknown["code_check"]["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["code"]["digits"] == "1310270751"));
    assert_eq!(unknown["hits"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_round_trip_through_the_store() {
    let desk = desk().await;
    assert_eq!(invoke(&desk, "get_settings", json!({})).unwrap()["prefecture"], json!(null));
    invoke(
        &desk,
        "save_settings",
        json!({"settings": {"prefecture": "27", "desk_name": "医療政策課-3"}}),
    )
    .unwrap();
    let saved = invoke(&desk, "get_settings", json!({})).unwrap();
    assert_eq!((&saved["prefecture"], &saved["desk_name"]), (&json!("27"), &json!("医療政策課-3")));
    // No server yet: the status bar says so, and syncing says why it cannot.
    let status = invoke(&desk, "sync_status", json!({})).unwrap();
    assert_eq!((&status["configured"], &status["pending"]), (&json!(false), &json!(0)));
    assert_eq!(invoke(&desk, "sync_now", json!({})).unwrap_err()["code"], "E-SYNC-NOT-CONFIGURED");
    assert_eq!(
        invoke(&desk, "save_server_token", json!({"token": "x"})).unwrap_err()["code"],
        "E-SYNC-NOT-CONFIGURED"
    );
    for bad in [json!("48"), json!(13), json!("東京市")] {
        let refused = invoke(&desk, "save_settings", json!({"settings": {"prefecture": bad}}));
        assert!(refused.is_err(), "{refused:?}");
    }
    assert_eq!(invoke(&desk, "get_settings", json!({})).unwrap()["prefecture"], "27");
    let prefectures = invoke(&desk, "list_prefectures", json!({})).unwrap();
    assert_eq!(prefectures.as_array().unwrap().len(), 47);
    assert_eq!(prefectures[12], json!({"code": "13", "name": "東京都"}));
}

#[tokio::test(flavor = "multi_thread")]
async fn search_then_detail() {
    let desk = desk().await;
    let found = invoke(&desk, "search_institutions", json!({"query": "愛全", "limit": 5})).unwrap();
    let hit = &found["hits"][0];
    assert_eq!(hit["institution"]["name"], "医療法人 愛全病院");
    assert_eq!(hit["reason"]["kind"], "name_start");
    assert_eq!(hit["kind_ja"], "病院");
    let detail =
        invoke(&desk, "institution_detail", json!({"id": hit["institution"]["id"]})).unwrap();
    assert_eq!(detail["postal_code"], "0050813");
    assert_eq!(detail["listed_in"], "codes.csv");
    let slip = invoke(&desk, "search_institutions", json!({"query": "0110112849"})).unwrap();
    assert_eq!(slip["code_check"]["error"]["code"], "E-CODE-CHECK");
    assert_eq!(slip["hits"][0]["institution"]["insurance_code"], "0110112489");
    assert_eq!(slip["hits"][0]["reason"]["kind"], "code_slip");
    let status = invoke(&desk, "registry_status", json!({})).unwrap();
    assert_eq!(status["institutions"], 1);
    let err = invoke(&desk, "institution_detail", json!({"id": 999})).unwrap_err();
    assert_eq!(err["code"], "E-LOOKUP-NOT-FOUND");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_webview_gets_no_sql_and_no_unknown_commands() {
    let desk = desk().await;
    for cmd in [
        "plugin:sql|select",
        "plugin:sql|execute",
        "plugin:log|log",
        "check_insurance_code",
        "no_such_command",
    ] {
        let refused = invoke(
            &desk,
            cmd,
            json!({"db": "sqlite:madoguchi.db", "query": "SELECT 1", "values": []}),
        );
        // Refused by the ACL built from capabilities/main.json, not merely unknown.
        let message = refused.expect_err(cmd);
        assert!(message.as_str().unwrap().contains("not allowed"), "{cmd}: {message}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_capability_grants_every_listed_command() {
    let desk = desk().await;
    // The one command list (src/command_list.rs) feeds the handler, the permission set the
    // capability grants, and the window's types: each listed command passes the ACL. Arguments
    // of the wrong shape stop each before its body runs (the file picker has none: skipped).
    let listed = madoguchi_app::COMMANDS;
    assert_eq!(listed.len(), 60);
    for cmd in listed.iter().filter(|c| **c != "pick_registry_file") {
        let answer = invoke(&desk, cmd, json!({"filter": 1, "encoding": 1, "id": "x"}));
        if let Err(e) = answer {
            let text = e.to_string();
            assert!(!text.contains("not allowed") && !text.contains("not found"), "{cmd}: {text}");
        }
    }
}
