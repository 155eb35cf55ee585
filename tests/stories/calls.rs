//! Calls taken offline reach the server once, and every desk of the prefecture sees them; the
//! prefecture's 定期報告 window set on one desk answers on another.

use chrono::{Duration, Utc};
use madoguchi_core::settings::DeskSettings;
use madoguchi_core::sync::SyncClient;
use madoguchi_domain::api::Entity;
use madoguchi_domain::triage::{Overrides, ReportingAnswer, ReportingWindow, Tree};
use madoguchi_server::testing::{Backend, TestServer};
use madoguchi_stories::{config, desk};

#[tokio::test(flavor = "multi_thread")]
async fn a_call_made_offline_reaches_the_server_once_and_every_desk() {
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let a = desk(&server, &token, "desk-a").await;
    let b = desk(&server, &token, "desk-b").await;
    for d in [&a, &b] {
        d.store
            .save_desk_settings(&DeskSettings {
                prefecture: Some("13".parse().unwrap()),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    // Desk A is offline: its server address answers nothing.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let offline = SyncClient::new(
        &madoguchi_core::sync::SyncConfig {
            server_url: format!("https://localhost:{closed}"),
            ..config(&server, "desk-a")
        },
        madoguchi_core::keychain::Token::new(&token),
    )
    .unwrap();

    let tree = Tree::national();
    let now = Utc::now();
    let call = a.store.start_call(tree, "desk-a", now).await.unwrap();
    for (i, answer) in [0, 2, 0, 0, 0].into_iter().enumerate() {
        a.store
            .choose(tree, &call.id, answer, now + Duration::seconds(i as i64 + 1))
            .await
            .unwrap();
    }
    let call = a
        .store
        .finish_call(&call.id, "迷惑メールフォルダにありました", None, now + Duration::seconds(10))
        .await
        .unwrap();
    assert_eq!(call.ending.as_deref(), Some("spam_done"));
    let window = ReportingWindow::new("2027-01-04".parse().unwrap(), "2027-03-31".parse().unwrap());
    a.store.save_prefecture_settings(window, Overrides::default(), "desk-a", now).await.unwrap();

    assert!(a.store.sync(&offline).await.is_err(), "offline");
    assert_eq!(a.store.sync_status().await.unwrap().pending, 2, "the call and the settings wait");

    // Back online: sent once, even when synced twice.
    let report = a.store.sync(&a.client).await.unwrap();
    assert_eq!(report.sent, 2);
    assert_eq!(a.store.sync(&a.client).await.unwrap().sent, 0);
    assert_eq!(a.store.sync_status().await.unwrap().pending, 0);
    let page = server.storage.changes("13".parse().unwrap(), 0, 1000).await.unwrap();
    let calls: Vec<_> =
        page.changes.iter().filter(|c| matches!(c.entity, Entity::Call(_))).collect();
    assert_eq!(calls.len(), 1, "one call, once");

    // Desk B sees the call as desk A recorded it, and the window answers there too.
    b.store.sync(&b.client).await.unwrap();
    let seen = b.store.calls().await.unwrap();
    assert_eq!(seen, std::slice::from_ref(&call));
    let settings = b.store.prefecture_settings().await.unwrap().unwrap();
    assert_eq!(settings.reporting_window, window);
    let answer = ReportingAnswer::of(settings.reporting_window, "2027-02-01".parse().unwrap());
    assert_eq!(answer.suggested_choice(), Some(1));
    // A call finished on A cannot be changed on B either.
    assert_eq!(
        madoguchi_domain::Coded::code(&b.store.back(&call.id, Utc::now()).await.unwrap_err()),
        "E-CALL-FINISHED"
    );
}
