//! A real server for tests (feature `testing`): HTTPS with certificates made on the spot
//! (rcgen), on a loopback port the system chooses, over SQLite or PostgreSQL. Used by this
//! crate's suite and by the desk–server story tests.

use std::sync::Arc;

use madoguchi_domain::api::Receipt;
use madoguchi_domain::ApplicationForm;
use madoguchi_domain::{InstitutionKind, Prefecture};

use crate::http::token_hash;
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

async fn serve(storage: Arc<dyn Storage>, certs: &Certificates, port: u16) -> Running {
    let tls = crate::tls_config(&certs.cert_path, &certs.key_path).await.unwrap();
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    crate::start(storage, listener, tls).await.unwrap()
}

pub struct TestServer {
    pub backend: Backend,
    pub url: String,
    pub storage: Arc<dyn Storage>,
    pub certs: Certificates,
    pub running: Option<Running>,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let certs = certificates(dir.path());
        let storage = storage::open(&database(backend, dir.path()).await).await.unwrap();
        let running = serve(storage.clone(), &certs, 0).await;
        let url = format!("https://localhost:{}", running.addr.port());
        TestServer { backend, url, storage, certs, running: Some(running), dir }
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
        self.running = Some(serve(self.storage.clone(), &self.certs, self.port()).await);
    }

    /// An HTTPS client that trusts only the test CA.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
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
        self.storage.create_officer(p, "窓口 太郎", &token_hash(&token)).await.unwrap();
        token
    }

    pub async fn submit(&self, form: &ApplicationForm) -> Receipt {
        let r = self
            .client()
            .post(format!("{}/v1/applications", self.url))
            .json(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        r.json().await.unwrap()
    }
}

/// A valid 医科 code of `prefecture` whose 医療機関番号 is `n` (district 01).
pub fn insurance_code(prefecture: &str, n: usize) -> String {
    (0..10)
        .map(|check| format!("{prefecture}101{:04}{check}", n % 10_000))
        .find(|c| c.parse::<madoguchi_domain::InsuranceCode>().is_ok())
        .expect("one check digit fits")
}

/// A valid form for institution number `n` of prefecture 01, 13 or 27: the same `n` is the
/// same institution.
pub fn form(prefecture: &str, n: usize) -> ApplicationForm {
    let address = match prefecture {
        "01" => "北海道札幌市南区川沿１３条２丁目１番３８号",
        "13" => "東京都千代田区丸の内１丁目",
        "27" => "大阪府大阪市中央区大手前２丁目",
        other => panic!("no sample for {other}"),
    };
    ApplicationForm {
        kind: InstitutionKind::Hospital,
        institution_code: format!("{prefecture}{n:06}"),
        insurance_code: Some(insurance_code(prefecture, n)),
        name: format!("テスト病院{n}"),
        kana: "テストビョウイン".into(),
        postal_code: "100-0001".into(),
        address: address.into(),
        phone: "03-1234-5678".into(),
        department: "事務部".into(),
        department_number: "1".into(),
        contact_name: "担当 花子".into(),
        email: format!("jimu{n}@hospital.example.jp"),
    }
}
