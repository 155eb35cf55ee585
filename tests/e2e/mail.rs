//! 「メールが届かない」 in the real window: an application approved elsewhere is mailed through a
//! real relay (a private Postfix) and bounced back (mailbox full); this desk's queue flags it,
//! its detail shows the mail's timeline, and a call linked to it starts at the full-mailbox
//! branch with the facts above the walk; 設定 shows the prefecture's mail health with it.

use fantoccini::key::Key;
use fantoccini::Locator;
use madoguchi_domain::{ApplicationForm, DeliveryState};
use madoguchi_e2e::{type_into, until_text};
use madoguchi_server::testing::postfix::to;
use madoguchi_server::testing::{form, Backend, TestServer};

#[path = "connected.rs"]
mod connected;
use connected::connected_window;

#[tokio::test(flavor = "multi_thread")]
async fn a_bounced_notice_is_flagged_and_the_call_starts_from_it() {
    let mut server = TestServer::start(Backend::Sqlite).await;
    let _relay = server.with_postfix().await;
    let token = server.officer("13").await;
    // Approved on another desk (through the API), mailed, bounced.
    let notice =
        server.approve(&token, &ApplicationForm { email: to::FULL.into(), ..form("13", 1) }).await;
    let mut bounced = false;
    for _ in 0..600 {
        let n = server.notices(&token).await.into_iter().find(|n| n.id == notice.id).unwrap();
        if n.delivery.state == DeliveryState::Bounced {
            bounced = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(bounced, "the relay's bounce came back to the server");
    let id = notice.application_id;

    let w = connected_window(&server, &token).await;
    let body = w.client.find(Locator::Css("body")).await.unwrap();
    let ctrl = |k: &str| format!("{}{k}", char::from(Key::Control));
    body.send_keys(&ctrl("1")).await.unwrap();
    until_text(&w, "#queue-list", "確認 1").await;
    until_text(&w, "#queue-detail", "テスト病院1").await;
    until_text(
        &w,
        "#queue-detail [data-flag=FLAG-MAIL-UNDELIVERED]",
        "アカウント発行通知メールが不達です（メールボックスの容量超過）",
    )
    .await;
    body.send_keys("h").await.unwrap();
    until_text(&w, &format!("#notice-{}", notice.id), "不達：メールボックスの容量超過（552 5.2.2")
        .await;
    until_text(&w, &format!("#notice-{}", notice.id), "送信済み（メールサーバーが受け取りました）")
        .await;
    let shot = w.screenshot("mail_bounced_detail").await;
    eprintln!("screenshot: {}", shot.display());

    // The caller: "the mail never came". Linked to the application, the walk goes on from it.
    body.send_keys(&ctrl("n")).await.unwrap();
    until_text(&w, "#triage-node h2", "お問い合わせの内容").await;
    body.send_keys("1").await.unwrap();
    until_text(&w, "#triage-node h2", "申請の有無と時期").await;
    let field = "#call-links input[aria-label=申請番号]";
    type_into(&w, field, &format!("{id}\u{E007}")).await;
    until_text(&w, "#triage-node h2", "容量超過で返送された").await;
    until_text(&w, "#mail-facts", "返送されました：メールボックスの容量超過").await;
    until_text(&w, "#mail-facts", "fu***@example.jp").await;
    until_text(&w, "#call-path", "記録から：").await;
    let shot = w.screenshot("mail_call_from_facts").await;
    eprintln!("screenshot: {}", shot.display());
    // By hand still: Backspace goes back to the question.
    body.send_keys(&Key::Backspace.to_string()).await.unwrap();
    until_text(&w, "#triage-node h2", "申請の有無と時期").await;

    // 設定 → メール配信の状況: the bounces on the last day (the notice and, before it, the
    // 疎通確認 mail to the same full mailbox), by category and domain.
    body.send_keys(&ctrl("5")).await.unwrap();
    let button = "//div[@id='mail-health']//button[text()='配信状況を確認']";
    w.client.find(Locator::XPath(button)).await.unwrap().click().await.unwrap();
    until_text(&w, "#mail-health table", "直近1日").await;
    until_text(
        &w,
        "#mail-health [data-field=refusing-domains]",
        "example.jp：送信失敗 0件・不達 2件",
    )
    .await;
    until_text(&w, "#mail-health [data-field=checks]", "疎通確認メール：1件のうち確認済み 1件")
        .await;
    w.client
        .execute("document.getElementById('mail-health').scrollIntoView()", vec![])
        .await
        .unwrap();
    let shot = w.screenshot("settings_mail_health").await;
    eprintln!("screenshot: {}", shot.display());
    w.close().await;
    server.mail.take().unwrap().shutdown().await;
}
