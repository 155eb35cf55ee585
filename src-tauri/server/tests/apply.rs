//! 疎通確認: an application from the open internet reaches the queue only through the link
//! mailed to its address — once, within 24 hours; the same one twice is not a second one;
//! unconfirmed ones are purged. On both databases, over real HTTPS.

use madoguchi_domain::api::{ApiError, Entity};
use madoguchi_domain::NoticeKind;
use madoguchi_server::testing::{form, TestServer, BACKENDS};

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
        assert!(s.changes(&token, 0).await.changes.is_empty(), "{backend:?}");
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

        // The link, opened (as a mail scanner does): nothing happens but a page with a button.
        let link = s.confirmation_link(id).await;
        let scanned = client.get(&link).send().await.unwrap();
        assert_eq!(scanned.status(), 200);
        assert!(scanned.text().await.unwrap().contains("<button type=\"submit\">"));
        assert!(s.changes(&token, 0).await.changes.is_empty(), "a GET confirms nothing");
        // Its button pressed: in the queue, marked verified; a second time, refused.
        let page = s.open_confirmation(&link).await;
        assert_eq!(page.status(), 200);
        let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        let text = page.text().await.unwrap();
        assert!(text.contains("メールアドレスを確認しました"), "{text}");
        assert!(text.contains("目安は1〜2週間です"), "the national time where none is set: {text}");
        let feed = s.changes(&token, 0).await;
        let Entity::Application(app) = &feed.changes[0].entity else { panic!("{feed:?}") };
        assert!(app.address_verified && app.id == id, "{backend:?}");
        assert_eq!(client.get(&link).send().await.unwrap().status(), 410, "once only");
        let replayed = client
            .post(format!("{}/apply/confirm", s.url))
            .form(&[("t", link.rsplit("t=").next().unwrap())])
            .send()
            .await
            .unwrap();
        assert_eq!(replayed.status(), 410, "the button too");
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
        let secret = stale.rsplit("t=").next().unwrap();
        assert_eq!(
            s.storage
                .confirm_address(
                    &madoguchi_server::tokens::token_hash(secret),
                    "9999-01-01T00:00:00Z"
                )
                .await
                .unwrap(),
            madoguchi_server::storage::Confirmation::Unusable,
            "past its 24 hours, the link is refused even before the purge"
        );
        assert_eq!(
            s.storage.purge_unconfirmed("2026-01-01T00:00:00Z").await.unwrap(),
            0,
            "not yet"
        );
        assert_eq!(s.storage.purge_unconfirmed("9999-01-01T00:00:00Z").await.unwrap(), 1);
        assert!(s.storage.mail_of(other).await.unwrap().is_empty());
        assert_eq!(client.get(&stale).send().await.unwrap().status(), 410);
        // Desks hear only which institution applied and was not reached (for 要連絡).
        let changes = s.changes(&token, 0).await.changes;
        assert_eq!(changes.len(), feed.changes.len() + 1, "one lapse, nothing else of it");
        let madoguchi_domain::api::Entity::Lapsed(lapse) = &changes.last().unwrap().entity else {
            panic!("{:?}", changes.last())
        };
        assert_eq!((lapse.id, lapse.institution_name.as_str()), (other, "テスト病院2"));
        let said = serde_json::to_string(lapse).unwrap();
        assert!(!said.contains("@") && !said.contains("担当"), "no address, no person: {said}");

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

