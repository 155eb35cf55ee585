//! 「メールが届かない」 from the facts: an application approved on one desk is mailed through a
//! real relay (a private Postfix); the relay bounces it back to the server (mailbox full);
//! another desk sees 不達 in the queue and the detail, and a call about it starts at the
//! full-mailbox branch instead of asking.

use std::time::Duration;

use madoguchi_domain::delivery::MailFact;
use madoguchi_domain::{ApplicationForm, Code, DeliveryState};
use madoguchi_server::testing::postfix::to;
use madoguchi_server::testing::{form, Backend, TestServer};
use madoguchi_stories::{connected_desk, server_notice};

#[tokio::test(flavor = "multi_thread")]
async fn a_bounce_reaches_every_desk_and_the_call_starts_from_it() {
    let mut server = TestServer::start(Backend::Sqlite).await;
    let relay = server.with_postfix().await;
    let token = server.officer("13").await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = connected_desk(&server, &token, &dir_a, "窓口A").await;
    let b = connected_desk(&server, &token, &dir_b, "窓口B").await;
    let clinic =
        server.submit(&ApplicationForm { email: to::CLINIC.into(), ..form("13", 1) }).await.id;
    let full = server.submit(&ApplicationForm { email: to::FULL.into(), ..form("13", 2) }).await.id;

    // Desk A approves both.
    a.sync_now().await.unwrap();
    for id in [clinic, full] {
        a.decide(id, madoguchi_domain::Action::StartReview, None).await.unwrap();
        a.decide(id, madoguchi_domain::Action::ApproveNewAccount, None).await.unwrap();
    }
    let report = a.sync_now().await.unwrap();
    assert_eq!((report.sent, report.rejected), (4, 0));

    // The relay took both; one reached the mailbox with its Japanese subject and body …
    let sent = server_notice(&server, &token, clinic, DeliveryState::Sent).await;
    let mut delivered = Vec::new();
    for _ in 0..100 {
        delivered = relay.delivered_titled("clinic", &sent.subject);
        if !delivered.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mail = mail_parser::MessageParser::default().parse(&delivered[0]).unwrap();
    assert_eq!(
        mail.subject(),
        Some("【厚生労働省G-MIS事務局】G-MISのご利用準備完了に伴うパスワード登録のご依頼")
    );
    let body = mail.body_text(0).unwrap();
    assert!(
        body.contains("テスト病院1 ご担当者様") && body.contains("ユーザ名（ログインID）：GM"),
        "{body}"
    );
    assert_eq!(sent.delivery.attempts, 1);
    // … and the other came back: mailbox full.
    let bounced = server_notice(&server, &token, full, DeliveryState::Bounced).await;
    assert_eq!(bounced.delivery.category, Some(madoguchi_domain::BounceCategory::MailboxFull));

    // Desk B: the queue flags it, the detail tells the story in Japanese.
    b.sync_now().await.unwrap();
    let row = b.queue_entry(full).await.unwrap();
    let flag = row.flags.iter().find(|f| f.code == Code::FlagMailUndelivered).expect("flagged");
    assert_eq!(flag.message, "アカウント発行通知メールが不達です（メールボックスの容量超過）。");
    assert!(b
        .queue_entry(clinic)
        .await
        .unwrap()
        .flags
        .iter()
        .all(|f| f.code != Code::FlagMailUndelivered));
    let history = b.history(full).await.unwrap();
    let steps: Vec<&str> = history.notices[0].steps.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(steps[..2], ["送信待ち", "送信済み（メールサーバーが受け取りました）"]);
    assert!(steps[2].starts_with("不達：メールボックスの容量超過（552 5.2.2"), "{steps:?}");

    // A call about it: 「アカウント発行通知メールが届かない」, then linked — it goes on from the facts.
    let call = b.start_call().await.unwrap();
    let call = b.choose(&call.id, 0).await.unwrap();
    assert_eq!(call.steps.last().unwrap().node, "mail_applied");
    let links = madoguchi_core::calls::CallLinks { institution: None, application_id: Some(full) };
    let call = b.link_call(&call.id, links).await.unwrap();
    assert_eq!(call.steps.last().unwrap().node, "bounced_mailbox_full", "{:#?}", call.steps);
    let answer = call.steps[call.steps.len() - 2].answer.clone().unwrap();
    assert!(answer.starts_with("記録から：") && answer.contains("fu***@example.jp"), "{answer}");
    assert!(!answer.contains(to::FULL), "the address is masked where it is read to a caller");
    let facts = b.call_mail_facts(&call.id).await.unwrap().unwrap();
    assert_eq!(facts.fact, MailFact::MailboxFull);
    // The officer can still walk by hand: back to the question.
    let back = b.back(&call.id).await.unwrap();
    assert_eq!(back.steps.last().unwrap().node, "mail_applied");

    // Linked first, then asked: the same.
    let call = b.start_call().await.unwrap();
    let call = b
        .link_call(
            &call.id,
            madoguchi_core::calls::CallLinks { institution: None, application_id: Some(clinic) },
        )
        .await
        .unwrap();
    assert_eq!(call.steps.last().unwrap().node, "start", "facts only answer the mail question");
    let call = b.choose(&call.id, 0).await.unwrap();
    assert_eq!(
        call.steps.last().unwrap().node,
        "mail_spam",
        "sent and nothing came back: the spam folder"
    );
    server.mail.take().unwrap().shutdown().await;
}

/// The senders callers are told to allow include the address this server's notices really
/// come from (its `MADOGUCHI_MAIL_FROM`, here the default info@g-mis.net), even where the
/// prefecture's own list left it out: the feed says it, the desk adds it.
#[tokio::test(flavor = "multi_thread")]
async fn the_servers_own_sender_is_among_those_callers_allow() {
    use madoguchi_core::prefecture::PrefectureDraft;
    use madoguchi_domain::triage::Overrides;

    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let dir = tempfile::tempdir().unwrap();
    let desk = connected_desk(&server, &token, &dir, "窓口A").await;
    let mut overrides = Overrides::default();
    overrides.facts.insert("送信元".into(), "helpdesk@gmis.mhlw.go.jp".into());
    overrides.facts.insert("受信許可ドメイン".into(), "gmis.mhlw.go.jp".into());
    let draft = PrefectureDraft { overrides, ..Default::default() };
    desk.save_prefecture_settings(draft).await.unwrap();
    desk.sync_now().await.unwrap();
    assert_eq!(desk.store().server_sender().await.unwrap().as_deref(), Some("info@g-mis.net"));
    let tree = desk.triage_tree().await.unwrap();
    let spam = &tree.nodes["spam_safe_sender"].say;
    assert!(spam.contains("送信元 helpdesk@gmis.mhlw.go.jp・info@g-mis.net を"), "{spam}");
    assert!(spam.contains("gmis.mhlw.go.jp・g-mis.net からのメール"), "{spam}");
}
