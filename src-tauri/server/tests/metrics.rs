//! 稼働監視: the ops listener scraped as Prometheus would, while the server takes applications,
//! an officer decides, the relay sends and bounces, a desk pulls its feed and a door refuses —
//! on both databases. Every metric the README lists is there, and each moves with the work.
#![cfg(unix)]

use madoguchi_domain::mail_health::MailHealth;
use madoguchi_domain::{ApplicationForm, DeliveryState};
use madoguchi_server::testing::postfix::to;
use madoguchi_server::testing::{form, TestServer, BACKENDS};

const TOKEN: &str = "scrape-secret-0123";

/// The value of the series `series` (name and labels as written), if scraped.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

async fn scrape(client: &reqwest::Client, url: &str) -> String {
    let r = client.get(url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let kind = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    let text = r.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn every_metric_is_scraped_and_moves_as_the_server_works() {
    for backend in BACKENDS {
        let mut s = TestServer::start(backend).await;
        let draining = s.running.as_ref().unwrap().draining();
        let ops = madoguchi_server::metrics::serve(
            ([127, 0, 0, 1], 0).into(),
            Some(TOKEN),
            s.metrics.clone(),
            s.storage.clone(),
            draining,
        )
        .await
        .unwrap();
        let url = format!("http://{}/metrics", ops.addr);
        let plain = reqwest::Client::new();
        // A scraper without the token, or with another, reads nothing.
        assert_eq!(plain.get(&url).send().await.unwrap().status(), 401);
        let wrong = plain.get(&url).bearer_auth("guess").send().await.unwrap();
        assert_eq!(wrong.status(), 401);

        let token = s.officer("13").await;
        let to_clinic = ApplicationForm { email: to::CLINIC.into(), ..form("13", 1) };
        let first = s.approve(&token, &to_clinic).await;
        let held = scrape(&plain, &url).await;
        // No relay yet: the notice waits, and how long is seen.
        let queued = value(&held, r#"madoguchi_notices{prefecture="13",state="queued"}"#);
        assert!(queued >= Some(1.0), "{backend:?}: {held}");
        let age = r#"madoguchi_oldest_queued_notice_age_seconds{prefecture="13"}"#;
        assert!(value(&held, age) >= Some(0.0), "{held}");
        assert_eq!(value(&held, r#"madoguchi_officers{prefecture="13"}"#), Some(1.0));
        let expiry = value(&held, r#"madoguchi_officer_token_expiry_seconds{prefecture="13"}"#);
        assert!(expiry > Some(300.0 * 86400.0), "a new token ends in about a year: {expiry:?}");
        let used = r#"madoguchi_officer_last_use_age_seconds{prefecture="13"}"#;
        assert!(value(&held, used).is_some_and(|a| (0.0..60.0).contains(&a)), "{held}");
        let decided = r#"madoguchi_http_requests_total{route="/v1/applications/{id}/decisions",method="POST",status="200"}"#;
        assert!(value(&held, decided) >= Some(2.0), "{held}");
        assert_eq!(value(&held, "madoguchi_draining"), Some(0.0));

        // The relay: the held notice goes; a second bounces (5.1.1) and the report comes back.
        let relay = s.with_postfix().await;
        s.settled(&token, first.id, DeliveryState::Sent).await;
        let nobody = ApplicationForm { email: to::UNKNOWN_LOCAL.into(), ..form("13", 2) };
        let lost = s.approve(&token, &nobody).await;
        s.settled(&token, lost.id, DeliveryState::Bounced).await;
        // A desk pulls its feed; a public door refuses a body over its limit.
        let page = s.changes(&token, 0).await;
        let huge = "x".repeat(madoguchi_server::limits::MAX_BODY_BYTES + 1);
        let refused = s.client().post(format!("{}/apply", s.url)).body(huge).send().await.unwrap();
        assert_eq!(refused.status(), 413);

        let after = scrape(&plain, &url).await;
        let sent = value(&after, r#"madoguchi_smtp_attempts_total{outcome="sent"}"#);
        assert!(sent >= Some(2.0), "{backend:?}: {after}\n{}", relay.log());
        let bounced = r#"madoguchi_delivery_events_total{state="bounced",category="no_such_user"}"#;
        assert!(value(&after, bounced) >= Some(1.0), "{after}");
        let matched = value(&after, r#"madoguchi_inbound_mail_total{verdict="matched"}"#);
        assert!(matched >= Some(1.0), "{after}");
        assert_eq!(
            value(&after, r#"madoguchi_notices{prefecture="13",state="queued"}"#),
            None,
            "nothing waits any more: {after}"
        );
        let head = value(&after, r#"madoguchi_feed_head{prefecture="13"}"#).unwrap();
        assert!(head >= page.next_cursor as f64, "{after}");
        let lag = value(&after, r#"madoguchi_feed_lag_changes{prefecture="13"}"#).unwrap();
        assert_eq!(lag, head - page.next_cursor as f64, "{after}");
        assert!(value(&after, r#"madoguchi_feed_last_pull_age_seconds{prefecture="13"}"#).is_some());
        let too_big =
            r#"madoguchi_refusals_total{route="/apply",status="413",reason="E-API-BODY"}"#;
        assert_eq!(value(&after, too_big), Some(1.0), "{after}");
        let timing = r#"madoguchi_http_request_duration_seconds_count{route="/apply"}"#;
        assert!(value(&after, timing) >= Some(1.0), "{after}");
        // (The oldest queued notice's age was seen above: with nothing waiting, it is absent.)
        for family in [
            "http_requests",
            "http_request_duration_seconds",
            "refusals",
            "smtp_attempts",
            "delivery_events",
            "inbound_mail",
            "notices",
            "feed_head",
            "feed_lag_changes",
            "feed_last_pull_age_seconds",
            "officer_last_use_age_seconds",
            "officer_token_expiry_seconds",
            "officers",
            "draining",
            "mail_trouble_per_mille",
            "mail_checks_confirmed_ratio",
        ] {
            assert!(after.contains(&format!("# HELP madoguchi_{family} ")), "{family}:\n{after}");
        }
        // Mail health: the bounce on the last day, by category and domain; both checks confirmed.
        let trouble = r#"madoguchi_mail_trouble_per_mille{prefecture="13",window="1d"}"#;
        assert!(value(&after, trouble) > Some(0.0), "{after}");
        let health = s.get_as(&token, "/v1/mail/health").await;
        assert_eq!(health.status(), 200);
        let health: MailHealth = health.json().await.unwrap();
        assert!(health.recent.bounced >= 1 && health.recent.no_such_user >= 1, "{health:?}");
        assert!(health.refusing_domains.iter().any(|d| d.domain == "local.test"), "{health:?}");
        assert!(health.checks_sent >= 2 && health.checks_confirmed >= 2, "{health:?}");
        // The operator's retry: a delivered notice is not sent again, the bounced one is.
        let now = madoguchi_server::clock::now();
        assert!(!s.storage.retry_notice(first.id, &now).await.unwrap());
        assert!(s.storage.retry_notice(lost.id, &now).await.unwrap());
        let mut attempts = 0;
        for _ in 0..300 {
            let n = s.notices(&token).await.into_iter().find(|n| n.id == lost.id).unwrap();
            attempts = n.delivery.attempts;
            if attempts == 2 && n.delivery.state != DeliveryState::Queued {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(attempts, 2, "sent a second time");
        // The shipped alert rules name only metrics that exist.
        let rules = include_str!("../deploy/alerts.yml");
        for name in rules.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if let Some(metric) = name.strip_prefix("madoguchi_") {
                let metric = metric.trim_end_matches("_bucket").trim_end_matches("_total");
                if metric == "oldest_queued_notice_age_seconds" {
                    continue; // seen while a notice waited
                }
                assert!(
                    after.contains(&format!("# TYPE madoguchi_{metric} ")),
                    "{name} in alerts.yml"
                );
            }
        }
        // Nothing personal in what a monitor stores.
        for personal in [to::UNKNOWN_LOCAL, "テスト病院", &token] {
            assert!(!after.contains(personal), "{personal} scraped");
        }
        s.mail.take().unwrap().shutdown().await;
        ops.shutdown().await;
    }
}
