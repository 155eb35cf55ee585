//! A real server for tests (feature `testing`): HTTPS with certificates made on the spot
//! (rcgen), on a loopback port the system chooses, over SQLite or PostgreSQL. Used by this
//! crate's suite and by the desk–server story tests.

use std::sync::Arc;

use madoguchi_domain::api::Receipt;
use madoguchi_domain::ApplicationForm;
use madoguchi_domain::Prefecture;

mod forms;
pub mod postfix;
pub mod smtp;

pub use forms::{form, form_to, insurance_code};

use crate::tokens::token_hash;
use crate::{storage, Running, Storage};

/// The databases every test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

pub use crate::demo::Certificates;

/// A CA and a server certificate for localhost / 127.0.0.1 signed by it, written to `dir`.
pub fn certificates(dir: &std::path::Path) -> Certificates {
    crate::demo::make_certificates(dir).expect("test certificates")
}

/// The base64 SHA-256 of the server certificate's public key, as Chromium's
/// `--ignore-certificate-errors-spki-list` takes it: a browser that trusts this server only.
pub fn spki_pin(certs: &Certificates) -> String {
    use base64::Engine;
    use sha2::Digest;
    let pem = std::fs::read_to_string(&certs.key_path).expect("the test key");
    let key = rcgen::KeyPair::from_pem(&pem).expect("a PEM key");
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(key.public_key_der()))
}

/// A fresh, empty database of `backend`: a file, or a new PostgreSQL database.
pub async fn database(backend: Backend, dir: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.join("central.db").display()),
        Backend::Postgres => {
            let admin = std::env::var("MADOGUCHI_TEST_POSTGRES")
                .expect("MADOGUCHI_TEST_POSTGRES (postgres://user:pw@host/db) — `cargo xtask test` starts PostgreSQL and sets it");
            let name = format!("madoguchi_test_{}", uuid_like());
            let pool =
                sqlx::PgPool::connect(&admin).await.unwrap_or_else(|e| panic!("{admin}: {e}"));
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.unwrap();
            pool.close().await;
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            format!("{base}/{name}")
        }
    }
}

fn uuid_like() -> String {
    use rand::Rng;
    let n: u64 = rand::thread_rng().gen();
    format!("{n:016x}")
}

async fn serve(
    storage: Arc<dyn Storage>,
    certs: &Certificates,
    port: u16,
    limits: &crate::limits::Limits,
    metrics: &Arc<crate::metrics::Metrics>,
) -> Running {
    let tls = crate::tls_config(&certs.cert_path, &certs.key_path).await.unwrap();
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let options = crate::Options {
        limits: limits.clone(),
        public_url: None,
        sender: None,
        metrics: metrics.clone(),
    };
    crate::start(storage, listener, tls, &options).await.unwrap()
}

/// This process's resident memory in MiB (a server under test runs in the test's process).
pub fn rss_mib() -> f64 {
    rss_mib_of("self")
}

