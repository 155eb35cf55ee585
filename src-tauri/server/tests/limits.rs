//! 受付の制限, over real HTTPS: a burst from one address is answered with 429 (Retry-After)
//! while an officer's decision in the same moment still goes through; a prefecture's rate
//! counts addresses, so a few cannot spend it; officers' routes are not limited by address.

use std::time::Duration;

use madoguchi_domain::api::{ApiError, SubmittedBy};
use madoguchi_server::limits::Limits;
use madoguchi_server::testing::{form, Backend, TestServer};

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_gets_429_and_a_decision_still_goes_through() {
    let limits = Limits {
        address_burst: 5,
        address_every: Duration::from_secs(60),
        concurrent_intakes: 2,
        ..Limits::default()
    };
    let s = TestServer::start_with_limits(Backend::Sqlite, limits).await;
    let token = s.officer("13").await;
    let f = form("13", 9999);
    let id = s
        .storage
        .submit(&f, &f.validate().unwrap(), SubmittedBy::Institution, "2026-11-29T00:00:00Z")
        .await
        .unwrap()
        .id;

    let client = s.client();
    let flood = (0..200).map(|n| {
        let (client, url) = (client.clone(), s.url.clone());
        tokio::spawn(async move {
            let r = client
                .post(format!("{url}/v1/applications"))
                .json(&form("13", n))
                .send()
                .await
                .unwrap();
            let retry = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
            let status = r.status().as_u16();
            let body: ApiError = if status == 201 {
                ApiError {
                    code: String::new(),
                    message: String::new(),
                    fields: vec![],
                    current: None,
                    record: None,
                }
            } else {
                r.json().await.unwrap()
            };
            (status, retry, body.code)
        })
    });
    let flood: Vec<_> = flood.collect();
    // The officer decides in the middle of it.
    let decided = s.decide(&token, id, 1, "start_review").await;
    assert_eq!(decided.status(), 200, "a decision is never rate-limited or starved");
    let mut answers = Vec::new();
    for task in flood {
        answers.push(task.await.unwrap());
    }
    let accepted = answers.iter().filter(|a| a.0 == 201).count();
    let limited: Vec<_> = answers.iter().filter(|a| a.0 == 429).collect();
    let busy = answers.iter().filter(|a| a.0 == 503).count();
    assert!(accepted <= 5, "at most the burst is taken: {accepted}");
    assert!(accepted >= 1, "the first ones are taken");
    assert_eq!(accepted + limited.len() + busy, 200, "{answers:?}");
    assert!(limited.len() >= 150, "{} limited, {busy} busy", limited.len());
    for (_, retry, code) in limited {
        assert_eq!(code, "E-API-RATE");
        assert!(
            retry.as_deref().and_then(|r| r.parse::<u64>().ok()).is_some_and(|r| r >= 1),
            "{retry:?}"
        );
    }
    // Officers behind the same address read and write as usual.
    for _ in 0..20 {
        let r = client
            .get(format!("{}/v1/changes?since=0", s.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_prefecture_takes_its_rate_of_addresses_and_a_few_senders_cannot_spend_it() {
    let limits = Limits {
        address_burst: 1000,
        prefecture_burst: 3,
        prefecture_every: Duration::from_secs(60),
        ..Limits::default()
    };
    let s = TestServer::start_with_limits(Backend::Sqlite, limits).await;
    let post = async |from: [u8; 4], form: &madoguchi_domain::ApplicationForm| {
        let client = s.client_from(from.into());
        let r = client.post(format!("{}/v1/applications", s.url)).json(form).send().await.unwrap();
        r.status().as_u16()
    };
    // One sender posts twenty valid 東京都 forms: it counts once.
    for n in 0..20 {
        assert_eq!(post([127, 0, 0, 1], &form("13", n)).await, 201, "{n}");
    }
    // Real applicants elsewhere still get in, up to the prefecture's rate of new addresses.
    assert_eq!(post([127, 0, 0, 2], &form("13", 100)).await, 201);
    assert_eq!(post([127, 0, 0, 3], &form("13", 101)).await, 201);
    assert_eq!(post([127, 0, 0, 4], &form("13", 102)).await, 429, "a fourth new address waits");
    assert_eq!(post([127, 0, 0, 2], &form("13", 103)).await, 201, "a counted one goes on");
    assert_eq!(post([127, 0, 0, 4], &form("27", 1)).await, 201, "another prefecture has its own");
    // A form that fails validation is refused for what it is, before any rate is used.
    let mut bad = form("27", 2);
    bad.email = "no-at-sign".into();
    assert_eq!(post([127, 0, 0, 5], &bad).await, 422);
}
