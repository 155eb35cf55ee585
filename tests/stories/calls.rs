//! Calls taken offline reach the server once, and every desk of the prefecture sees them; the
//! prefecture's 定期報告 window set on one desk answers on another.

use chrono::{Duration, Utc};
use madoguchi_core::prefecture::PrefectureDraft;
use madoguchi_domain::api::Entity;
use madoguchi_domain::contact::WindowContact;
use madoguchi_domain::practice::{
    Caller, HealthCentre, Practice, ReportingAnswer, ReportingWindow, Scheme, SchemePeriod, Topic,
};
use madoguchi_domain::triage::{Overrides, Tree};
use madoguchi_server::testing::{Backend, TestServer};
use madoguchi_stories::{client_at, tokyo_desk};

#[tokio::test(flavor = "multi_thread")]
async fn a_call_made_offline_reaches_the_server_once_and_every_desk() {
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let a = tokyo_desk(&server, &token, "desk-a").await;
    let b = tokyo_desk(&server, &token, "desk-b").await;
    // Desk A is offline: its server address answers nothing.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let offline = client_at(&server, &token, "desk-a", format!("https://localhost:{closed}"));

    let tree = Tree::national();
    let now = Utc::now();
    let call = a.store.start_call(tree, "desk-a", now).await.unwrap();
    for (i, answer) in [0, 2, 0, 0, 0, 0].into_iter().enumerate() {
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
    // The prefecture's mails also come from its own address: every answer naming the senders
    // says it on every desk.
    let mut ours = Overrides::default();
    ours.facts.insert("送信元".into(), "info@g-mis.net・madoguchi@pref.example.lg.jp".into());
    // Its 保健所 answer login questions, and pharmacies report until 3月21日.
    let practice = Practice {
        health_centres: vec![HealthCentre {
            contact: WindowContact {
                name: "千代田保健所".into(),
                phone: "0352111234".into(),
                ..Default::default()
            },
            municipalities: vec!["千代田区".into()],
        }],
        routed: vec![Topic::Login],
        periods: vec![SchemePeriod {
            scheme: Scheme::Pharmacy,
            window: ReportingWindow::new(
                "2027-01-04".parse().unwrap(),
                "2027-03-21".parse().unwrap(),
            )
            .unwrap(),
        }],
        ..Practice::default()
    };
    let draft = PrefectureDraft { window, overrides: ours, practice, ..Default::default() };
    a.store.save_prefecture_settings(draft, "desk-a", now).await.unwrap();

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

    // Desk B sees the call as desk A recorded it (at the server's version 1), and the window
    // answers there too.
    let call = a.store.call(&call.id).await.unwrap();
    assert_eq!(call.version, 1);
    b.store.sync(&b.client).await.unwrap();
    let seen = b.store.calls().await.unwrap();
    assert_eq!(seen, std::slice::from_ref(&call));
    let settings = b.store.prefecture_settings().await.unwrap().unwrap();
    assert_eq!(settings.reporting_window, window);
    let practice = settings.practice_in_force();
    let said = tree.clone().with_overrides("13", &settings.triage_overrides).unwrap();
    let said = said.for_prefecture(&practice).for_caller(
        &practice,
        Caller::Medical,
        Some("東京都千代田区神田駿河台１－８－１３"),
    );
    assert!(said.nodes["mail_spam"].say.contains("madoguchi@pref.example.lg.jp"));
    let centre = &said.nodes["login_health_centre"].say;
    assert!(centre.contains("千代田保健所（電話 0352111234）"), "{centre}");
    let day = "2027-03-25".parse().unwrap();
    let (_, medical) = practice.reporting_answer(Caller::Medical, day);
    assert_eq!(medical.suggested_choice(), Some(1), "the common window, to 3月31日");
    let (_, pharmacy) = practice.reporting_answer(Caller::Pharmacy, day);
    assert_eq!(pharmacy, ReportingAnswer::After { ended: "2027-03-21".parse().unwrap() });
    // A call finished on A cannot be changed on B either.
    assert_eq!(
        madoguchi_domain::Coded::code(&b.store.back(&call.id, Utc::now()).await.unwrap_err()),
        "E-CALL-FINISHED"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_changed_on_two_desks_is_neither_lost_nor_overwritten() {
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let a = tokyo_desk(&server, &token, "desk-a").await;
    let b = tokyo_desk(&server, &token, "desk-b").await;
    let tree = Tree::national();
    let now = Utc::now();
    let at = |s: i64| now + Duration::seconds(s);
    let call = a.store.start_call(tree, "desk-a", now).await.unwrap();
    a.store.choose(tree, &call.id, 0, at(1)).await.unwrap();
    assert_eq!(a.store.sync(&a.client).await.unwrap().sent, 1);

    // A's next change reaches the server but its answer is lost (sent here as A sends it).
    let walked = a.store.choose(tree, &call.id, 2, at(2)).await.unwrap();
    assert_eq!(walked.version, 1);
    let r = server
        .client()
        .put(format!("{}/v1/calls/{}", server.url, call.id))
        .bearer_auth(&token)
        .json(&walked)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["version"], 2);
    // A walks on: its copy, made on version 1, only adds to the server's 2 and is sent on it.
    let walked = a.store.choose(tree, &call.id, 0, at(3)).await.unwrap();
    let report = a.store.sync(&a.client).await.unwrap();
    assert_eq!((report.sent, report.rejected), (1, 0));
    let on_a = a.store.call(&call.id).await.unwrap();
    assert_eq!((on_a.version, on_a.steps.len()), (3, walked.steps.len()));

    // B takes the call up while A, offline, answers the same question otherwise.
    b.store.sync(&b.client).await.unwrap();
    let on_b = b.store.choose(tree, &call.id, 1, at(4)).await.unwrap();
    a.store.choose(tree, &call.id, 0, at(5)).await.unwrap();
    assert_eq!(b.store.sync(&b.client).await.unwrap().sent, 1);
    let report = a.store.sync(&a.client).await.unwrap();
    assert_eq!((report.sent, report.rejected), (0, 1), "told, not stored");
    let status = a.store.sync_status().await.unwrap();
    assert_eq!((status.pending, status.rejected), (0, 1), "要確認, nothing left to send");
    // A shows B's walk now, and keeps its own beside it; the server kept B's.
    let shown = a.store.call(&call.id).await.unwrap();
    assert_eq!(shown.steps, on_b.steps);
    let kept: Option<String> = sqlx::query_scalar("SELECT conflict FROM records WHERE id = ?1")
        .bind(&call.id)
        .fetch_one(a.store.pool())
        .await
        .unwrap();
    let kept: madoguchi_domain::api::CallRecord = serde_json::from_str(&kept.unwrap()).unwrap();
    assert_eq!(kept.steps.last().unwrap().entered_at, madoguchi_domain::call::stamp(at(5)));
    let page = server.storage.changes("13".parse().unwrap(), 0, 1000).await.unwrap();
    let Some(Entity::Call(last)) =
        page.changes.iter().rev().map(|c| &c.entity).find(|e| matches!(e, Entity::Call(_)))
    else {
        panic!()
    };
    assert_eq!((last.version, &last.steps), (4, &on_b.steps));
}
