//! The queue in the real window with a real server: a flagged application is returned with a
//! reason, a clean one approved, each after seeing the exact mail; another desk sees both.

use fantoccini::key::Key;
use fantoccini::Locator;
use madoguchi_domain::ApplicationStatus;
use madoguchi_e2e::{until_text, Window};
use madoguchi_server::testing::{form, Backend, TestServer};

#[tokio::test(flavor = "multi_thread")]
async fn return_a_flagged_one_and_approve_a_clean_one() {
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let clean = server.submit(&form("13", 1)).await.id;
    let mut typo = form("13", 2);
    typo.email = "kanda@gmial.com".into();
    let flagged = server.submit(&typo).await.id;
    let ca = server.dir.path().join("ca.pem");
    std::fs::write(&ca, &server.certs.ca_pem).unwrap();
    let w = Window::open_with(&[
        ("MADOGUCHI_DEV_SERVER_URL", server.url.as_str()),
        ("MADOGUCHI_DEV_CA_CERT", ca.to_str().unwrap()),
        ("MADOGUCHI_DEV_TOKEN", token.as_str()),
        ("MADOGUCHI_DEV_PREFECTURE", "13"),
    ])
    .await;
    until_text(&w, "footer.status [data-field=sync-state]", "オンライン").await;
    let body = w.client.find(Locator::Css("body")).await.unwrap();
    body.send_keys(&format!("{}1", char::from(Key::Control))).await.unwrap();
    until_text(&w, "#queue-list", "確認 1").await;
    w.screenshot("queue_list").await;

    // Keyboard only. The flagged one (second, oldest first): its flag, then 差戻し with the
    // reason the flag gives.
    body.send_keys("j").await.unwrap();
    until_text(&w, "#queue-detail [data-flag=FLAG-EMAIL-TYPO]", "kanda@gmail.com").await;
    body.send_keys("r").await.unwrap();
    until_text(&w, "#notice-preview", "メールアドレスの誤り").await;
    w.client.find(Locator::Css("#confirm-decision")).await.unwrap().click().await.unwrap();

    // The clean one: approve with a new account, after reading the issuance mail.
    until_text(&w, "#queue-list", "差戻し").await;
    body.send_keys("k").await.unwrap();
    until_text(&w, "#queue-detail", "テスト病院1").await;
    body.send_keys("a").await.unwrap();
    until_text(&w, "#notice-preview", "パスワードを設定してください").await;
    let shot = w.screenshot("queue_decision").await;
    eprintln!("screenshot: {}", shot.display());
    w.client.find(Locator::Css("#confirm-decision")).await.unwrap().click().await.unwrap();

    // Both reach the server; another desk sees both.
    let pref = "13".parse().unwrap();
    let mut done = false;
    for _ in 0..100 {
        let a = server.storage.application(pref, clean).await.unwrap().unwrap().status;
        let b = server.storage.application(pref, flagged).await.unwrap().unwrap().status;
        if (a, b) == (ApplicationStatus::ApprovedNewAccount, ApplicationStatus::ReturnedForCorrection) {
            done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(done, "decisions did not reach the server");
    let other = madoguchi_stories::desk(&server, &token, "desk-b").await;
    other.store.sync(&other.client).await.unwrap();
    assert_eq!(other.store.application(clean).await.unwrap().unwrap().0.status, ApplicationStatus::ApprovedNewAccount);
    assert_eq!(other.store.application(flagged).await.unwrap().unwrap().0.status, ApplicationStatus::ReturnedForCorrection);
    until_text(&w, "footer.status [data-field=pending]", "未送信 0件").await;
    w.close().await;
}
