//! 停止と稼働確認: the server binary as systemd runs it. SIGTERM while the relay is still
//! answering a notice's DATA: the transaction finishes, the notice is 送信済み (not an
//! uncertain 送信失敗), and the process exits cleanly. Readiness says ready on both databases'
//! schema; liveness answers. (Signals are Unix's.)
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use madoguchi_server::testing::smtp::{raw_relay, AtDataEnd};
use madoguchi_server::testing::{certificates, form, TestServer};

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_mid_data_finishes_the_send_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let certs = certificates(dir.path());
    let database = format!("sqlite://{}", dir.path().join("central.db").display());
    let (relay, mut data_ended) = raw_relay(AtDataEnd::AnswerAfter(Duration::from_secs(3))).await;
    let relay_port = relay.port();
    let bounce_port = madoguchi_server::testing::postfix::free_port();
    let (mut child, url) = serve(
        &database,
        &certs,
        &[
            "--smtp-relay",
            &format!("smtp://127.0.0.1:{relay_port}?tls=none"),
            "--bounce-domain",
            "bounce.madoguchi.test",
            "--bounce-listen",
            &format!("127.0.0.1:{bounce_port}"),
        ],
    );
    let client = trusting(&[&certs.ca_pem]);
    for path in ["/v1/health/live", "/v1/health/ready"] {
        let r = client.get(format!("{url}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    // Every answer carries its request id: the caller's if plain, else a new one.
    let ask =
        |id: &str| client.get(format!("{url}/v1/health/live")).header("x-request-id", id).send();
    let kept = ask("lb-7f3a-01").await.unwrap();
    assert_eq!(kept.headers()["x-request-id"], "lb-7f3a-01");
    let made = ask("<script>").await.unwrap();
    let id = made.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    let r =
        client.post(format!("{url}/v1/applications")).json(&form("13", 1)).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<madoguchi_domain::api::Receipt>().await.unwrap().id;

    // The 疎通確認 mail is in the relay's hands, its answer 3 s away: stop the server now.
    tokio::time::timeout(Duration::from_secs(30), data_ended.recv()).await.unwrap().unwrap();
    kill(&child, "-TERM");
    let mut exited = None;
    for _ in 0..300 {
        if let Some(status) = child.try_wait().unwrap() {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = exited.expect("the server exits within its grace");
    assert!(status.success(), "a clean exit: {status}");
    let storage = madoguchi_server::storage::open(&database).await.unwrap();
    let mail = storage.mail_of(id).await.unwrap();
    let check = mail.first().expect("the check mail");
    assert_eq!(stored_state(&database, check.id).await, "sent", "finished, not left uncertain");
}

/// The server binary serving `database` with `certs` (and `extra` options); its address
/// as `https://localhost:port`.
fn serve(
    database: &str,
    certs: &madoguchi_server::testing::Certificates,
    extra: &[&str],
) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_madoguchi-server"))
        .args(["--database", database, "serve", "--listen", "127.0.0.1:0"])
        .arg("--tls-cert")
        .arg(&certs.cert_path)
        .arg("--tls-key")
        .arg(&certs.key_path)
        .args(extra)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server binary");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let url = first.trim().strip_prefix("madoguchi-server: ").expect(&first).to_owned();
    // The rest is read too: a closed pipe would fail the server's next line.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    (child, url.replace("127.0.0.1", "localhost"))
}

/// An HTTPS client that trusts only the CAs given (PEM).
fn trusting(cas: &[&str]) -> reqwest::Client {
    let mut builder = reqwest::Client::builder().tls_built_in_root_certs(false).https_only(true);
    for ca in cas {
        builder =
            builder.add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).unwrap());
    }
    builder.build().unwrap()
}

/// Sends `signal` (`-TERM`, `-HUP`) to the process.
fn kill(child: &std::process::Child, signal: &str) {
    let sent = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_serves_a_renewed_certificate_to_new_connections_and_keeps_open_ones() {
    let dir = tempfile::tempdir().unwrap();
    let certs = certificates(dir.path());
    let database = format!("sqlite://{}", dir.path().join("central.db").display());
    let (mut child, url) = serve(&database, &certs, &[]);
    let old = trusting(&[&certs.ca_pem]);
    assert_eq!(old.get(format!("{url}/v1/health/live")).send().await.unwrap().status(), 200);
    // Renewed: a certificate of another CA written over the files, then SIGHUP.
    let renewed_dir = dir.path().join("renewed");
    std::fs::create_dir_all(&renewed_dir).unwrap();
    let renewed = certificates(&renewed_dir);
    std::fs::copy(&renewed.cert_path, &certs.cert_path).unwrap();
    std::fs::copy(&renewed.key_path, &certs.key_path).unwrap();
    let new = trusting(&[&renewed.ca_pem]);
    assert!(
        new.get(format!("{url}/v1/health/live")).send().await.is_err(),
        "not before the signal"
    );
    kill(&child, "-HUP");
    let mut served = false;
    for _ in 0..50 {
        let fresh = trusting(&[&renewed.ca_pem]);
        if fresh.get(format!("{url}/v1/health/live")).send().await.is_ok_and(|r| r.status() == 200)
        {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served, "a new connection gets the renewed certificate");
    let kept = old.get(format!("{url}/v1/health/live")).send().await;
    assert_eq!(kept.unwrap().status(), 200, "the open connection keeps its certificate");
    kill(&child, "-TERM");
    assert!(child.wait().unwrap().success());
}

/// A notice's delivery state as stored.
async fn stored_state(database: &str, id: i64) -> String {
    let pool = sqlx::SqlitePool::connect(database).await.unwrap();
    sqlx::query_scalar("SELECT delivery_state FROM notices WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_checks_the_database_and_its_schema_on_both_databases() {
    for backend in madoguchi_server::testing::BACKENDS {
        let s = TestServer::start(backend).await;
        let r = s.client().get(format!("{}/v1/health/ready", s.url)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{backend:?}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["status"], "ready");
        assert_eq!(body["schema"]["applied"], body["schema"]["expected"]);
        let schema = s.storage.schema().await.unwrap();
        assert!(schema.expected >= 20261206000003, "{schema:?}");
        // The mailer, for information: nothing sent yet; a notice waiting since its approval.
        assert!(body["mail"]["last_sent_age_seconds"].is_null(), "{body}");
        assert!(body["mail"]["oldest_due_age_seconds"].is_null(), "{body}");
        let token = s.officer("13").await;
        s.approve(&token, &madoguchi_server::testing::form("13", 1)).await;
        let r = s.client().get(format!("{}/v1/health/ready", s.url)).send().await.unwrap();
        assert_eq!(r.status(), 200, "mail waiting never makes the server unready");
        let body: serde_json::Value = r.json().await.unwrap();
        let waited = body["mail"]["oldest_due_age_seconds"].as_i64();
        assert!(waited.is_some_and(|s| (0..60).contains(&s)), "{body}");
    }
}
