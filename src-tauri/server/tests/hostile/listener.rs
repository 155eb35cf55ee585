//! Findings 2–4: the bounce listener under a flood of recipients, of mail, and of sessions
//! that never read their replies. Each attack comes from 127.0.0.1; a real reporting MTA on
//! 127.0.0.2 must still get its report in.

use std::net::IpAddr;
use std::time::Duration;

use madoguchi_server::mail::InboundLimits;
use madoguchi_server::testing::postfix::BOUNCE_DOMAIN;
use madoguchi_server::testing::smtp::{connect_from, send_from, Client};
use madoguchi_server::testing::{Backend, TestServer};
use tokio::io::AsyncWriteExt;

use madoguchi_server::testing::rss_mib;

const ATTACKER: [u8; 4] = [127, 0, 0, 1];
const MTA: [u8; 4] = [127, 0, 0, 2];

/// A server taking bounces (no relay) under `limits`; the listener's address.
async fn listening(limits: InboundLimits) -> (TestServer, std::net::SocketAddr) {
    let mut s = TestServer::start(Backend::Sqlite).await;
    let addr = s.take_bounces(limits).await;
    (s, addr)
}

/// A mail that is no report, as an MTA might send to the bounce domain.
fn hello() -> &'static [u8] {
    b"From: someone@example.jp\r\nSubject: hello\r\n\r\nplease call me\r\n"
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_recipients_is_cut_off_and_the_address_shut_out() {
    let limits = InboundLimits::default();
    let (mut s, listener) = listening(limits).await;
    let before = rss_mib();
    for session in 0..limits.strikes {
        let stream = connect_from(ATTACKER.into(), listener).await.unwrap();
        let mut c = Client::open(stream).await.unwrap();
        c.command("EHLO flood").await.unwrap();
        c.command("MAIL FROM:<>").await.unwrap();
        let mut accepted = 0;
        let mut last = String::new();
        for n in 0..20_000 {
            let rcpt = format!("RCPT TO:<{}{n}@{BOUNCE_DOMAIN}>", "x".repeat(200));
            match c.command(&rcpt).await {
                Ok(reply) if reply.starts_with("250") => accepted += 1,
                Ok(reply) if reply.is_empty() => break,
                Ok(reply) => last = reply,
                Err(_) => break,
            }
        }
        assert_eq!(accepted, limits.max_recipients, "session {session}: capped");
        assert!(last.starts_with("421"), "closed after {} refusals: {last}", limits.max_errors);
    }
    let grown = rss_mib() - before;
    println!("RSS after {} RCPT floods: +{grown:.1} MiB", limits.strikes);
    assert!(grown < 20.0, "+{grown:.1} MiB");
    // Shut out for a while; a real MTA elsewhere is not.
    let stream = connect_from(ATTACKER.into(), listener).await.unwrap();
    let refused = Client::open(stream).await.unwrap().banner;
    assert!(refused.starts_with("421"), "{refused}");
    let reply =
        send_from(MTA.into(), listener, &format!("postmaster@{BOUNCE_DOMAIN}"), hello()).await;
    assert!(reply.starts_with("250"), "{reply}");
    s.mail.take().unwrap().shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn received_mail_is_bounded_in_rows_and_bytes_and_counted_whole() {
    let limits = InboundLimits { max_rows: 40, ..Default::default() };
    let (mut s, listener) = listening(limits).await;
    let body = [b"X-Filler: ".to_vec(), vec![b'a'; 990], b"\r\n".to_vec()].concat();
    let big = [hello().to_vec(), body.repeat(300)].concat(); // ~300 KB each
    let rcpt = format!("postmaster@{BOUNCE_DOMAIN}");
    for n in 0..100 {
        let from: IpAddr = [127, 0, 1, (n % 10) as u8 + 1].into();
        let reply = send_from(from, listener, &rcpt, &big).await;
        assert!(reply.starts_with("250"), "{n}: {reply}");
    }
    let rows = s.storage.inbound_rows().await.unwrap();
    assert_eq!(rows, limits.max_rows, "the oldest went");
    let counts: std::collections::BTreeMap<String, i64> =
        s.storage.inbound_counts().await.unwrap().into_iter().collect();
    assert_eq!(counts.get("not_report"), Some(&100), "every mail counted: {counts:?}");
    let far = madoguchi_server::clock::stamp(chrono::Utc::now() + chrono::Duration::days(1));
    assert_eq!(s.storage.prune_inbound(&far).await.unwrap(), limits.max_rows as u64);
    assert_eq!(s.storage.inbound_rows().await.unwrap(), 0);
    s.mail.take().unwrap().shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_address_sends_its_rate_of_mail_and_is_told_to_come_back() {
    let limits = InboundLimits::default();
    let (mut s, listener) = listening(limits).await;
    let rcpt = format!("postmaster@{BOUNCE_DOMAIN}");
    let mut replies = Vec::new();
    for _ in 0..limits.mail_burst + 5 {
        replies.push(send_from(ATTACKER.into(), listener, &rcpt, hello()).await);
    }
    let taken = replies.iter().filter(|r| r.starts_with("250")).count();
    assert_eq!(taken, limits.mail_burst as usize, "{replies:?}");
    assert!(replies.last().unwrap().starts_with("421"), "try again later: {replies:?}");
    let other = send_from(MTA.into(), listener, &rcpt, hello()).await;
    assert!(other.starts_with("250"), "another address has its own rate: {other}");
    s.mail.take().unwrap().shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_that_never_read_cannot_shut_the_listener() {
    let limits = InboundLimits {
        write: Duration::from_secs(1),
        idle: Duration::from_secs(2),
        session: Duration::from_secs(6),
        ..Default::default()
    };
    let (mut s, listener) = listening(limits).await;
    // 64 connections from one address, each pipelining NOOPs and never reading a reply.
    let mut flood = Vec::new();
    for _ in 0..64 {
        flood.push(tokio::spawn(async move {
            let Ok(mut stream) = connect_from(ATTACKER.into(), listener).await else { return };
            let noops = b"NOOP\r\n".repeat(10_000);
            for _ in 0..100 {
                if stream.write_all(&noops).await.is_err() {
                    return;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let reply =
        send_from(MTA.into(), listener, &format!("postmaster@{BOUNCE_DOMAIN}"), hello()).await;
    assert!(reply.starts_with("250"), "a real MTA gets in during the flood: {reply}");
    for f in flood {
        tokio::time::timeout(Duration::from_secs(30), f)
            .await
            .expect("every flooding connection is dropped")
            .unwrap();
    }
    // A session that goes quiet is told so; one that talks slowly forever ends at its lifetime.
    let stream = connect_from(MTA.into(), listener).await.unwrap();
    let mut quiet = Client::open(stream).await.unwrap();
    let said = tokio::time::timeout(Duration::from_secs(10), quiet.reply()).await.unwrap().unwrap();
    assert!(said.starts_with("421"), "{said}");
    let stream = connect_from([127, 0, 0, 3].into(), listener).await.unwrap();
    let mut slow = Client::open(stream).await.unwrap();
    let mut answered = 0;
    for _ in 0..40 {
        match slow.command("NOOP").await {
            Ok(r) if r.starts_with("250") => answered += 1,
            _ => break,
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!((5..30).contains(&answered), "ended by its lifetime after {answered} NOOPs");
    s.mail.take().unwrap().shutdown().await;
}
