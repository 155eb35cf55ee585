//! 保存期間 on the server: applications decided longer ago than the prefecture's period lose
//! their personal values everywhere the server keeps them — the form, notices and the relay's
//! words, bounces, stored answers and every copy in the feed — and, on SQLite, in the database
//! file itself once checkpointed. An undecided application keeps its own. On both databases.
#![cfg(unix)]

use madoguchi_domain::{ApplicationForm, DeliveryState};
use madoguchi_server::testing::postfix::to;
use madoguchi_server::testing::{form, Backend, TestServer, BACKENDS};

fn personal(n: usize, email: &str) -> ApplicationForm {
    ApplicationForm {
        email: email.into(),
        phone: format!("03-9876-54{n:02}"),
        contact_name: format!("保存期間 花子{n}"),
        department: format!("医事課第{n}係"),
        ..form("13", n)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn decided_applications_lose_their_personal_values_everywhere() {
    for backend in BACKENDS {
        let mut s = TestServer::start(backend).await;
        let relay = s.with_postfix().await;
        let token = s.officer("13").await;
        let delivered = s.approve(&token, &personal(1, to::CLINIC)).await;
        let bounced = s.approve(&token, &personal(2, to::UNKNOWN_LOCAL)).await;
        s.settled(&token, delivered.id, DeliveryState::Sent).await;
        s.settled(&token, bounced.id, DeliveryState::Bounced).await;
        let waiting = personal(3, "jimu3@hospital.example.jp");
        s.submit(&waiting).await;
        s.mail.take().unwrap().shutdown().await;
        let gone = [
            to::CLINIC.to_owned(),
            to::UNKNOWN_LOCAL.to_owned(),
            personal(1, "").contact_name,
            personal(2, "").phone,
            personal(2, "").department,
        ];
        let feed = serde_json::to_string(&s.changes(&token, 0).await).unwrap();
        assert!(gone.iter().all(|v| feed.contains(v.as_str())), "all there before: {feed}");

        // 91 days on (the default period is 90): a dry run counts, the run removes.
        let later = chrono::Utc::now() + chrono::Duration::days(91);
        let storage = s.storage.as_ref();
        let dry = madoguchi_server::retention::run(storage, later, true).await.unwrap();
        assert_eq!((dry[0].expired, dry[0].purged.applications), (2, 0), "{dry:?}");
        let run = madoguchi_server::retention::run(storage, later, false).await.unwrap();
        let purged = run[0].purged;
        assert_eq!(purged.applications, 2, "{run:?}");
        assert!(purged.notices >= 2 && purged.feed_rows >= 4 && purged.bounces >= 1, "{run:?}");
        let again = madoguchi_server::retention::run(storage, later, false).await.unwrap();
        assert_eq!(again[0].expired, 0, "purged once");

        // A desk syncing from zero receives none of it; the undecided application keeps its own.
        let feed = serde_json::to_string(&s.changes(&token, 0).await).unwrap();
        for value in &gone {
            assert!(!feed.contains(value.as_str()), "{value} still in the feed");
        }
        assert!(feed.contains(&waiting.contact_name) && feed.contains(&waiting.email));
        for n in s.notices(&token).await.iter().filter(|n| n.application_id != 3) {
            assert_eq!(n.to, "");
            assert!(n.delivery.history.iter().all(|e| e.diagnostic.is_none()), "{n:?}");
        }
        match backend {
            Backend::Sqlite => {
                // The file itself, and its journal, once checkpointed by the run.
                let path = s.database_url.trim_start_matches("sqlite://").to_owned();
                let mut bytes = std::fs::read(&path).unwrap();
                bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
                for value in &gone {
                    let found = bytes.windows(value.len()).any(|w| w == value.as_bytes());
                    assert!(!found, "{value} still in the database file");
                }
                let kept = waiting.contact_name.as_bytes();
                assert!(bytes.windows(kept.len()).any(|w| w == kept), "the file was read");
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&s.database_url).await.unwrap();
                for table in [
                    "applications",
                    "notices",
                    "delivery_audit",
                    "inbound_mail",
                    "changes",
                    "audit",
                    "idempotency",
                ] {
                    for value in &gone {
                        let sql = format!("SELECT COUNT(*) FROM {table} t WHERE t::text LIKE $1");
                        let n: i64 = sqlx::query_scalar(&sql)
                            .bind(format!("%{value}%"))
                            .fetch_one(&pool)
                            .await
                            .unwrap();
                        assert_eq!(n, 0, "{value} in {table}");
                    }
                }
            }
        }
        drop(relay);
    }
}
