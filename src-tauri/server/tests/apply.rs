//! 疎通確認: an application from the open internet reaches the queue only through the link
//! mailed to its address — once, within 24 hours; the same one twice is not a second one;
//! unconfirmed ones are purged. On both databases, over real HTTPS.

use madoguchi_domain::api::{ApiError, ChangesPage, Entity};
use madoguchi_domain::NoticeKind;
use madoguchi_server::testing::{form, TestServer, BACKENDS};

async fn changes(s: &TestServer, token: &str) -> ChangesPage {
    let r = s
        .client()
        .get(format!("{}/v1/changes?since=0", s.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    r.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn only_a_confirmed_address_brings_an_application_to_the_queue() {
    for backend in BACKENDS {
        let s = TestServer::start(backend).await;
        let token = s.officer("13").await;
        let client = s.client();
        let mut f = form("13", 1);
        f.name = "【重要】至急 http://phish.example/ を開いてください".into();
        let r = client.post(format!("{}/v1/applications", s.url)).json(&f).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let id = r.json::<madoguchi_domain::api::Receipt>().await.unwrap().id;

        // Held: not in the feed, not readable, not decidable.
        assert!(changes(&s, &token).await.changes.is_empty(), "{backend:?}");
        let detail = client
            .get(format!("{}/v1/applications/{id}", s.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(detail.status(), 404);
        assert_eq!(s.decide(&token, id, 1, "start_review").await.status(), 404);

        // The mail: to the address given, generic, nothing the applicant typed.
        let mails = s.storage.mail_of(id).await.unwrap();
        assert_eq!(mails.len(), 1);
        assert_eq!(
            (mails[0].kind, mails[0].to.as_str()),
            (NoticeKind::AddressCheck, f.email.as_str())
        );
        assert!(
            !mails[0].body.contains("phish") && !mails[0].body.contains(&f.contact_name),
            "{}",
            mails[0].body
        );

        // The same institution and address again: pending, not a second one.
        let again =
            client.post(format!("{}/v1/applications", s.url)).json(&f).send().await.unwrap();
        assert_eq!(again.status(), 409);
        assert_eq!(again.json::<ApiError>().await.unwrap().code, "E-APP-PENDING");

        // The link, opened: in the queue, marked verified; a second time, refused.
        let link = s.confirmation_link(id).await;
        let page = client.get(&link).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(page.text().await.unwrap().contains("メールアドレスを確認しました"));
        let feed = changes(&s, &token).await;
        let Entity::Application(app) = &feed.changes[0].entity else { panic!("{feed:?}") };
        assert!(app.address_verified && app.id == id, "{backend:?}");
        assert_eq!(client.get(&link).send().await.unwrap().status(), 410, "once only");
        let again =
            client.post(format!("{}/v1/applications", s.url)).json(&f).send().await.unwrap();
        assert_eq!(again.status(), 409, "still pending in the queue");
        for bad in [
            format!("{}/apply/confirm?t=nothing", s.url),
            format!("{}/apply/confirm", s.url),
            format!("{}/apply/confirm?t={}", s.url, "x".repeat(5000)),
        ] {
            assert_eq!(client.get(&bad).send().await.unwrap().status(), 410, "{bad}");
        }

        // Another never confirmed: purged once its link has expired, mail and all.
        let other = client
            .post(format!("{}/v1/applications", s.url))
            .json(&form("13", 2))
            .send()
            .await
            .unwrap();
        let other = other.json::<madoguchi_domain::api::Receipt>().await.unwrap().id;
        let stale = s.confirmation_link(other).await;
        assert_eq!(
            s.storage.purge_unconfirmed("2026-01-01T00:00:00Z").await.unwrap(),
            0,
            "not yet"
        );
        assert_eq!(s.storage.purge_unconfirmed("9999-01-01T00:00:00Z").await.unwrap(), 1);
        assert!(s.storage.mail_of(other).await.unwrap().is_empty());
        assert_eq!(client.get(&stale).send().await.unwrap().status(), 410);
        assert_eq!(
            changes(&s, &token).await.changes.len(),
            feed.changes.len(),
            "nothing of it reached desks"
        );

        // 代理申請 by an officer: in the queue at once, its address not verified.
        let proxy = client
            .post(format!("{}/v1/proxy-applications", s.url))
            .bearer_auth(&token)
            .json(&form("13", 3))
            .send()
            .await
            .unwrap();
        assert_eq!(proxy.status(), 201);
        let proxy = proxy.json::<madoguchi_domain::api::Receipt>().await.unwrap().id;
        let detail = client
            .get(format!("{}/v1/applications/{proxy}", s.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let detail: madoguchi_domain::api::ApplicationDetail = detail.json().await.unwrap();
        assert!(!detail.application.address_verified);
    }
}
