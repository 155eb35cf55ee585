//! Findings 5, 6 and 8: the public doors (the intake, the pages, the mailed links) against
//! slow bodies, many requests from one address, forwarded addresses and guessed links.

use std::net::IpAddr;
use std::time::Duration;

use madoguchi_server::limits::Limits;
use madoguchi_server::testing::{form, Backend, TestServer};

/// A body that sends one byte every half second, forever.
fn dribble() -> reqwest::Body {
    let bytes = futures::stream::unfold((), |()| async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        Some((Ok::<_, std::io::Error>(vec![b'{']), ()))
    });
    reqwest::Body::wrap_stream(bytes)
}

async fn post_form(s: &TestServer, from: [u8; 4], n: usize) -> u16 {
    let client = s.client_from(from.into());
    let r = client.post(format!("{}/v1/applications", s.url)).json(&form("13", n)).send().await;
    r.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_bodies_hold_no_slot_and_one_address_holds_only_its_share() {
    let limits = Limits {
        address_burst: 1000,
        prefecture_burst: 1000,
        body_timeout: Duration::from_secs(2),
        ..Limits::default()
    };
    let s = TestServer::start_with_limits(Backend::Sqlite, limits.clone()).await;
    // Two addresses open far more slow posts than there are slots.
    let mut slow = Vec::new();
    for from in [[127, 0, 0, 1], [127, 0, 0, 2]] {
        for _ in 0..10 {
            let client = s.client_from(IpAddr::from(from));
            let url = format!("{}/v1/applications", s.url);
            slow.push(tokio::spawn(async move {
                let r = client
                    .post(url)
                    .header("content-type", "application/json")
                    .header("content-length", "100000")
                    .body(dribble())
                    .send()
                    .await;
                r.map(|r| r.status().as_u16()).unwrap_or(0)
            }));
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Meanwhile applicants elsewhere get in, by the API and by the page.
    for n in 0..limits.concurrent_intakes + 2 {
        assert_eq!(post_form(&s, [127, 0, 1, n as u8], n).await, 201, "applicant {n}");
    }
    let page = s.client_from([127, 0, 2, 1].into()).get(format!("{}/apply", s.url)).send().await;
    assert_eq!(page.unwrap().status(), 200);
    let mut answers = Vec::new();
    for task in slow {
        answers.push(task.await.unwrap());
    }
    let timed_out = answers.iter().filter(|a| **a == 408 || **a == 0).count();
    let busy = answers.iter().filter(|a| **a == 503).count();
    assert_eq!(timed_out, 2 * limits.address_concurrency, "{answers:?}");
    assert_eq!(busy, 20 - 2 * limits.address_concurrency, "the rest refused at once: {answers:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_a_trusted_proxy_each_client_has_its_own_rate_and_v6_counts_by_64() {
    let limits = Limits {
        address_burst: 2,
        address_every: Duration::from_secs(600),
        prefecture_burst: 1000,
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        ..Limits::default()
    };
    let s = TestServer::start_with_limits(Backend::Sqlite, limits).await;
    let mut n = 0;
    let mut post = async |from: [u8; 4], forwarded: &str| {
        n += 1;
        let client = s.client_from(from.into());
        let r = client
            .post(format!("{}/v1/applications", s.url))
            .header("x-forwarded-for", forwarded)
            .json(&form("13", n))
            .send()
            .await;
        r.unwrap().status().as_u16()
    };
    let proxy = [127, 0, 0, 1];
    let statuses = [
        post(proxy, "203.0.113.1").await,
        post(proxy, "203.0.113.1").await,
        post(proxy, "203.0.113.1").await,
        post(proxy, "203.0.113.2").await,
    ];
    assert_eq!(statuses, [201, 201, 429, 201], "one client's rate is its own");
    // What a client writes into the header itself is not believed.
    assert_eq!(post(proxy, "203.0.113.2, 203.0.113.3").await, 201);
    assert_eq!(post(proxy, "203.0.113.9, 203.0.113.3").await, 201);
    assert_eq!(post(proxy, "203.0.113.1, 203.0.113.3").await, 429, "the proxy's hop counts");
    // Not from the proxy: the header is ignored, the peer is the client.
    let stranger = [127, 0, 0, 9];
    let statuses = [
        post(stranger, "198.51.100.1").await,
        post(stranger, "198.51.100.2").await,
        post(stranger, "198.51.100.3").await,
    ];
    assert_eq!(statuses, [201, 201, 429]);
    // IPv6: one /64 is one client.
    let statuses = [
        post(proxy, "2001:db8:1:2::1").await,
        post(proxy, "2001:db8:1:2::2").await,
        post(proxy, "2001:db8:1:2:ffff::3").await,
        post(proxy, "2001:db8:1:3::1").await,
    ];
    assert_eq!(statuses, [201, 201, 429, 201]);
}

#[tokio::test(flavor = "multi_thread")]
async fn guessed_links_are_limited_and_idle_keys_are_forgotten() {
    let limits = Limits {
        link_burst: 10,
        link_every: Duration::from_millis(50),
        address_every: Duration::from_millis(50),
        prefecture_every: Duration::from_millis(50),
        ..Limits::default()
    };
    let s = TestServer::start_with_limits(Backend::Sqlite, limits).await;
    let token = s.officer("13").await;
    let id = s.submit(&form("13", 1)).await.id;
    let client = s.client();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let guesses = (0..300).map(|n| {
        let (client, url) = (client.clone(), format!("{}/apply/confirm?t=guess{n:04}", s.url));
        tokio::spawn(async move { client.get(url).send().await.unwrap().status().as_u16() })
    });
    let guesses: Vec<_> = guesses.collect();
    assert_eq!(s.decide(&token, id, 1, "start_review").await.status(), 200);
    for g in guesses {
        *statuses.entry(g.await.unwrap()).or_default() += 1;
    }
    let refused =
        statuses.get(&429).copied().unwrap_or(0) + statuses.get(&503).copied().unwrap_or(0);
    assert!(refused >= 250, "guessing is limited: {statuses:?}");
    assert!(statuses.get(&410).copied().unwrap_or(0) <= 20, "{statuses:?}");
    // Keys of clients gone quiet are forgotten.
    for from in 1..=50u8 {
        post_form(&s, [127, 0, 3, from], 100 + from as usize).await;
    }
    let door = &s.running.as_ref().unwrap().door;
    assert!(door.keys() >= 50, "{}", door.keys());
    tokio::time::sleep(Duration::from_secs(2)).await;
    door.prune();
    assert_eq!(door.keys(), 0, "every rate key pruned");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_check_mail_cannot_be_sent_to_one_address_over_and_over() {
    let s = TestServer::start(Backend::Sqlite).await;
    let victim = "someone-else@example.jp";
    let mut statuses = Vec::new();
    for n in 0..5 {
        let f = madoguchi_domain::ApplicationForm { email: victim.into(), ..form("13", n) };
        let r =
            s.client().post(format!("{}/v1/applications", s.url)).json(&f).send().await.unwrap();
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            let body: madoguchi_domain::api::ApiError = r.json().await.unwrap();
            assert_eq!(body.code, "E-APP-ADDRESS-BUSY");
        }
    }
    let waiting = madoguchi_server::storage::PENDING_PER_ADDRESS as usize;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), waiting, "{statuses:?}");
    assert_eq!(statuses[waiting..], [429, 429]);
    let mails: usize = {
        let mut n = 0;
        for id in 1..=10 {
            n += s.storage.mail_of(id).await.unwrap().len();
        }
        n
    };
    assert_eq!(mails, waiting, "one check mail per held application, no more");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_on_which_nothing_moves_is_closed() {
    use tokio::io::AsyncReadExt;
    let limits = Limits { idle_timeout: Duration::from_secs(1), ..Limits::default() };
    let s = TestServer::start_with_limits(Backend::Sqlite, limits).await;
    // Connected, and then silent (no TLS handshake, no request): closed well before the
    // handshake's own 10 s.
    let started = std::time::Instant::now();
    let mut quiet = tokio::net::TcpStream::connect(("127.0.0.1", s.port())).await.unwrap();
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(8), quiet.read(&mut byte)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "closed: {read:?}");
    println!("a silent connection closed after {:?}", started.elapsed());
    // Requests that keep moving are served as before.
    assert_eq!(post_form(&s, [127, 0, 0, 1], 1).await, 201);
}
