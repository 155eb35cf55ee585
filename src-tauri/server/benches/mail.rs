//! `cargo xtask bench mail`: 1,000 notices handed to a loopback relay (a private Postfix,
//! STARTTLS, delivering to a maildir as it goes), and 1,000 delivery reports received by the
//! bounce listener over SMTP (four connections at once), parsed and matched to their notices. Each figure is the time
//! from start to the last notice settled, on SQLite.

use std::time::{Duration, Instant};

use madoguchi_domain::api::{DecisionRequest, SubmittedBy};
use madoguchi_domain::{Action, ApplicationForm, DeliveryState};
use madoguchi_server::storage::Decision;
use madoguchi_server::testing::postfix::{free_port, to, Postfix, BOUNCE_DOMAIN};
use madoguchi_server::testing::{form, Backend, TestServer};
use madoguchi_server::tokens::token_hash;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

static NOTICES: std::sync::LazyLock<usize> =
    std::sync::LazyLock::new(|| madoguchi_server::testing::bench_size(1000, 40));

/// Waits until `n` notices of prefecture 13 are in `state`.
async fn until(server: &TestServer, state: DeliveryState, n: usize) {
    let pref = "13".parse().unwrap();
    loop {
        let notices = server.storage.notices(pref, 0, 1000).await.unwrap();
        if notices.iter().filter(|x| x.delivery.state == state).count() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One RFC 3464 report (mailbox full) about the notice sent as `message_id`.
fn report(message_id: &str, to: &str) -> String {
    let tag = message_id
        .trim_matches(['<', '>'])
        .split('@')
        .next()
        .unwrap()
        .trim_start_matches("notice-");
    format!(
        "From: MAILER-DAEMON@mx.example.jp\r\nTo: postmaster@{BOUNCE_DOMAIN}\r\nSubject: Undelivered Mail Returned to Sender\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
         --B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\r\n\
         --B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.jp\r\nOriginal-Envelope-Id: {tag}\r\n\r\n\
         Final-Recipient: rfc822; {to}\r\nAction: failed\r\nStatus: 5.2.2\r\nDiagnostic-Code: smtp; 552 5.2.2 Mailbox full\r\n\r\n\
         --B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {message_id}\r\n\r\n--B--\r\n"
    )
}

#[tokio::main]
async fn main() {
    let mut server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let officer = server.storage.officer_by_token_hash(&token_hash(&token)).await.unwrap().unwrap();
    let now = "2026-11-29T00:00:00Z";
    for n in 0..*NOTICES {
        let f = ApplicationForm { email: to::CLINIC.into(), ..form("13", n) };
        let valid = f.validate().unwrap();
        let id = server.storage.submit(&f, &valid, SubmittedBy::Institution, now).await.unwrap().id;
        for (version, action) in [(1, Action::StartReview), (2, Action::ApproveNewAccount)] {
            let request = DecisionRequest {
                expected_version: version,
                action,
                note: None,
                desk: "bench".into(),
            };
            let key = format!("{id}-{version}");
            let decision = Decision { id, request: &request, key: &key, request_hash: key.clone() };
            let mut answers = server
                .storage
                .decide(&officer, &[decision], "https://madoguchi.test", now)
                .await
                .unwrap();
            answers.pop().unwrap().unwrap();
        }
    }
    let bounce = ([127, 0, 0, 1], free_port()).into();
    let relay =
        Postfix::start(server.dir.path(), bounce, &server.certs.cert_path, &server.certs.key_path);
    // Every report from one address, past the per-address rate a forger meets: measured is
    // how fast reports are read, not how soon a sender is told to come back.
    let inbound =
        madoguchi_server::mail::InboundLimits { mail_burst: 100_000, ..Default::default() };
    let settings = madoguchi_server::mail::Settings {
        bounce_listen: Some(bounce),
        inbound,
        ..server.mail_settings(relay.smtp)
    };

    let started = Instant::now();
    server.start_mail(settings).await;
    until(&server, DeliveryState::Sent, *NOTICES).await;
    println!("bench: mail.send_1000 {:.2} s", started.elapsed().as_secs_f64());

    let mut reports = Vec::new();
    for n in server.storage.notices("13".parse().unwrap(), 0, 1000).await.unwrap() {
        let message_id = server.storage.notice_message_id(n.id).await.unwrap().unwrap();
        reports.push(report(&message_id, &n.to));
    }
    // Four connections at once, as an MTA returning many bounces would open.
    let started = Instant::now();
    let senders = reports.chunks(*NOTICES / 4).map(|chunk| async move {
        let stream = tokio::net::TcpStream::connect(bounce).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (r, mut w) = stream.into_split();
        let mut r = BufReader::new(r);
        let mut line = String::new();
        let mut reply = async |r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>| loop {
            line.clear();
            r.read_line(&mut line).await.unwrap();
            if line.as_bytes().get(3) != Some(&b'-') {
                assert!(line.starts_with('2') || line.starts_with('3'), "{line}");
                return;
            }
        };
        reply(&mut r).await;
        w.write_all(b"EHLO mx.example.jp\r\n").await.unwrap();
        reply(&mut r).await;
        for text in chunk {
            let rcpt = format!("RCPT TO:<postmaster@{BOUNCE_DOMAIN}>\r\n");
            for cmd in ["MAIL FROM:<>\r\n", rcpt.as_str(), "DATA\r\n"] {
                w.write_all(cmd.as_bytes()).await.unwrap();
                reply(&mut r).await;
            }
            w.write_all(format!("{text}.\r\n").as_bytes()).await.unwrap();
            reply(&mut r).await;
        }
    });
    futures::future::join_all(senders).await;
    until(&server, DeliveryState::Bounced, *NOTICES).await;
    println!("bench: mail.bounce_1000 {:.2} s", started.elapsed().as_secs_f64());
    server.mail.take().unwrap().shutdown().await;
    drop(relay);
}
