//! The README's `cargo xtask run` as a newcomer meets it. `cargo xtask test` takes the same
//! path as `run` — the UI and both programs built, `madoguchi-server demo` on a database
//! folder that does not exist yet, the app handed the server, its CA, a demo officer's token
//! and the sample registry — and runs this test (alone: it needs that environment) against the
//! window on a fresh data folder. Afterwards xtask stops the server as `run` does when the
//! window closes, and checks that it did.

use fantoccini::key::Key;
use fantoccini::Locator;
use madoguchi_e2e::{type_into, until_text, Window};

/// The demo application whose code is a listed clinic's, typed under another name.
const RENAMED: &str = "淡路町ファミリークリニック";

#[tokio::test]
async fn the_first_run_opens_on_the_demo_queue_and_finds_a_sample_institution() {
    for var in [
        "MADOGUCHI_FIRST_RUN",
        "MADOGUCHI_DEV_SERVER_URL",
        "MADOGUCHI_DEV_CA_CERT",
        "MADOGUCHI_DEV_TOKEN",
        "MADOGUCHI_DEV_REGISTRY",
    ] {
        assert!(
            std::env::var_os(var).is_some(),
            "{var} is not set: `cargo xtask test` runs this test on `cargo xtask run`'s path"
        );
    }
    // The app inherits the environment through tauri-driver, as `run` hands it over.
    let w = Window::open().await;

    // It opens on 申請キュー, online, and lists the demo's applications once the first sync
    // is in — with the flags' registry checks made against the sample registry.
    until_text(&w, "nav [aria-current=page]", "申請キュー").await;
    until_text(&w, "footer.status [data-field=sync-state]", "オンライン").await;
    // The list follows the first sync within the status bar's 5-second refresh; 30 s at most.
    let mut rows = Vec::new();
    for _ in 0..300 {
        rows = w.client.find_all(Locator::Css("#queue-list [data-application]")).await.unwrap();
        if rows.len() == 9 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut names = Vec::new();
    for row in &rows {
        names.push(row.find(Locator::Css(".name")).await.unwrap().html(true).await.unwrap());
    }
    assert_eq!(names.len(), 9, "the demo's nine applications: {names:?}");
    assert!(names.iter().any(|n| n.contains("浜田病院")), "{names:?}");
    let renamed = names.iter().position(|n| n == RENAMED).expect(RENAMED);
    rows[renamed].find(Locator::Css("button")).await.unwrap().click().await.unwrap();
    until_text(&w, "#queue-detail [data-flag=FLAG-NAME-MISMATCH]", "河内クリニック").await;
    let shot = w.screenshot("first_run_queue").await;
    eprintln!("screenshot: {}", shot.display());

    // 機関検索 answers from the sample registry at once: by name, and by code.
    let body = w.client.find(Locator::Css("body")).await.unwrap();
    body.send_keys(&format!("{}2", char::from(Key::Control))).await.unwrap();
    until_text(&w, "#registry-status", "registry-13-chiyoda-2025-08.csv").await;
    until_text(&w, "#registry-status", "438").await;
    type_into(&w, "#lookup-input", "三井記念").await;
    until_text(&w, "#lookup-results li:first-child [data-field=name]", "三井記念病院").await;
    // 浜田病院's code, 13 1 01 1004 9, as a caller reads it out.
    type_into(&w, "#lookup-input", "1310110049").await;
    until_text(&w, "#lookup-results li:first-child [data-field=name]", "浜田病院").await;
    let shot = w.screenshot("first_run_lookup").await;
    eprintln!("screenshot: {}", shot.display());
    w.close().await;
}
