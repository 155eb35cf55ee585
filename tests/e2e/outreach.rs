//! 要連絡・カバー状況 in the real window: 東京都's real list on the desk, an approval elsewhere
//! whose notice the relay bounced (mailbox full), the prefecture's 定期報告期間 open. The
//! bounced one is on 要連絡 with its reason; the officer records the call (対応を約束) and it is
//! 連絡済; letters for two 未申請 institutions are made and their first page rendered; the
//! coverage shows its chart and the list behind a number. Screenshots of each.

use std::process::Command;

use fantoccini::key::Key;
use fantoccini::Locator;
use madoguchi_domain::{ApplicationForm, DeliveryState};
use madoguchi_e2e::until_text;
use madoguchi_server::testing::postfix::to;
use madoguchi_server::testing::{form, Backend, TestServer};
use serde_json::json;

#[path = "connected.rs"]
mod connected;
use connected::connected_window_with;

#[tokio::test(flavor = "multi_thread")]
async fn the_window_reaches_the_bounced_one_and_shows_the_coverage() {
    let mut server = TestServer::start(Backend::Sqlite).await;
    let _relay = server.with_postfix().await;
    let token = server.officer("13").await;
    // 東京都's first 300 institutions of the real list; the first applied elsewhere, was
    // approved, and its notice bounced.
    let list =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/institution-codes/2025-08.csv");
    let text = std::fs::read_to_string(list).unwrap();
    let tokyo: Vec<&str> = text.lines().filter(|l| l.starts_with("13")).take(300).collect();
    let listed = tokyo.iter().map(|l| &l[..9]).collect::<std::collections::HashSet<_>>().len();
    let first: Vec<&str> = tokyo[0].split(',').collect();
    let code =
        madoguchi_domain::InsuranceCode::parse(first[0], Default::default()).unwrap().digits();
    let applicant = ApplicationForm {
        insurance_code: Some(code),
        name: first[2].to_owned(),
        email: to::FULL.into(),
        ..form("13", 1)
    };
    let notice = server.approve(&token, &applicant).await;
    madoguchi_stories::server_notice(
        &server,
        &token,
        notice.application_id,
        DeliveryState::Bounced,
    )
    .await;

    let saved = tempfile::tempdir().unwrap();
    let save_dir = saved.path().to_str().unwrap();
    let w = connected_window_with(&server, &token, &[("MADOGUCHI_DEV_SAVE_DIR", save_dir)]).await;
    let file = saved.path().join("tokyo-300.csv");
    std::fs::write(&file, tokyo.join("\r\n")).unwrap();
    w.import_list(&file).await.expect("the list imports");
    let today = chrono::Utc::now().with_timezone(&madoguchi_domain::practice::JST).date_naive();
    let draft = json!({
        "window": { "starts": (today - chrono::Days::new(5)).to_string(), "ends": (today + chrono::Days::new(40)).to_string() },
        "overrides": { "say": {}, "facts": {} },
        "retention_days": null,
        "contact": { "name": "東京都保健医療局 医療政策課", "phone": "03-5320-4444", "hours": "平日 9時〜17時", "email": "" },
        "practice": {},
        "reminders": [],
    });
    w.invoke("save_prefecture_settings", json!({ "draft": draft }), None).await.unwrap();
    w.invoke("sync_now", json!({}), None).await.unwrap();

    let body = w.client.find(Locator::Css("body")).await.unwrap();
    body.send_keys(&format!("{}6", char::from(Key::Control))).await.unwrap();
    until_text(&w, "[data-reason=undelivered]", "メール不達 1件").await;
    until_text(&w, "#worklist", first[2]).await;
    until_text(&w, "#worklist", "通知メールが届いていません（メールボックスの容量超過）").await;
    until_text(&w, "#worklist", "03-1234-5678").await;
    let shot = w.screenshot("outreach_worklist").await;
    eprintln!("screenshot: {}", shot.display());

    // The call was made: 対応を約束, with a note.
    let record = "#worklist [data-action=record]";
    w.client.find(Locator::Css(record)).await.unwrap().click().await.unwrap();
    let outcome = w.client.find(Locator::Css("#contact-outcome")).await.unwrap();
    outcome.select_by_value("promised").await.unwrap();
    let note = w.client.find(Locator::Css("#contact-note")).await.unwrap();
    note.send_keys("容量を空けて再送を依頼する").await.unwrap();
    w.client.find(Locator::Css("#contact-save")).await.unwrap().click().await.unwrap();
    until_text(&w, "[role=status]", "への連絡を記録しました").await;
    let state = w.client.find(Locator::Css("#entry-state")).await.unwrap();
    state.select_by_value("done").await.unwrap();
    until_text(&w, "#worklist [data-field=state]", "✓ 連絡済").await;
    until_text(&w, "#worklist [data-field=state]", "電話・対応を約束").await;
    let shot = w.screenshot("outreach_contacted").await;
    eprintln!("screenshot: {}", shot.display());

    // Letters to two 未申請 institutions.
    state.select_by_value("open").await.unwrap();
    w.client.find(Locator::Css("[data-reason=not_applied]")).await.unwrap().click().await.unwrap();
    let not_applied = format!("未申請 {}件", listed - 1);
    until_text(&w, "[data-reason=not_applied]", &not_applied).await;
    until_text(&w, "#worklist", "G-MISのアカウントがなく、申請もありません").await;
    let boxes = w.client.find_all(Locator::Css("#worklist input[type=checkbox]")).await.unwrap();
    for b in &boxes[..2] {
        b.click().await.unwrap();
    }
    w.client.find(Locator::Css("#letter-preview")).await.unwrap().click().await.unwrap();
    until_text(&w, "[data-field=preview]", "G-MISアカウントの申請のお願い").await;
    w.client.find(Locator::Css("#make-letters")).await.unwrap().click().await.unwrap();
    until_text(&w, "[data-field=made]", "2件を").await;
    let shot = w.screenshot("outreach_letters").await;
    eprintln!("screenshot: {}", shot.display());
    let pdf = std::fs::read_dir(saved.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "pdf"))
        .expect("the letters' PDF in the chosen folder");
    let artifacts =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/e2e/artifacts/outreach_letter_page1");
    let rendered = Command::new("pdftoppm")
        .args(["-f", "1", "-l", "1", "-r", "80", "-png", "-singlefile"])
        .arg(&pdf)
        .arg(artifacts)
        .status()
        .unwrap();
    assert!(rendered.success());
    eprintln!("letter: {artifacts}.png");

    // カバー状況: the chart, and the list behind 未申請 of a 機関区分.
    w.client.find(Locator::Css("#tab-coverage")).await.unwrap().click().await.unwrap();
    until_text(&w, "#coverage-totals", &format!("対象 {listed}件")).await;
    until_text(&w, "#coverage-totals", "アカウントあり 1件").await;
    let part = ".coverage-chart .part.not_applied";
    w.client.find(Locator::Css(part)).await.unwrap().click().await.unwrap();
    until_text(&w, "#coverage-list h2", "未申請").await;
    let shot = w.screenshot("outreach_coverage").await;
    eprintln!("screenshot: {}", shot.display());
    w.close().await;
    server.mail.take().unwrap().shutdown().await;
}
