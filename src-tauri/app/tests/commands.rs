//! The app's commands through Tauri's IPC, on the mock runtime (no display), with the real
//! configuration and capabilities: what the webview may call, and what it may not.

use madoguchi_core::Store;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindow, WebviewWindowBuilder};

struct Desk {
    window: WebviewWindow<tauri::test::MockRuntime>,
    _dir: tempfile::TempDir,
}

/// The app as `run()` builds it, but with a store on a temporary file and a mock window.
async fn desk() -> Desk {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("desk.db")).await.unwrap();
    let app = madoguchi_app::with_commands(mock_builder())
        .build(tauri::generate_context!(test = true))
        .unwrap();
    app.manage(store);
    let window = WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    Desk { window, _dir: dir }
}

fn invoke(desk: &Desk, cmd: &str, args: Value) -> Result<Value, Value> {
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
async fn checks_a_code_in_any_typed_form() {
    let desk = desk().await;
    let ok = invoke(&desk, "check_insurance_code", json!({"input": "０２，７０７５，１", "prefecture": "13"})).unwrap();
    assert_eq!(ok["status"], "valid");
    assert_eq!(ok["code"]["digits"], "1310270751");
    assert_eq!(ok["code"]["parts"], "13 1 02 7075 1");

    let slip = invoke(&desk, "check_insurance_code", json!({"input": "0110112849", "prefecture": null})).unwrap();
    assert_eq!(slip["status"], "invalid");
    assert_eq!(slip["error"]["code"], "E-CODE-CHECK");
    let suggested: Vec<&str> = slip["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"]["digits"].as_str().unwrap())
        .collect();
    assert!(suggested.contains(&"0110112489"), "{suggested:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_prefecture_is_a_coded_error() {
    let desk = desk().await;
    let err = invoke(&desk, "check_insurance_code", json!({"input": "0274751", "prefecture": "99"})).unwrap_err();
    assert_eq!(err["code"], "E-PREF-UNKNOWN");
    assert!(err["message"].as_str().unwrap().contains("都道府県コード"));
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_round_trip_through_the_store() {
    let desk = desk().await;
    assert_eq!(invoke(&desk, "get_settings", json!({})).unwrap(), json!({"prefecture": null}));
    invoke(&desk, "save_settings", json!({"settings": {"prefecture": "27"}})).unwrap();
    assert_eq!(invoke(&desk, "get_settings", json!({})).unwrap(), json!({"prefecture": "27"}));
    let refused = invoke(&desk, "save_settings", json!({"settings": {"prefecture": "48"}}));
    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(invoke(&desk, "get_settings", json!({})).unwrap(), json!({"prefecture": "27"}));
    let prefectures = invoke(&desk, "list_prefectures", json!({})).unwrap();
    assert_eq!(prefectures.as_array().unwrap().len(), 47);
    assert_eq!(prefectures[12], json!({"code": "13", "name": "東京都"}));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_webview_gets_no_sql_and_no_unknown_commands() {
    let desk = desk().await;
    for cmd in ["plugin:sql|select", "plugin:sql|execute", "plugin:log|log", "no_such_command"] {
        let refused = invoke(&desk, cmd, json!({"db": "sqlite:madoguchi.db", "query": "SELECT 1", "values": []}));
        // Refused by the ACL built from capabilities/main.json, not merely unknown.
        let message = refused.expect_err(cmd);
        assert!(message.as_str().unwrap().contains("not allowed"), "{cmd}: {message}");
    }
}
