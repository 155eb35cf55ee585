//! 申請状況の確認 in a real browser, keyboard only: an applicant whose notice bounced (a full
//! mailbox, for real at the test relay) reads the advice on the status page and presses the
//! button; a desk sees the request on 要連絡. axe-core checks every page on the way.

use fantoccini::key::Key;
use madoguchi_core::outreach::worklist::{ReasonKind, WorklistFilter};
use madoguchi_domain::worklist::Reason;
use madoguchi_domain::{ApplicationForm, DeliveryState};
use madoguchi_e2e::{screenshot, Browser};
use madoguchi_server::testing::postfix::to;
use madoguchi_server::testing::{form, spki_pin, Backend, TestServer};
use madoguchi_stories::connected_desk;

async fn assert_accessible(b: &Browser, page: &str) {
    let violations = b.accessibility_violations().await;
    assert!(violations.is_empty(), "{page}: {:#}", serde_json::Value::Array(violations));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bounced_applicant_reads_the_advice_and_tells_the_window_with_the_keyboard() {
    let mut server = TestServer::start(Backend::Sqlite).await;
    let _relay = server.with_postfix().await;
    let token = server.officer("13").await;
    let f = ApplicationForm { email: to::FULL.into(), ..form("13", 7) };
    let notice = server.approve(&token, &f).await;
    server.settled(&token, notice.id, DeliveryState::Bounced).await;
    let id = notice.application_id;

    let b = Browser::open(&spki_pin(&server.certs)).await;
    b.client.goto(&format!("{}/status", server.url)).await.unwrap();
    b.until_text("h1", "申請状況の確認").await;
    assert_accessible(&b, "the empty form").await;
    b.press(&Key::Tab.to_string()).await;
    assert_eq!(b.focused().await, "n", "the number first");
    b.press(&id.to_string()).await;
    b.press(&Key::Tab.to_string()).await;
    assert_eq!(b.focused().await, "email");
    b.press(to::FULL).await;
    b.press(&Key::Enter.to_string()).await;

    b.until_text("dl.facts dd:nth-of-type(5)", "承認済み").await;
    let page = b.text("main").await;
    assert!(page.contains("不達（容量超過）"), "{page}");
    assert!(page.contains("容量を空けてから、窓口にご連絡ください"), "{page}");
    screenshot(&b.client, "status_page_bounced").await;
    assert_accessible(&b, "the status of a bounced application").await;

    // The only control on the page: the button.
    b.press(&Key::Tab.to_string()).await;
    let button = b.client.active_element().await.unwrap();
    assert_eq!(button.text().await.unwrap(), "メールが届いていないことを窓口に伝える");
    b.press(&Key::Enter.to_string()).await;
    b.until_text("h1", "窓口に伝えました").await;
    screenshot(&b.client, "status_page_told").await;
    assert_accessible(&b, "the word passed on").await;

    // A desk of the prefecture sees it on 要連絡.
    let dir = tempfile::tempdir().unwrap();
    let desk = connected_desk(&server, &token, &dir, "窓口A").await;
    desk.sync_now().await.unwrap();
    let filter = WorklistFilter { reason: Some(ReasonKind::MailMissing), ..Default::default() };
    let list = desk.worklist(&filter).await.unwrap();
    assert_eq!(list.entries.len(), 1, "{list:#?}");
    let entry = &list.entries[0];
    assert!(
        matches!(entry.reason, Reason::MailMissing { application_id, .. } if application_id == id)
    );
    assert_eq!(entry.institution_name, f.name);

    // A wrong address: the form again, nothing of the application.
    b.client.goto(&format!("{}/status", server.url)).await.unwrap();
    b.until_text("h1", "申請状況の確認").await;
    b.press(&Key::Tab.to_string()).await;
    b.press(&id.to_string()).await;
    b.press(&Key::Tab.to_string()).await;
    b.press("someone@example.jp").await;
    b.press(&Key::Enter.to_string()).await;
    b.until_text("main p", "入力された申請番号とメールアドレスの組み合わせに一致する申請は見つかりませんでした。申請番号とメールアドレスをご確認のうえ、もう一度入力してください。").await;
    assert!(!b.text("main").await.contains(&f.name));
    assert_accessible(&b, "not found").await;
    server.mail.take().unwrap().shutdown().await;
}
