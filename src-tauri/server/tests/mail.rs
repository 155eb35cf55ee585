//! 通知メールの配信, with real peers: a private Postfix as the prefecture's relay (STARTTLS and
//! smtps), its own bounces coming back to the server's listener, its refusals at RCPT, and
//! misbehaving relays and senders on raw sockets. (Postfix runs on Linux only: not under Wine.)
#![cfg(unix)]

use std::time::Duration;

use madoguchi_domain::api::{Entity, Notice};
use madoguchi_domain::{BounceCategory, DeliveryState};
use madoguchi_server::mail::{Relay, Settings};
use madoguchi_server::testing::postfix::{to, BOUNCE_DOMAIN};
use madoguchi_server::testing::smtp::{raw_relay, send_to_listener, tag, AtDataEnd};
use madoguchi_server::testing::{form_to, Backend, TestServer, BACKENDS};
use tokio::io::AsyncWriteExt;

#[tokio::test(flavor = "multi_thread")]
async fn notices_go_through_the_relay_and_what_comes_back_is_on_each_notice() {
    for backend in BACKENDS {
        let mut s = TestServer::start(backend).await;
        let relay = s.with_postfix().await;
        let token = s.officer("13").await;
        let fates = [
            (to::CLINIC, DeliveryState::Sent, None, None),
            (to::UNKNOWN_LOCAL, DeliveryState::Bounced, Some(BounceCategory::NoSuchUser), None),
            (to::FULL, DeliveryState::Bounced, Some(BounceCategory::MailboxFull), None),
            (to::FULL_AT_RCPT, DeliveryState::Failed, Some(BounceCategory::MailboxFull), Some(552)),
            (
                to::NO_USER_AT_RCPT,
                DeliveryState::Failed,
                Some(BounceCategory::NoSuchUser),
                Some(550),
            ),
            (to::SPAM_AT_RCPT, DeliveryState::Failed, Some(BounceCategory::Rejected), Some(550)),
        ];
        let mut notices = Vec::new();
        for (n, (address, ..)) in fates.iter().enumerate() {
            notices.push(s.approve(&token, &form_to("13", n + 1, address)).await);
        }
        for (notice, (address, state, category, code)) in notices.iter().zip(fates) {
            assert_eq!(notice.delivery.state, DeliveryState::Queued, "a new notice waits");
            let got = s.settled(&token, notice.id, state).await;
            assert_eq!(
                got.delivery.category,
                category,
                "{backend:?} {address}: {:#?}\n{}",
                got.delivery,
                relay.log()
            );
            if code.is_some() {
                assert_eq!(got.delivery.smtp_code, code, "{address}: {:#?}", got.delivery);
            }
            assert!(got.delivery.diagnostic.is_some(), "{address}: the relay's words are kept");
            assert_eq!(got.delivery.attempts, 1, "{address}: sent once");
            let states: Vec<_> = got.delivery.history.iter().map(|e| e.state).collect();
            match state {
                DeliveryState::Bounced => {
                    assert_eq!(
                        states,
                        [DeliveryState::Queued, DeliveryState::Sent, DeliveryState::Bounced]
                    );
                    let status = got.delivery.enhanced_status.as_deref().unwrap();
                    assert!(["5.1.1", "5.2.2"].contains(&status), "{status}");
                }
                _ => assert_eq!(states, [DeliveryState::Queued, state]),
            }
        }
        // The mail that was delivered: Japanese subject and body, JST date, our envelope sender.
        let delivered = relay.delivered_titled("clinic", &notices[0].subject);
        assert_eq!(delivered.len(), 1, "one notice, one mail");
        let checks =
            relay.delivered_titled("clinic", &madoguchi_domain::notice::address_check("", 0, "").0);
        assert_eq!(checks.len(), 1, "and before it, the 疎通確認 mail");
        let mail = mail_parser::MessageParser::default().parse(&delivered[0]).unwrap();
        assert_eq!(mail.subject(), Some(notices[0].subject.as_str()));
        let body = mail.body_text(0).unwrap().replace("\r\n", "\n");
        assert!(body.contains("テスト病院1 ご担当者様"), "{body}");
        assert!(body.contains("ユーザ名（ログインID）："), "{body}");
        // The password-setting link is in the mail and nowhere else: not in the decision's
        // answer, /v1/notices, or the feed.
        assert!(body.contains("https://www.med-login.mhlw.go.jp/login?c="), "{body}");
        assert!(notices[0].body.contains(madoguchi_domain::notice::LINK_SENT));
        assert!(!notices[0].body.contains("login?c="), "{}", notices[0].body);
        for n in s.notices(&token).await {
            assert!(!n.body.contains("login?c="), "{}", n.body);
        }
        let raw = String::from_utf8_lossy(&delivered[0]);
        assert!(raw.contains("+0900"), "Date in JST: {raw}");
        let return_path = mail.return_path().as_text().unwrap_or_default().to_owned();
        assert!(
            return_path.starts_with(&format!("bounce+{}.", notices[0].id))
                && return_path.ends_with(BOUNCE_DOMAIN),
            "{return_path}"
        );
        // The feed carries each notice's delivery; the two bounces were matched.
        let page = s.changes(&token, 0).await;
        let bounced_in_feed = page.changes.iter().any(|c| {
            matches!(&c.entity, Entity::Notice(n) if n.id == notices[2].id && n.delivery.state == DeliveryState::Bounced)
        });
        assert!(bounced_in_feed, "desks learn of the bounce through the feed");
        let feed_text = serde_json::to_string(&page).unwrap();
        assert!(!feed_text.contains("login?c="), "no password link in the feed");
        let counts = s.storage.inbound_counts().await.unwrap();
        // The approvals' two bounces, and those of the same addresses' 疎通確認 mails.
        assert_eq!(counts, vec![("matched".to_owned(), 4)], "{backend:?}");
        s.mail.take().unwrap().shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn implicit_tls_and_temporary_refusals_retry_without_sending_twice() {
    let mut s = TestServer::start(Backend::Sqlite).await;
    let bounce: std::net::SocketAddr =
        ([127, 0, 0, 1], madoguchi_server::testing::postfix::free_port()).into();
    let relay = madoguchi_server::testing::postfix::Postfix::start(
        s.dir.path(),
        bounce,
        &s.certs.cert_path,
        &s.certs.key_path,
    );
    let mut settings = s.mail_settings(relay.smtps);
    let mut smtps = Relay::parse(&format!("smtps://localhost:{}", relay.smtps.port())).unwrap();
    smtps.ca_pem = Some(s.certs.ca_pem.clone().into_bytes());
    settings.relay = Some(smtps);
    settings.bounce_listen = Some(bounce);
    s.start_mail(settings).await;
    let token = s.officer("13").await;
    let ok = s.approve(&token, &form_to("13", 1, to::CLINIC)).await;
    let later = s.approve(&token, &form_to("13", 2, to::LATER_AT_RCPT)).await;
    s.settled(&token, ok.id, DeliveryState::Sent).await;
    // 450 at RCPT: back in the queue with the relay's words and a time for the next try.
    let mut waiting = None;
    for _ in 0..100 {
        let n = s.notices(&token).await.into_iter().find(|n| n.id == later.id).unwrap();
        if n.delivery.attempts == 1 {
            waiting = Some(n);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let waiting = waiting.expect("one attempt made");
    assert_eq!(waiting.delivery.state, DeliveryState::Queued);
    assert_eq!(waiting.delivery.smtp_code, Some(450));
    assert!(waiting.delivery.diagnostic.as_deref().unwrap().contains("try again later"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let still = s.notices(&token).await.into_iter().find(|n| n.id == later.id).unwrap();
    assert_eq!(still.delivery.attempts, 1, "the retry waits its backoff (a minute)");
    assert_eq!(relay.delivered_titled("clinic", &ok.subject).len(), 1);
    s.mail.take().unwrap().shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_relay_that_drops_or_hangs_mid_data_gets_each_notice_once() {
    for drop_it in [true, false] {
        let mut s = TestServer::start(Backend::Sqlite).await;
        let at_end = if drop_it { AtDataEnd::Drop } else { AtDataEnd::Hang };
        let (addr, mut received) = raw_relay(at_end).await;
        let mut settings = s.mail_settings(addr);
        settings.relay =
            Some(Relay::parse(&format!("smtp://127.0.0.1:{}?tls=none", addr.port())).unwrap());
        settings.bounce_listen = None;
        settings.timeout = Duration::from_millis(700);
        s.start_mail(settings).await;
        let token = s.officer("13").await;
        let notice = s.approve(&token, &form_to("13", 1, "jimu@hospital.example.jp")).await;
        let failed = s.settled(&token, notice.id, DeliveryState::Failed).await;
        let said = failed.delivery.diagnostic.unwrap();
        assert!(said.contains("再送していません"), "{said}");
        assert_eq!(failed.delivery.category, None, "not a refusal: uncertain");
        tokio::time::sleep(Duration::from_secs(2)).await;
        let mut copies = 0;
        while let Ok(message) = received.try_recv() {
            if message.contains(&format!("Message-ID: <notice-{}.", notice.id)) {
                assert!(message.len() > 1000, "the whole message went");
                copies += 1;
            }
        }
        assert_eq!(copies, 1, "never sent a second time");
        s.mail.take().unwrap().shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sent_notices_stored_copy_loses_its_links() {
    let mut s = TestServer::start(Backend::Sqlite).await;
    let relay = s.with_postfix().await;
    let token = s.officer("13").await;
    let notice = s.approve(&token, &form_to("13", 1, to::CLINIC)).await;
    s.settled(&token, notice.id, DeliveryState::Sent).await;
    let stored = s.storage.mail_of(notice.application_id).await.unwrap();
    assert!(stored.iter().any(|m| m.body.contains("?t=")), "kept until the housekeeping");
    assert_eq!(s.storage.remove_sent_links("2026-01-01T00:00:00Z").await.unwrap(), 0, "not yet");
    let later = madoguchi_server::clock::stamp(chrono::Utc::now() + chrono::Duration::hours(1));
    assert_eq!(s.storage.remove_sent_links(&later).await.unwrap(), 2, "the check and the issuance");
    for mail in s.storage.mail_of(notice.application_id).await.unwrap() {
        for token in ["?t=", "?c=", "?r="] {
            assert!(!mail.body.contains(token), "{:?}: {}", mail.kind, mail.body);
        }
    }
    // The mails as delivered had them; the desks' copies are as before.
    let delivered = relay.delivered_titled("clinic", &notice.subject);
    assert_eq!(delivered.len(), 1);
    let listed = s.notices(&token).await.into_iter().find(|n| n.id == notice.id).unwrap();
    assert_eq!(listed.body, notice.body);
    assert_eq!(s.storage.remove_sent_links(&later).await.unwrap(), 0, "once");
    s.mail.take().unwrap().shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_relays_password_never_goes_without_tls() {
    let mut s = TestServer::start(Backend::Sqlite).await;
    let (addr, mut received) = raw_relay(AtDataEnd::Drop).await;
    let mut settings = s.mail_settings(addr);
    settings.bounce_listen = None;
    let plain = format!("smtp://madoguchi:secret@127.0.0.1:{}?tls=none", addr.port());
    settings.relay = Some(Relay::parse(&plain).unwrap());
    let refused = madoguchi_server::mail::Service::start(
        s.storage.clone(),
        settings.clone(),
        s.metrics.clone(),
    )
    .await;
    assert_eq!(refused.err(), Some(madoguchi_server::mail::MailConfigError::AuthWithoutTls));
    // Opportunistic, and the relay offers no STARTTLS: the notice waits, the password stays.
    let maybe = format!("smtp://madoguchi:secret@127.0.0.1:{}?tls=opportunistic", addr.port());
    settings.relay = Some(Relay::parse(&maybe).unwrap());
    s.start_mail(settings).await;
    let token = s.officer("13").await;
    let notice = s.approve(&token, &form_to("13", 1, "jimu@hospital.example.jp")).await;
    let mut said = String::new();
    for _ in 0..100 {
        let n = s.notices(&token).await.into_iter().find(|n| n.id == notice.id).unwrap();
        if let Some(d) = n.delivery.diagnostic {
            assert_eq!(n.delivery.state, DeliveryState::Queued, "tried again later");
            said = d;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(said.contains("パスワードを送っていません"), "{said:?}");
    assert!(received.try_recv().is_err(), "nothing was sent");
    s.mail.take().unwrap().shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_send_cut_short_by_a_stopped_server_is_not_repeated_and_no_relay_holds_mail() {
    let mut s = TestServer::start(Backend::Sqlite).await;
    let token = s.officer("13").await;
    // No relay: the server runs and the notice waits.
    s.start_mail(Settings::default()).await;
    let notice = s.approve(&token, &form_to("13", 1, to::CLINIC)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let held = s.notices(&token).await.into_iter().find(|n| n.id == notice.id).unwrap();
    assert_eq!((held.delivery.state, held.delivery.attempts), (DeliveryState::Queued, 0));
    s.mail.take().unwrap().shutdown().await;
    // A process claimed it and died before the relay answered (its lease is over).
    assert!(s
        .storage
        .claim_notice(notice.id, "<notice-1.dead@x>", "2000-01-01T00:00:00.000Z")
        .await
        .unwrap());
    let relay = s.with_postfix().await;
    let failed = s.settled(&token, notice.id, DeliveryState::Failed).await;
    assert!(failed.delivery.diagnostic.unwrap().contains("サーバーが停止"));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        relay.delivered_titled("clinic", &notice.subject).is_empty(),
        "not sent after the stop"
    );
    s.mail.take().unwrap().shutdown().await;
}

/// The report fixtures (`tests/bounces/*.eml`) with the notice's addresses filled in.
fn fixture(name: &str, notice: &Notice, message_id: &str) -> Vec<u8> {
    let path = format!("{}/tests/bounces/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let tag = tag(message_id);
    text.replace("{MESSAGE_ID}", message_id)
        .replace("{ENVID}", tag)
        .replace("{TO}", &notice.to)
        .replace("{BOUNCE}", &format!("bounce+{tag}@{BOUNCE_DOMAIN}"))
        .into_bytes()
}

#[tokio::test(flavor = "multi_thread")]
async fn reports_of_other_systems_are_matched_and_bad_mail_is_kept_aside() {
    let mut s = TestServer::start(Backend::Sqlite).await;
    let relay = s.with_postfix().await;
    let listener = s.mail.as_ref().unwrap().inbound.as_ref().unwrap().addr;
    let token = s.officer("13").await;
    // (fixture, expected state, category, enhanced status)
    let cases = [
        (
            "exchange_ja.eml",
            DeliveryState::Bounced,
            Some(BounceCategory::MailboxFull),
            Some("5.2.2"),
        ),
        (
            "exchange_en.eml",
            DeliveryState::Bounced,
            Some(BounceCategory::NoSuchUser),
            Some("5.1.1"),
        ),
        ("gmail.eml", DeliveryState::Bounced, Some(BounceCategory::NoSuchUser), Some("5.1.1")),
        (
            "postfix_plain.eml",
            DeliveryState::Bounced,
            Some(BounceCategory::Rejected),
            Some("5.7.1"),
        ),
        (
            "rfc3464_delayed.eml",
            DeliveryState::Deferred,
            Some(BounceCategory::MailboxFull),
            Some("4.2.2"),
        ),
        ("rfc3464_delivered.eml", DeliveryState::Delivered, None, Some("2.0.0")),
    ];
    for (n, (name, state, category, status)) in cases.iter().enumerate() {
        let notice = s.approve(&token, &form_to("13", n + 1, to::CLINIC)).await;
        s.settled(&token, notice.id, DeliveryState::Sent).await;
        let message_id = s.storage.notice_message_id(notice.id).await.unwrap().unwrap();
        let tag = tag(&message_id);
        // Exchange and Gmail bounce to the envelope sender; the rest only name the Message-ID
        // or envelope id, and come to a plain address of the bounce domain.
        let rcpt = if n < 3 {
            format!("bounce+{tag}@{BOUNCE_DOMAIN}")
        } else {
            format!("postmaster@{BOUNCE_DOMAIN}")
        };
        let reply = send_to_listener(listener, &rcpt, &fixture(name, &notice, &message_id)).await;
        assert!(reply.starts_with("250"), "{name}: {reply}");
        let got = s.settled(&token, notice.id, *state).await;
        assert_eq!(got.delivery.category, *category, "{name}: {:#?}", got.delivery);
        assert_eq!(got.delivery.enhanced_status.as_deref(), *status, "{name}");
    }
    let victim = s.approve(&token, &form_to("13", 50, to::CLINIC)).await;
    s.settled(&token, victim.id, DeliveryState::Sent).await;
    let real_id = s.storage.notice_message_id(victim.id).await.unwrap().unwrap();
    // Forged: the right notice id with a made-up tag is no match; neither is an unknown id.
    let forged = format!("<notice-{}.00000000deadbeef@{BOUNCE_DOMAIN}>", victim.id);
    let reply = send_to_listener(
        listener,
        &format!("bounce+{}.00000000deadbeef@{BOUNCE_DOMAIN}", victim.id),
        &fixture("gmail.eml", &victim, &forged),
    )
    .await;
    assert!(reply.starts_with("250"), "{reply}");
    let unknown = "<notice-999999.0123456789abcdef@bounce.madoguchi.test>";
    send_to_listener(
        listener,
        &format!("postmaster@{BOUNCE_DOMAIN}"),
        &fixture("exchange_en.eml", &victim, unknown),
    )
    .await;
    // Not a report at all; garbage; too big; not for the bounce domain; dropped mid-DATA.
    let hello = b"From: someone@example.jp\r\nSubject: hello\r\n\r\nplease call me\r\n";
    send_to_listener(listener, &format!("info@{BOUNCE_DOMAIN}"), hello).await;
    send_to_listener(listener, &format!("info@{BOUNCE_DOMAIN}"), &[0xff, 0xfe, b'\n', 0x00, b'x'])
        .await;
    let huge = [vec![b'a'; 998], b"\r\n".to_vec()].concat().repeat(3 * 1024);
    let reply = send_to_listener(listener, &format!("info@{BOUNCE_DOMAIN}"), &huge).await;
    assert!(reply.starts_with("552"), "{reply}");
    let reply = send_to_listener(listener, "someone@example.jp", hello).await;
    assert!(reply.starts_with("550"), "no relaying: {reply}");
    {
        let mut raw = tokio::net::TcpStream::connect(listener).await.unwrap();
        raw.write_all(b"EHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<postmaster@bounce.madoguchi.test>\r\nDATA\r\nSubject: half").await.unwrap();
        drop(raw);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let untouched = s.notices(&token).await.into_iter().find(|n| n.id == victim.id).unwrap();
    assert_eq!(
        untouched.delivery.state,
        DeliveryState::Sent,
        "forged and unknown reports change nothing"
    );
    assert_eq!(s.storage.notice_message_id(victim.id).await.unwrap().unwrap(), real_id);
    let counts: std::collections::BTreeMap<String, i64> =
        s.storage.inbound_counts().await.unwrap().into_iter().collect();
    assert_eq!(counts.get("matched"), Some(&6), "{counts:?}");
    assert_eq!(counts.get("unmatched"), Some(&2), "{counts:?}");
    assert_eq!(counts.get("not_report"), Some(&2), "{counts:?}");
    assert_eq!(counts.get("too_large"), Some(&1), "{counts:?}");
    drop(relay);
    s.mail.take().unwrap().shutdown().await;
}
