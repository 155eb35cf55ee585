//! 保存期間: after the prefecture's period a desk holds no personal data of decided
//! applications or of finished calls — and says how much it purged — while open applications
//! keep theirs; the period is the prefecture's, synced from another desk.

use chrono::{Duration, Utc};
use madoguchi_core::prefecture::PrefectureDraft;
use madoguchi_domain::{Action, ApplicationForm};
use madoguchi_server::testing::{form, Backend, TestServer};
use madoguchi_stories::connected_desk;

#[tokio::test(flavor = "multi_thread")]
async fn personal_data_goes_after_the_prefectures_period_and_is_counted() {
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = connected_desk(&server, &token, &dir_a, "窓口A").await;
    let b = connected_desk(&server, &token, &dir_b, "窓口B").await;
    let person = |n| ApplicationForm { email: format!("hozon{n}@example.jp"), ..form("13", n) };
    let decided = server.submit(&person(1)).await.id;
    let open = server.submit(&person(2)).await.id;
    a.sync_now().await.unwrap();
    a.decide(decided, Action::StartReview, None).await.unwrap();
    a.decide(decided, Action::ApproveNewAccount, None).await.unwrap();
    let call = a.start_call().await.unwrap();
    a.finish_call(&call.id, "折り返しは担当の携帯へ", None).await.unwrap();
    // Desk B sets the prefecture's period to 30 days; desk A receives it.
    b.sync_now().await.unwrap();
    let thirty = PrefectureDraft { retention_days: Some(30), ..Default::default() };
    b.save_prefecture_settings(thirty).await.unwrap();
    b.sync_now().await.unwrap();
    a.sync_now().await.unwrap();
    assert_eq!(a.retention().await.unwrap().days, 30);
    assert!(a.queue_entry(decided).await.unwrap().application.login_id.is_some());

    // Within the period nothing goes; past it, the decided one's personal data and the note.
    let store = a.store();
    let purged = store.purge_expired(30, Utc::now() + Duration::days(29)).await.unwrap();
    assert_eq!((purged.applications, purged.calls), (0, 0));
    let purged = store.purge_expired(30, Utc::now() + Duration::days(31)).await.unwrap();
    assert_eq!((purged.applications, purged.calls), (1, 1));
    let gone = a.queue_entry(decided).await.unwrap().application;
    assert_eq!(
        (gone.form.email.as_str(), gone.form.phone.as_str(), gone.form.contact_name.as_str()),
        ("", "", "")
    );
    assert_eq!(gone.login_id, None);
    assert_eq!(gone.form.name, person(1).name, "the institution stays: it is not personal");
    assert!(a.history(decided).await.unwrap().notices.is_empty(), "its notices went too");
    let kept = a.queue_entry(open).await.unwrap().application;
    assert_eq!(kept.form.email, "hozon2@example.jp", "an open application keeps everything");
    assert_eq!(a.store().calls().await.unwrap()[0].note, "");
    // Counted for 設定, and a second run finds nothing more.
    let again = store.purge_expired(30, Utc::now() + Duration::days(31)).await.unwrap();
    assert_eq!((again.applications, again.calls), (0, 0));
    let view = a.retention().await.unwrap();
    assert_eq!((view.applications_purged, view.calls_purged), (1, 1));
    assert!(view.last_run_at.is_some());
    // Out of bounds: refused on the desk (and by the server).
    let zero = PrefectureDraft { retention_days: Some(0), ..Default::default() };
    let refused = b.save_prefecture_settings(zero).await.unwrap_err();
    assert_eq!(madoguchi_domain::Coded::code(&refused), "E-RETENTION-DAYS");
}
