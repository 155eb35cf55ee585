//! The queue on a desk synced from a real server: flags, filters, the notice preview, and
//! bulk approval that refuses flagged applications.

use madoguchi_core::queue::{notice_preview, QueueFilter, QueueSort};
use madoguchi_domain::{Action, ApplicationStatus, ReturnReason};
use madoguchi_server::testing::{form, Backend, TestServer};
use madoguchi_stories::desk;

#[tokio::test(flavor = "multi_thread")]
async fn bulk_approval_takes_the_clean_ones_and_says_why_not_the_others() {
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let d = desk(&server, &token, "desk-a").await;
    let mut typo = form("13", 3);
    typo.email = "kanda@gmial.com".into();
    let clean = [server.submit(&form("13", 1)).await.id, server.submit(&form("13", 2)).await.id];
    let flagged = server.submit(&typo).await.id;
    let duplicate = server.submit(&form("13", 1)).await.id;
    d.store.sync(&d.client).await.unwrap();

    let now = chrono::Utc::now();
    let view = d.store.queue(None, &QueueFilter::default(), now).await.unwrap();
    assert_eq!(view.total, 4);
    assert_eq!(view.counts.get("submitted"), Some(&4));
    let ids: Vec<i64> = view.rows.iter().map(|r| r.application.id).collect();
    assert_eq!(ids, [clean[0], clean[1], flagged, duplicate], "oldest first");
    let flags_of = |id: i64| -> Vec<&str> { view.rows.iter().find(|r| r.application.id == id).unwrap().flags.iter().map(|f| f.code).collect() };
    assert_eq!(flags_of(flagged), ["FLAG-EMAIL-TYPO"]);
    assert_eq!(flags_of(clean[0]), ["FLAG-DUPLICATE"]);
    assert!(flags_of(clean[1]).is_empty());

    // Filters: flagged only, text in any folded field, newest first.
    let only_flagged = QueueFilter { flagged: Some(true), ..Default::default() };
    assert_eq!(d.store.queue(None, &only_flagged, now).await.unwrap().rows.len(), 3);
    let by_mail = QueueFilter { text: Some("ＧＭＩＡＬ".into()), ..Default::default() };
    assert_eq!(d.store.queue(None, &by_mail, now).await.unwrap().rows[0].application.id, flagged);
    let newest = QueueFilter { sort: QueueSort::Newest, ..Default::default() };
    assert_eq!(d.store.queue(None, &newest, now).await.unwrap().rows[0].application.id, duplicate);

    // The mail each decision would send, before it is sent.
    let row = &view.rows[1];
    let issuance = notice_preview(&row.application, Action::ApproveNewAccount, None, None).unwrap();
    assert_eq!(issuance.to, "jimu2@hospital.example.jp");
    assert!(issuance.body.starts_with("テスト病院2 ご担当者様") && issuance.body.contains("（承認時に発行されます）"));
    let returned = notice_preview(&row.application, Action::ReturnForCorrection { reason: ReturnReason::EmailWrong }, Some("ドメインをご確認ください"), None).unwrap();
    assert!(returned.body.contains("メールアドレスの誤り") && returned.body.contains("ドメインをご確認ください"));

    let outcome = d.store.bulk_approve(&view.rows).await.unwrap();
    assert_eq!(outcome.queued, [clean[1]]);
    let refused: Vec<i64> = outcome.refused.iter().map(|r| r.id).collect();
    assert_eq!(refused, [clean[0], flagged, duplicate]);
    assert!(outcome.refused[1].reasons[0].contains("gmail.com"));
    let pending = d.store.queue(None, &QueueFilter::default(), now).await.unwrap();
    let row = pending.rows.iter().find(|r| r.application.id == clean[1]).unwrap();
    assert!(row.pending_sync);
    assert_eq!(row.status, ApplicationStatus::ApprovedNewAccount);

    d.store.sync(&d.client).await.unwrap();
    let app = server.storage.application("13".parse().unwrap(), clean[1]).await.unwrap().unwrap();
    assert_eq!(app.status, ApplicationStatus::ApprovedNewAccount);
    let after = d.store.queue(None, &QueueFilter::default(), now).await.unwrap();
    assert!(after.rows.iter().all(|r| !r.pending_sync));
    assert_eq!(after.counts.get("approved_new_account"), Some(&1));
}