/// The page's fields as a browser posts them, from a test form.
fn posted(f: &madoguchi_domain::ApplicationForm) -> Vec<(&'static str, String)> {
    vec![
        ("kind", f.kind.key().into()),
        ("institution_code", f.institution_code.clone()),
        ("insurance_code", f.insurance_code.clone().unwrap_or_default()),
        ("name", f.name.clone()),
        ("kana", f.kana.clone()),
        ("postal_code", f.postal_code.clone()),
        ("address", f.address.clone()),
        ("building", "丸の内ビル 3階".into()),
        ("phone", f.phone.clone()),
        ("department", f.department.clone()),
        ("department_number", f.department_number.clone()),
        ("contact_name", f.contact_name.clone()),
        ("email", f.email.clone()),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_takes_an_application_without_javascript_and_shows_errors_by_their_fields() {
    let s = TestServer::start(madoguchi_server::testing::Backend::Sqlite).await;
    let token = s.officer("13").await;
    let client = s.client();
    let page = client.get(format!("{}/apply", s.url)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(
        csp.contains("default-src 'none'")
            && csp.contains("style-src 'self'")
            && !csp.contains("script"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    assert!(!html.contains("<script"), "no script at all");
    for field in [
        "kind",
        "institution_code",
        "insurance_code",
        "name",
        "kana",
        "postal_code",
        "address",
        "building",
        "phone",
        "department",
        "department_number",
        "contact_name",
        "email",
    ] {
        assert!(html.contains(&format!("<label for=\"f-{field}\"")), "{field} has a label");
        assert!(html.contains(&format!("id=\"f-{field}\"")), "{field}");
        assert!(html.contains(&format!("aria-describedby=\"h-{field}")), "{field} has help");
    }
    assert_eq!(
        client.get(format!("{}/apply/style.css", s.url)).send().await.unwrap().status(),
        200
    );

    // Hostile and mistyped: each error beside its field and in the summary; markup stays text.
    let f = form("13", 7);
    let mut fields = posted(&f);
    fields[2].1 = "131O100081".into(); // a letter O for a zero
    fields[3].1 = "<img src=x onerror=alert(1)>".into();
    fields[9].1 = "部".repeat(10_000);
    fields[12].1 = "jimu@hospital.example.jp\r\nBcc: victim@example.com".into();
    let r = client.post(format!("{}/apply", s.url)).form(&fields).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"errors\"") && html.contains("role=\"alert\""), "summary");
    for field in ["insurance_code", "department", "email"] {
        assert!(html.contains(&format!("id=\"e-{field}\"")), "{field} error beside it");
        assert!(html.contains(&format!("href=\"#f-{field}\"")), "{field} in the summary");
    }
    assert!(!html.contains("<img src=x") && html.contains("&lt;img src=x"), "markup shown as text");
    assert!(s.changes(&token, 0).await.changes.is_empty());
    let garbage = client
        .post(format!("{}/apply", s.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'n', b'a', b'm', b'e', b'=', 0xff, 0xfe])
        .send()
        .await
        .unwrap();
    assert!(garbage.status().is_client_error(), "{}", garbage.status());

    // Corrected: the mail goes out, and what to do if it does not arrive.
    let r = client.post(format!("{}/apply", s.url)).form(&posted(&f)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("確認のメールを送りました") && html.contains("迷惑メールフォルダ"),
        "{html}"
    );
    let mut id = None;
    for candidate in 1..20 {
        if !s.storage.mail_of(candidate).await.unwrap().is_empty() {
            id = Some(candidate);
        }
    }
    let id = id.expect("the page's application holds its mail");
    let link = s.confirmation_link(id).await;
    assert_eq!(s.open_confirmation(&link).await.status(), 200);
    let feed = s.changes(&token, 0).await;
    let Entity::Application(app) = &feed.changes[0].entity else { panic!() };
    assert_eq!((app.form.building.as_str(), app.address_verified), ("丸の内ビル 3階", true));
    // Entered twice: told it is pending, not a second one.
    let r = client.post(format!("{}/apply", s.url)).form(&posted(&f)).send().await.unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("すでに受け付けています"));
}

/// The public pages ask applicants to accept mail from the address the prefecture's notices
/// really come from (MADOGUCHI_MAIL_FROM), not always G-MIS事務局's.
#[tokio::test(flavor = "multi_thread")]
async fn the_public_pages_name_the_sender_the_mails_come_from() {
    let s = TestServer::start(madoguchi_server::testing::Backend::Sqlite).await;
    let client = s.client();
    let page = client.get(format!("{}/apply", s.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("info@g-mis.net からのメール"), "the default From's address");

    let tls = madoguchi_server::tls_config(&s.certs.cert_path, &s.certs.key_path).await.unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let options = madoguchi_server::Options {
        limits: madoguchi_server::testing::roomy_limits(),
        sender: Some("madoguchi@pref.example.lg.jp".into()),
        ..Default::default()
    };
    let ours = madoguchi_server::start(s.storage.clone(), listener, tls, &options).await.unwrap();
    let url = format!("https://localhost:{}", ours.addr.port());
    let page = client.get(format!("{url}/apply")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("madoguchi@pref.example.lg.jp からのメール"), "{page}");
    assert!(!page.contains("info@g-mis.net"));
    let sent =
        client.post(format!("{url}/apply")).form(&posted(&form("13", 7))).send().await.unwrap();
    let sent = sent.text().await.unwrap();
    assert!(sent.contains("確認のメールを送りました"), "{sent}");
    assert!(sent.contains("madoguchi@pref.example.lg.jp からのメール"), "{sent}");
    ours.shutdown(std::time::Duration::from_secs(1)).await;
}
