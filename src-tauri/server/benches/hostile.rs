//! `cargo xtask bench hostile`: the server under the attacks of issue 27, each measured
//! against its bound in one run on SQLite —
//! an officer's decision p99 quiet and during a storm of forged delivery reports (eight
//! senders, each report 2,000 groups, about a notice they received); the process's memory
//! after RCPT floods from many addresses; received-mail rows after 1 GB sent to the listener.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use madoguchi_domain::api::SubmittedBy;
use madoguchi_domain::DeliveryState;
use madoguchi_server::mail::InboundLimits;
use madoguchi_server::testing::postfix::{to, BOUNCE_DOMAIN};
use madoguchi_server::testing::smtp::{connect_from, report, send_from, tag, Client};
use madoguchi_server::testing::{bench_size, form, Backend, TestServer};

fn p99(samples: &mut [Duration]) -> f64 {
    samples.sort();
    samples[(samples.len() * 99).div_ceil(100) - 1].as_secs_f64() * 1000.0
}

async fn decisions(s: &TestServer, token: &str, ids: &[i64]) -> Vec<Duration> {
    let mut took = Vec::new();
    for id in ids {
        let t = Instant::now();
        assert_eq!(s.decide(token, *id, 1, "start_review").await.status(), 200);
        took.push(t.elapsed());
    }
    took
}

async fn bounce_storm() {
    let mut s = TestServer::start(Backend::Sqlite).await;
    let _relay = s.with_postfix().await;
    let listener = s.mail.as_ref().unwrap().inbound.as_ref().unwrap().addr;
    let token = s.officer("13").await;
    let own = madoguchi_domain::ApplicationForm { email: to::CLINIC.into(), ..form("13", 1) };
    let notice = s.approve(&token, &own).await;
    s.settled(&token, notice.id, DeliveryState::Sent).await;
    let message_id = s.storage.notice_message_id(notice.id).await.unwrap().unwrap();
    let rcpt = format!("bounce+{}@{BOUNCE_DOMAIN}", tag(&message_id));
    let decisions_each = bench_size(200, 20);
    let mut ids = Vec::new();
    for n in 0..2 * decisions_each {
        let f = form("13", 100 + n);
        let valid = f.validate().unwrap();
        let receipt =
            s.storage.submit(&f, &valid, SubmittedBy::Institution, "2026-12-06T00:00:00Z");
        ids.push(receipt.await.unwrap().id);
    }
    let (quiet_ids, storm_ids) = ids.split_at(decisions_each);
    s.decide(&token, quiet_ids[0], 1, "start_review").await;
    let mut quiet = decisions(&s, &token, &quiet_ids[1..]).await;

    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let senders: Vec<_> = (0..8u8)
        .map(|k| {
            let (stop, sent, rcpt, message_id) =
                (stop.clone(), sent.clone(), rcpt.clone(), message_id.clone());
            tokio::spawn(async move {
                let groups: Vec<_> = (0..bench_size(2000, 50))
                    .map(|n| ("delayed", "4.2.2", format!("452 4.2.2 full {k}.{n}")))
                    .collect();
                let forged = report(&message_id, &groups);
                let from: IpAddr = [127, 0, 4, k + 1].into();
                while !stop.load(Ordering::Relaxed) {
                    send_from(from, listener, &rcpt, &forged).await;
                    sent.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut storm = decisions(&s, &token, storm_ids).await;
    stop.store(true, Ordering::Relaxed);
    for t in senders {
        t.await.unwrap();
    }
    let (q, f) = (p99(&mut quiet), p99(&mut storm));
    let events = s.notices(&token).await.into_iter().find(|n| n.id == notice.id).unwrap();
    println!("bench: hostile.decide_p99_quiet {q:.1} ms");
    println!("bench: hostile.decide_p99_during_bounce_storm {f:.1} ms");
    println!("bench: hostile.bounce_storm_over_quiet {:.2} x", f / q);
    let counts: std::collections::BTreeMap<String, i64> =
        s.storage.inbound_counts().await.unwrap().into_iter().collect();
    println!(
        "bench: hostile.bounce_storm_reports {} reports sent ({} read; {} events kept on the notice)",
        sent.load(Ordering::Relaxed),
        counts.get("matched").copied().unwrap_or(0),
        events.delivery.history.len()
    );
    s.mail.take().unwrap().shutdown().await;
}

async fn rcpt_flood() {
    let mut s = TestServer::start(Backend::Sqlite).await;
    let listener = s.take_bounces(InboundLimits::default()).await;
    let before = madoguchi_server::testing::rss_mib();
    let floods: Vec<_> = (0..64u8)
        .map(|k| {
            tokio::spawn(async move {
                let from: IpAddr = [127, 0, 5, k + 1].into();
                let Ok(stream) = connect_from(from, listener).await else { return };
                let Ok(mut c) = Client::open(stream).await else { return };
                let _ = c.command("EHLO flood").await;
                let _ = c.command("MAIL FROM:<>").await;
                for n in 0..bench_size(20_000, 200) {
                    let rcpt = format!("RCPT TO:<{}{n}@{BOUNCE_DOMAIN}>", "x".repeat(200));
                    match c.command(&rcpt).await {
                        Ok(r) if !r.is_empty() => {}
                        _ => return,
                    }
                }
            })
        })
        .collect();
    for f in floods {
        f.await.unwrap();
    }
    println!(
        "bench: hostile.rss_mb_after_rcpt_flood {:.1} MB (+ over the start)",
        madoguchi_server::testing::rss_mib() - before
    );
    s.mail.take().unwrap().shutdown().await;
}

async fn disk_flood() {
    let limits = InboundLimits { max_rows: 1000, ..Default::default() };
    let mut s = TestServer::start(Backend::Sqlite).await;
    let listener = s.take_bounces(limits).await;
    let line = [b"X-Filler: ".to_vec(), vec![b'a'; 990], b"\r\n".to_vec()].concat();
    let mail =
        [b"From: someone@example.jp\r\nSubject: fill\r\n".to_vec(), line.repeat(500)].concat();
    let total: usize = bench_size(1 << 30, 8 << 20);
    let count = total.div_ceil(mail.len());
    let started = Instant::now();
    let rcpt = format!("postmaster@{BOUNCE_DOMAIN}");
    // Four senders at a time, each mail from the next address (an address sends its rate).
    let senders: Vec<_> = (0..4usize)
        .map(|k| {
            let (mail, rcpt) = (mail.clone(), rcpt.clone());
            tokio::spawn(async move {
                for n in (k..count).step_by(4) {
                    let from: IpAddr = [127, 6, (n / 250) as u8, (n % 250) as u8 + 1].into();
                    send_from(from, listener, &rcpt, &mail).await;
                }
            })
        })
        .collect();
    for t in senders {
        t.await.unwrap();
    }
    let rows = s.storage.inbound_rows().await.unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let received: i64 = s.storage.inbound_counts().await.unwrap().iter().map(|(_, n)| n).sum();
    println!(
        "bench: hostile.inbound_rows_after_1gb {rows} rows (cap {}; {received} of {count} mails received in {seconds:.0} s)",
        limits.max_rows
    );
    s.mail.take().unwrap().shutdown().await;
}

#[tokio::main]
async fn main() {
    bounce_storm().await;
    rcpt_flood().await;
    disk_flood().await;
}
