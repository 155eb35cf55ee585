//! The real window with the real registry: the published code list imported through the
//! app's command, a mistyped code of a real institution found first, the detail pane, and a
//! hostile name (markup, 10,000 characters, emoji, a control character) shown as text.

use std::path::PathBuf;

use fantoccini::Locator;
use madoguchi_e2e::{type_into, until_text, Window};
use serde_json::json;

fn real_list(dir: &tempfile::TempDir) -> PathBuf {
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/institution-codes/2025-08.csv");
    let path = dir.path().join("2025-08.csv");
    std::fs::copy(&source, &path).unwrap_or_else(|e| panic!("{}: {e}", source.display()));
    path
}

#[tokio::test]
async fn import_the_real_list_and_find_a_mistyped_code() {
    let w = Window::open().await;
    let dir = tempfile::tempdir().unwrap();
    let path = real_list(&dir);

    let report = w.import_list(&path).await.unwrap();
    assert_eq!(report["imported"], 88_264, "{report}");
    assert_eq!(report["skipped_count"], 0);
    let messages = w.client.execute("return window.__e2eMessages", vec![]).await.unwrap();
    assert!(messages.as_u64().unwrap() > 100, "progress reached the page: {messages}");

    // 医療法人 愛全病院 is 01 1 01 1248 9; typed with 4 and 8 swapped.
    type_into(&w, "#lookup-input", "0110112849").await;
    until_text(&w, "#code-check [data-error-code]", "E-CODE-CHECK").await;
    until_text(&w, "#lookup-results li:first-child [data-field=name]", "医療法人 愛全病院").await;
    let reason = w.text("#lookup-results li:first-child [data-reason]").await;
    assert!(reason.contains("打ち間違い"), "{reason}");
    until_text(&w, "#lookup-detail [data-field=detail-code]", "01 1 01 1248 9").await;
    assert!(w.text("#lookup-detail").await.contains("〒005-0813"));

    // A name said aloud; Enter opens the detail.
    type_into(&w, "#lookup-input", "平松記念").await;
    until_text(&w, "#lookup-results li:first-child [data-field=name]", "平松記念病院").await;
    w.client
        .find(Locator::Css("#lookup-input"))
        .await
        .unwrap()
        .send_keys("\u{E007}")
        .await
        .unwrap();
    until_text(&w, "#lookup-detail [data-field=detail-name]", "医療法人社団 慈藻会 平松記念病院")
        .await;
    until_text(&w, "#registry-status", "2025-08.csv").await;
    let shot = w.screenshot("registry_lookup").await;
    eprintln!("screenshot: {}", shot.display());
    w.close().await;
}

#[tokio::test]
async fn a_hostile_name_is_shown_as_text() {
    let w = Window::open().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.csv");
    let name = "<img src=x onerror=alert(1)>";
    // Beside it the longest name taken (200 characters, emoji and a control character in
    // it), and a 10,000-character one: a bad row, said in Japanese.
    let long = format!("🏥\u{7}{}診療所", "長".repeat(195));
    let huge = "長".repeat(10_000);
    std::fs::write(&path, format!("470112485,0112485,{name},9000001,那覇市<b>泉崎</b>\r\n470112493,0112493,{long},9000001,那覇市\r\n470112507,0112507,{huge},9000001,那覇市\r\n")).unwrap();
    let report = w.import_list(&path).await.unwrap();
    assert_eq!((&report["imported"], &report["skipped_count"]), (&json!(2), &json!(1)), "{report}");
    // A path the page names itself (not chosen in the dialog) is not read; nor a network one.
    let named = w.invoke("import_registry", json!({ "path": path }), Some("onProgress")).await;
    assert_eq!(named.unwrap_err()["code"], "E-IMPORT-NOT-CHOSEN");
    assert!(report["skipped"][0]["message"].as_str().unwrap().contains("名称が長すぎます"));
    type_into(&w, "#lookup-input", "長長長長診療所").await;
    until_text(&w, "#lookup-results li:first-child [data-field=name]", "🏥").await;
    let shown = w.text("#lookup-results li:first-child [data-field=name]").await;
    assert!(
        shown.chars().count() >= 200 - 1 && shown.ends_with("診療所"),
        "the whole name, as text: {} chars",
        shown.chars().count()
    );
    let width = w
        .client
        .execute("return [document.documentElement.scrollWidth, window.innerWidth]", vec![])
        .await
        .unwrap();
    assert!(
        width[0].as_u64() <= width[1].as_u64(),
        "a long name must wrap, not widen the window: {width}"
    );
    type_into(&w, "#lookup-input", "img src").await;
    until_text(&w, "#lookup-results li:first-child [data-field=name]", name).await;
    until_text(&w, "#lookup-detail [data-field=detail-name]", name).await;
    let images = w
        .client
        .execute("return document.querySelectorAll('img, b').length", vec![])
        .await
        .unwrap();
    assert_eq!(images, json!(0), "markup from the registry became elements");
    assert!(w.client.get_alert_text().await.is_err(), "an alert opened");
    assert!(w.text("#lookup-detail").await.contains("那覇市<b>泉崎</b>"));
    w.close().await;
}