/// The resident memory of process `pid` (`self` for this one) in MiB, as Linux counts it.
pub fn rss_mib_of(pid: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

/// `full`, or `small` when `MADOGUCHI_BENCH_SMALL` is set: the test command runs every bench
/// once that way, so none rots unseen (its figures judged by no one). Core's benches, which
/// cannot reach this crate, read the same switch in `core/benches/support/scaled.rs`.
pub fn bench_size<T>(full: T, small: T) -> T {
    if std::env::var_os("MADOGUCHI_BENCH_SMALL").is_some() {
        small
    } else {
        full
    }
}

/// Test suites enter many applications from one loopback address: rates far above the
/// defaults, unless a test asks for its own.
pub fn roomy_limits() -> crate::limits::Limits {
    crate::limits::Limits {
        address_burst: 100_000,
        prefecture_burst: 100_000,
        link_burst: 100_000,
        concurrent_intakes: 64,
        address_concurrency: 64,
        ..Default::default()
    }
}

pub struct TestServer {
    pub backend: Backend,
    pub url: String,
    pub storage: Arc<dyn Storage>,
    pub certs: Certificates,
    pub running: Option<Running>,
    pub mail: Option<crate::mail::Service>,
    pub limits: crate::limits::Limits,
    pub dir: tempfile::TempDir,
    /// The database it serves, for commands pointed at the same one.
    pub database_url: String,
    /// Its counts, as its ops listener shows them.
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        Self::start_with_limits(backend, roomy_limits()).await
    }

    /// A server whose public intake is under `limits`.
    pub async fn start_with_limits(backend: Backend, limits: crate::limits::Limits) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let certs = certificates(dir.path());
        let database_url = database(backend, dir.path()).await;
        let storage = storage::open(&database_url).await.unwrap();
        let metrics = Arc::<crate::metrics::Metrics>::default();
        let running = serve(storage.clone(), &certs, 0, &limits, &metrics).await;
        let url = format!("https://localhost:{}", running.addr.port());
        let running = Some(running);
        let mail = None;
        TestServer {
            backend,
            url,
            storage,
            certs,
            running,
            mail,
            limits,
            dir,
            database_url,
            metrics,
        }
    }

    /// Mail settings for a relay at `relay` (STARTTLS, trusting the test CA) with bounces
    /// taken on a free loopback port.
    pub fn mail_settings(&self, relay: std::net::SocketAddr) -> crate::mail::Settings {
        let mut relay = crate::mail::Relay::parse(&format!("smtp://localhost:{}", relay.port()))
            .expect("a literal relay URL");
        relay.ca_pem = Some(self.certs.ca_pem.clone().into_bytes());
        crate::mail::Settings {
            relay: Some(relay),
            bounce_domain: Some(postfix::BOUNCE_DOMAIN.into()),
            bounce_listen: Some(([127, 0, 0, 1], postfix::free_port()).into()),
            poll: std::time::Duration::from_millis(100),
            timeout: std::time::Duration::from_secs(10),
            ..Default::default()
        }
    }

    /// Starts the server's mail parts with `settings`.
    pub async fn start_mail(&mut self, settings: crate::mail::Settings) {
        let service =
            crate::mail::Service::start(self.storage.clone(), settings, self.metrics.clone())
                .await
                .unwrap();
        self.mail = Some(service);
    }

    /// A private Postfix relay for this server, and the server's mail parts sending through
    /// it (STARTTLS) and taking its bounces.
    pub async fn with_postfix(&mut self) -> postfix::Postfix {
        let settings = self.mail_settings(([127, 0, 0, 1], 0).into());
        let bounce = settings.bounce_listen.expect("set above");
        let relay = postfix::Postfix::start(
            self.dir.path(),
            bounce,
            &self.certs.cert_path,
            &self.certs.key_path,
        );
        self.resume_mail(&relay).await;
        relay
    }

    /// Starts the server's mail parts again with `relay` (after a restart).
    pub async fn resume_mail(&mut self, relay: &postfix::Postfix) {
        let settings = self.mail_settings(relay.smtp);
        self.start_mail(crate::mail::Settings { bounce_listen: Some(relay.bounce), ..settings })
            .await;
    }

    pub fn port(&self) -> u16 {
        self.url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("url has a port")
    }

    /// Stops the server at once (no grace): desks see it gone.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown(std::time::Duration::ZERO).await;
        }
    }

    /// Starts it again on the same port, same database.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.running = Some(
            serve(self.storage.clone(), &self.certs, self.port(), &self.limits, &self.metrics)
                .await,
        );
    }

    /// An HTTPS client that trusts only the test CA.
    pub fn client(&self) -> reqwest::Client {
        self.client_from([127, 0, 0, 1].into())
    }

    /// [`Self::client`] connecting from `from` (any 127/8 address is loopback on Linux): a
    /// second applicant, or a second attacker.
    pub fn client_from(&self, from: std::net::IpAddr) -> reqwest::Client {
        reqwest::Client::builder()
            .local_address(from)
            .add_root_certificate(
                reqwest::Certificate::from_pem(self.certs.ca_pem.as_bytes()).unwrap(),
            )
            .tls_built_in_root_certs(false)
            .https_only(true)
            .build()
            .unwrap()
    }

    /// A new officer of `prefecture` and their bearer token.
    pub async fn officer(&self, prefecture: &str) -> String {
        let token = format!("token-{}", uuid_like());
        let p: Prefecture = prefecture.parse().unwrap();
        let expires = crate::tokens::token_expiry(crate::tokens::TOKEN_DAYS);
        self.storage.create_officer(p, "窓口 太郎", &token_hash(&token), &expires).await.unwrap();
        token
    }

    /// Posts one decision (`{"action": "start_review"}`, with a reason where one is needed)
    /// under idempotency key `key`; the answer as received.
    pub async fn decide_as(
        &self,
        token: &str,
        id: i64,
        version: i64,
        action: serde_json::Value,
        key: &str,
    ) -> reqwest::Response {
        self.client()
            .post(format!("{}/v1/applications/{id}/decisions", self.url))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(&serde_json::json!({
                "expected_version": version, "action": action, "note": null, "desk": "desk-1"
            }))
            .send()
            .await
            .unwrap()
    }

    /// One plain decision (`start_review`, `approve_new_account` …), keyed by id and version.
    pub async fn decide(
        &self,
        token: &str,
        id: i64,
        version: i64,
        action: &str,
    ) -> reqwest::Response {
        let key = format!("{id}-{version}");
        self.decide_as(token, id, version, serde_json::json!({ "action": action }), &key).await
    }

    /// `GET path` as the officer whose token this is.
    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client().get(format!("{}{path}", self.url)).bearer_auth(token).send().await.unwrap()
    }

    /// The prefecture's changes feed after `since`, as a desk reads it.
    pub async fn changes(&self, token: &str, since: i64) -> madoguchi_domain::api::ChangesPage {
        let r = self.get_as(token, &format!("/v1/changes?since={since}")).await;
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// Enters `form` and approves it with a new account (review, then 承認) through the API;
    /// the notice the approval queued.
    pub async fn approve(
        &self,
        token: &str,
        form: &ApplicationForm,
    ) -> madoguchi_domain::api::Notice {
        let id = self.submit(form).await.id;
        assert_eq!(self.decide(token, id, 1, "start_review").await.status(), 200);
        let r = self.decide(token, id, 2, "approve_new_account").await;
        assert_eq!(r.status(), 200);
        let answer: madoguchi_domain::api::DecisionResponse = r.json().await.unwrap();
        answer.notice.expect("an approval mails its notice")
    }

    /// Waits (≤ 60 s) until notice `id` reaches `state`; fails the test with what it did reach.
    pub async fn settled(
        &self,
        token: &str,
        id: i64,
        state: madoguchi_domain::DeliveryState,
    ) -> madoguchi_domain::api::Notice {
        let mut last = None;
        for _ in 0..600 {
            let notice =
                self.notices(token).await.into_iter().find(|n| n.id == id).expect("listed");
            if notice.delivery.state == state {
                return notice;
            }
            last = Some(notice);
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("notice {id} never became {state:?}: {:#?}", last.map(|n| n.delivery));
    }

    /// The server's bounce listener alone (no relay: nothing is sent) under `limits`; its
    /// address.
    pub async fn take_bounces(
        &mut self,
        limits: crate::mail::InboundLimits,
    ) -> std::net::SocketAddr {
        let mut settings = self.mail_settings(([127, 0, 0, 1], 9).into());
        settings.relay = None;
        settings.inbound = limits;
        self.start_mail(settings).await;
        self.mail.as_ref().and_then(|m| m.inbound.as_ref()).expect("listening").addr
    }

    /// The prefecture's notices as `/v1/notices` serves them.
    pub async fn notices(&self, token: &str) -> Vec<madoguchi_domain::api::Notice> {
        let r = self.get_as(token, "/v1/notices?since=0").await;
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// Enters `form` through the public intake and opens its 疎通確認 link as the applicant
    /// would (the link read from the mail waiting in the outbox): it is then in the queue.
    pub async fn submit(&self, form: &ApplicationForm) -> Receipt {
        let r = self
            .client()
            .post(format!("{}/v1/applications", self.url))
            .json(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let receipt: Receipt = r.json().await.unwrap();
        let opened = self.open_confirmation(&self.confirmation_link(receipt.id).await).await;
        assert_eq!(opened.status(), 200, "{}", opened.text().await.unwrap());
        receipt
    }

    /// The resubmission link token of returned application `id`'s 差戻し mail.
    pub async fn resubmit_token(&self, id: i64) -> String {
        let mails = self.storage.mail_of(id).await.unwrap();
        let mail = mails
            .iter()
            .find(|n| n.kind == madoguchi_domain::NoticeKind::Returned)
            .unwrap_or_else(|| panic!("no 差戻し mail for application {id}"));
        let link = mail.body.lines().find(|l| l.contains("/apply?r=")).expect("the link is mailed");
        assert!(link.starts_with("https://"), "{link}");
        link.rsplit("r=").next().unwrap().to_owned()
    }

    /// Posts `form` on the application page as a browser does, with a resubmission token.
    pub async fn post_page(&self, form: &ApplicationForm, token: &str) -> reqwest::Response {
        let fields = [
            ("r", token.to_owned()),
            ("kind", form.kind.key().to_owned()),
            ("institution_code", form.institution_code.clone()),
            ("insurance_code", form.insurance_code.clone().unwrap_or_default()),
            ("name", form.name.clone()),
            ("kana", form.kana.clone()),
            ("postal_code", form.postal_code.clone()),
            ("address", form.address.clone()),
            ("building", form.building.clone()),
            ("phone", form.phone.clone()),
            ("department", form.department.clone()),
            ("department_number", form.department_number.clone()),
            ("contact_name", form.contact_name.clone()),
            ("email", form.email.clone()),
        ];
        self.client().post(format!("{}/apply", self.url)).form(&fields).send().await.unwrap()
    }

    /// What an applicant does with the 疎通確認 link: opens it, and presses the page's button
    /// (its form posts the token back). The page's answer if it has no button; else the
    /// button's.
    pub async fn open_confirmation(&self, link: &str) -> reqwest::Response {
        let page = self.client().get(link).send().await.unwrap();
        if page.status() != 200 {
            return page;
        }
        let html = page.text().await.unwrap();
        let start = html.find("name=\"t\" value=\"").expect("the page holds its token") + 16;
        let token = &html[start..start + html[start..].find('"').unwrap()];
        let confirm = format!("{}/apply/confirm", self.url);
        self.client().post(confirm).form(&[("t", token)]).send().await.unwrap()
    }

    /// The 疎通確認 link mailed for application `id`, as the mail says it.
    pub async fn confirmation_link(&self, id: i64) -> String {
        let mails = self.storage.mail_of(id).await.unwrap();
        let mail = mails
            .iter()
            .find(|n| {
                n.kind == madoguchi_domain::NoticeKind::AddressCheck && n.application_id == id
            })
            .unwrap_or_else(|| panic!("no address check mail for application {id}"));
        let start = mail.body.find("https://").expect("the mail has the link");
        mail.body[start..].split_whitespace().next().unwrap().to_owned()
    }
}
