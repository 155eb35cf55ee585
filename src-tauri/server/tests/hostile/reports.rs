//! Finding 1: forged delivery reports. Every mail a notice sent carries its id and tag, so its
//! addressee can send reports "about" it: one report may make one event, repeats and reports
//! past the notice's bound change nothing, and no report clears a refused send.

use madoguchi_domain::delivery::MAX_REPORTS;
use madoguchi_domain::DeliveryState;
use madoguchi_server::testing::postfix::{to, BOUNCE_DOMAIN};
use madoguchi_server::testing::smtp::{report, send_to_listener, tag};
use madoguchi_server::testing::{form, Backend, TestServer};

use super::decision;

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_report_makes_one_event_and_replays_change_nothing() {
    let mut s = TestServer::start(Backend::Sqlite).await;
    let _relay = s.with_postfix().await;
    let listener = s.mail.as_ref().unwrap().inbound.as_ref().unwrap().addr;
    let token = s.officer("13").await;
    let form = madoguchi_domain::ApplicationForm { email: to::CLINIC.into(), ..form("13", 1) };
    let notice = s.approve(&token, &form).await;
    s.settled(&token, notice.id, DeliveryState::Sent).await;
    let message_id = s.storage.notice_message_id(notice.id).await.unwrap().unwrap();
    let rcpt = format!("bounce+{}@{BOUNCE_DOMAIN}", tag(&message_id));
    let quiet = decision(&s, &token, 100).await;

    // 2,000 `delayed` groups in one 160 KB report, while the officer decides.
    let groups: Vec<_> = (0..2000)
        .map(|n| ("delayed", "4.2.2", format!("452 4.2.2 mailbox full, attempt {n}")))
        .collect();
    let forged = report(&message_id, &groups);
    assert!(forged.len() > 150_000, "{}", forged.len());
    let started = std::time::Instant::now();
    let (reply, during) =
        tokio::join!(send_to_listener(listener, &rcpt, &forged), decision(&s, &token, 101));
    assert!(reply.starts_with("250"), "{reply}");
    println!(
        "forged report settled in {:?}; decision quiet {quiet:?}, during {during:?}",
        started.elapsed()
    );
    let got = s.settled(&token, notice.id, DeliveryState::Deferred).await;
    let states: Vec<_> = got.delivery.history.iter().map(|e| e.state).collect();
    assert_eq!(
        states,
        [DeliveryState::Queued, DeliveryState::Sent, DeliveryState::Deferred],
        "one report, one event"
    );

    // The same report again, and then many different ones: the history stays bounded.
    send_to_listener(listener, &rcpt, &forged).await;
    for n in 0..(MAX_REPORTS + 5) {
        let one = [("delayed", "4.2.2", format!("452 4.2.2 later, round {n}"))];
        assert!(send_to_listener(listener, &rcpt, &report(&message_id, &one))
            .await
            .starts_with("250"));
    }
    let got = s.notices(&token).await.into_iter().find(|n| n.id == notice.id).unwrap();
    assert_eq!(got.delivery.history.len(), 2 + MAX_REPORTS, "{:#?}", got.delivery.history);
    let counts: std::collections::BTreeMap<String, i64> =
        s.storage.inbound_counts().await.unwrap().into_iter().collect();
    assert_eq!(counts.get("matched"), Some(&(MAX_REPORTS as i64 + 7)), "every report counted");
    s.mail.take().unwrap().shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_report_turns_a_refused_send_into_delivered() {
    let mut s = TestServer::start(Backend::Sqlite).await;
    let _relay = s.with_postfix().await;
    let listener = s.mail.as_ref().unwrap().inbound.as_ref().unwrap().addr;
    let token = s.officer("13").await;
    let form =
        madoguchi_domain::ApplicationForm { email: to::FULL_AT_RCPT.into(), ..form("13", 2) };
    let notice = s.approve(&token, &form).await;
    let failed = s.settled(&token, notice.id, DeliveryState::Failed).await;
    let message_id = s.storage.notice_message_id(notice.id).await.unwrap().unwrap();
    let rcpt = format!("bounce+{}@{BOUNCE_DOMAIN}", tag(&message_id));
    for action in ["delivered", "delayed"] {
        let one = [(action, "2.0.0", "250 2.0.0 ok".to_owned())];
        assert!(send_to_listener(listener, &rcpt, &report(&message_id, &one))
            .await
            .starts_with("250"));
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let got = s.notices(&token).await.into_iter().find(|n| n.id == notice.id).unwrap();
    assert_eq!(got.delivery, failed.delivery, "still 送信失敗, as the relay said");
    assert!(got.delivery.state.is_trouble());
    s.mail.take().unwrap().shutdown().await;
}
