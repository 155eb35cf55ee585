//! `cargo xtask bench reminders`: 5,000 reminders (督促) asked for over the real API in
//! batches of 500, as a desk sends them, queued as notices and handed to a loopback relay (a
//! private Postfix, STARTTLS). The relay holds what it accepts: a real relay delivers on its own
//! machine, not on the two cores the server and this bench share. The figure is the time from
//! the first request to the last notice handed over, on SQLite; the baseline, in the same
//! process, the requests alone.

use std::time::{Duration, Instant};

use madoguchi_domain::api::SubmittedBy;
use madoguchi_domain::reminder::{ReminderAnswer, ReminderBatch, ReminderItem, MAX_REMINDERS};
use madoguchi_domain::{ApplicationForm, DeliveryState, NoticeKind};
use madoguchi_server::testing::postfix::to;
use madoguchi_server::testing::{form, Backend, TestServer};

static REMINDERS: std::sync::LazyLock<usize> =
    std::sync::LazyLock::new(|| madoguchi_server::testing::bench_size(5000, 200));

#[tokio::main]
async fn main() {
    let mut server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let now = "2027-03-01T00:00:00Z";
    let mut applications = Vec::with_capacity(*REMINDERS);
    for n in 0..*REMINDERS {
        let f = ApplicationForm { email: to::CLINIC.into(), ..form("13", n) };
        let valid = f.validate().unwrap();
        let receipt =
            server.storage.submit(&f, &valid, SubmittedBy::Institution, now).await.unwrap();
        applications.push(receipt.id);
    }
    let relay = server.with_postfix().await;
    relay.hold_accepted();

    let body = "テスト病院 ご担当者様\n\n医療機能情報の定期報告の期限（令和9年3月31日）が近づいていますが、\n\
                貴施設からのご報告がまだ確認できていません。\n\n東京都保健医療局 医療政策課\n電話：03-5320-4444";
    let items: Vec<ReminderItem> = applications
        .iter()
        .map(|id| ReminderItem {
            entry_id: format!("not-reported-med-2027-03-31-{id}"),
            application_id: *id,
            subject: "【東京都保健医療局 医療政策課】医療機能情報の定期報告について（お願い）"
                .into(),
            body: body.into(),
        })
        .collect();
    let client = server.client();
    let started = Instant::now();
    for (n, chunk) in items.chunks(MAX_REMINDERS).enumerate() {
        let batch = ReminderBatch { batch_id: format!("bench-{n}"), items: chunk.to_vec() };
        let answer: ReminderAnswer = client
            .post(format!("{}/v1/reminders", server.url))
            .bearer_auth(&token)
            .json(&batch)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(answer.results.iter().all(|r| r.notice_id.is_some()), "every one queued");
    }
    let asked = started.elapsed();
    while server.metrics.smtp_attempts("sent") < *REMINDERS as u64 {
        assert_eq!(server.metrics.smtp_attempts("failed"), 0, "no reminder refused");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let handed = started.elapsed();
    let pref = "13".parse().unwrap();
    let notices = server.storage.notices(pref, 0, 2 * *REMINDERS as i64).await.unwrap();
    let sent = notices
        .iter()
        .filter(|n| n.kind == NoticeKind::Reminder && n.delivery.state == DeliveryState::Sent)
        .count();
    assert_eq!(sent, *REMINDERS, "every reminder recorded as handed to the relay");
    assert_eq!(relay.held(), *REMINDERS, "every reminder in the relay's queue");
    println!("bench: reminders.requests_5000_s {:.2} s", asked.as_secs_f64());
    println!("bench: outreach.reminders_5000_s {:.2} s", handed.as_secs_f64());
    server.mail.take().unwrap().shutdown().await;
    drop(relay);
}
