//! Desks and the central server together, over real HTTPS on loopback: what travels, what
//! races, and what survives a killed desk or a killed server.

use std::process::{Command, Stdio};
use std::time::Duration;

use madoguchi_domain::{Action, ApplicationStatus, RejectReason};
use madoguchi_server::testing::{form, Backend, TestServer};
use madoguchi_stories::{desk, server_process, wait_until_up, Killed};

fn start_review() -> Action {
    Action::StartReview
}

#[tokio::test(flavor = "multi_thread")]
async fn an_application_reaches_both_desks_and_a_decision_travels() {
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let (a, b) = (desk(&server, &token, "desk-a").await, desk(&server, &token, "desk-b").await);
    let id = server.submit(&form("13", 1)).await.id;

    for d in [&a, &b] {
        let report = d.store.sync(&d.client).await.unwrap();
        assert_eq!(report.pulled, 1);
        let (app, local) = d.store.application(id).await.unwrap().unwrap();
        assert_eq!((app.status, local), (ApplicationStatus::Submitted, None));
    }
    // Desk A reviews and approves; before it syncs, its own view already shows the result.
    a.store.queue_action(id, start_review(), None).await.unwrap();
    a.store.queue_action(id, Action::ApproveNewAccount, Some("確認済み".into())).await.unwrap();
    let (_, local) = a.store.application(id).await.unwrap().unwrap();
    assert_eq!(local, Some(ApplicationStatus::ApprovedNewAccount));
    assert_eq!(a.store.sync_status().await.unwrap().pending, 2);
    let report = a.store.sync(&a.client).await.unwrap();
    assert_eq!((report.sent, report.rejected), (2, 0));
    let status = a.store.sync_status().await.unwrap();
    assert_eq!((status.pending, status.rejected), (0, 0));
    assert!(status.last_sync_at.is_some());

    // Desk B learns it on its next sync, with the notice and the account.
    b.store.sync(&b.client).await.unwrap();
    let (app, local) = b.store.application(id).await.unwrap().unwrap();
    assert_eq!((app.status, local, app.version), (ApplicationStatus::ApprovedNewAccount, None, 3));
    assert_eq!(app.note.as_deref(), Some("確認済み"));
    let notices: i64 = sqlx_count(&b, "notices").await;
    let accounts: i64 = sqlx_count(&b, "accounts").await;
    assert_eq!((notices, accounts), (1, 1));
}

async fn sqlx_count(d: &madoguchi_stories::Desk, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(d.store.pool())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_desks_decide_the_same_1000_applications_at_once() {
    const N: usize = 1000;
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let (a, b) = (desk(&server, &token, "desk-a").await, desk(&server, &token, "desk-b").await);
    let mut ids = Vec::with_capacity(N);
    for n in 0..N {
        ids.push(server.submit(&form("13", n)).await.id);
    }
    a.store.sync(&a.client).await.unwrap();
    b.store.sync(&b.client).await.unwrap();
    for &id in &ids {
        a.store.queue_action(id, start_review(), None).await.unwrap();
        a.store.queue_action(id, Action::ApproveNewAccount, None).await.unwrap();
        b.store.queue_action(id, start_review(), None).await.unwrap();
        b.store
            .queue_action(id, Action::Reject { reason: RejectReason::Duplicate }, None)
            .await
            .unwrap();
    }
    let (ra, rb) = tokio::join!(a.store.push(&a.client), b.store.push(&b.client));
    let (pa, pb) = (ra.unwrap(), rb.unwrap());
    let ((sent_a, refused_a), (sent_b, refused_b)) =
        ((pa.sent, pa.rejected), (pb.sent, pb.rejected));

    // Every application got exactly one decision on the server.
    let (mut approved, mut rejected) = (0, 0);
    for &id in &ids {
        let app = server.storage.application("13".parse().unwrap(), id).await.unwrap().unwrap();
        match app.status {
            ApplicationStatus::ApprovedNewAccount => approved += 1,
            ApplicationStatus::Rejected => rejected += 1,
            other => panic!("{id} left {other:?}"),
        }
        let audit = server.storage.audit("13".parse().unwrap(), id).await.unwrap();
        assert_eq!(audit.len(), 3, "intake, one review, one decision: {audit:?}");
    }
    assert_eq!(approved + rejected, N);
    // Each desk's chain either went through whole or was refused: the losers saw 409s.
    assert_eq!(sent_a + sent_b, 2 * N);
    let ra = a.store.rejections().await.unwrap();
    let rb = b.store.rejections().await.unwrap();
    assert_eq!(ra.len() + rb.len(), 2 * N);
    assert_eq!(
        refused_a + refused_b,
        N,
        "one refusal sent back per lost chain; its follower not sent"
    );
    assert!(ra
        .iter()
        .chain(&rb)
        .all(|r| ["E-SYNC-409", "E-APP-TRANSITION", "E-SYNC-DEPENDENT"]
            .contains(&r.error.code.as_str())));
    println!("desk A approved {approved}, desk B rejected {rejected}");
}

fn story_desk(db: &std::path::Path, server: &TestServer, token: &str, args: &[&str]) -> Command {
    let ca = server.dir.path().join("ca.pem");
    std::fs::write(&ca, &server.certs.ca_pem).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_story-desk"));
    cmd.arg(db)
        .args(args)
        .env("MADOGUCHI_SERVER_URL", &server.url)
        .env("MADOGUCHI_CA_PEM", &ca)
        .env("MADOGUCHI_TOKEN", token)
        .env("RUST_LOG", "info");
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn offline_actions_survive_kill_9_and_apply_exactly_once() {
    let mut server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let ids = [server.submit(&form("13", 1)).await.id, server.submit(&form("13", 2)).await.id];
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("desk.db");
    assert!(story_desk(&db, &server, &token, &["sync"]).status().unwrap().success());

    // The line goes down. The officer keeps working.
    server.stop().await;
    for id in ids {
        for action in [r#"{"action":"start_review"}"#, r#"{"action":"approve_new_account"}"#] {
            let out = story_desk(&db, &server, &token, &["queue", &id.to_string(), action])
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
    }
    assert_eq!(
        story_desk(&db, &server, &token, &["sync"]).status().unwrap().code(),
        Some(3),
        "offline"
    );
    // The desk keeps retrying, and is killed outright mid-way.
    let mut running = Killed(
        story_desk(&db, &server, &token, &["sync-forever"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    running.kill().unwrap(); // SIGKILL
    running.wait().unwrap();

    // Back online: one sync applies all four actions, once.
    server.restart().await;
    let out = story_desk(&db, &server, &token, &["sync"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["sent"], 4, "{report}");
    for id in ids {
        let app = server.storage.application("13".parse().unwrap(), id).await.unwrap().unwrap();
        assert_eq!((app.status, app.version), (ApplicationStatus::ApprovedNewAccount, 3));
        assert_eq!(server.storage.audit("13".parse().unwrap(), id).await.unwrap().len(), 3);
    }
    assert_eq!(server.storage.accounts("13".parse().unwrap()).await.unwrap().len(), 2);
    // Nothing is left to send, and a further sync sends nothing again.
    let out = story_desk(&db, &server, &token, &["sync"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["sent"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_killed_mid_request_loses_and_doubles_nothing() {
    const N: usize = 150;
    // The real server command in its own process, over SQLite, killed with SIGKILL.
    let fixture = TestServer::start(Backend::Sqlite).await; // certificates and a place for files
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}", dir.path().join("central.db").display());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let spawn = || server_process(env!("CARGO_BIN_EXE_story-server"), &fixture, &db_url, port);
    let storage = madoguchi_server::storage::open(&db_url).await.unwrap();
    let token = "story-token-13";
    storage
        .create_officer(
            "13".parse().unwrap(),
            "窓口 太郎",
            &madoguchi_server::tokens::token_hash(token),
            &madoguchi_server::tokens::token_expiry(madoguchi_server::tokens::TOKEN_DAYS),
        )
        .await
        .unwrap();
    let mut process = spawn();
    let url = format!("https://localhost:{port}");
    let http = fixture.client();
    wait_until_up(&http, &url).await;
    let mut ids = Vec::new();
    // Entered straight into the database (the public intake would hold each for its address
    // check and limit one address's rate): this story is about decisions.
    for n in 0..N {
        let f = form("13", n);
        let valid = f.validate().unwrap();
        let by = madoguchi_domain::api::SubmittedBy::Institution;
        ids.push(storage.submit(&f, &valid, by, "2026-11-29T00:00:00Z").await.unwrap().id);
    }
    let mut config = madoguchi_stories::config(&fixture, "desk-a");
    config.server_url = url.clone();
    let d = madoguchi_core::Store::open(&dir.path().join("desk.db")).await.unwrap();
    let client =
        madoguchi_core::sync::SyncClient::new(&config, madoguchi_core::keychain::Token::new(token))
            .unwrap();
    d.sync(&client).await.unwrap();
    for &id in &ids {
        d.queue_action(id, start_review(), None).await.unwrap();
        d.queue_action(id, Action::ApproveNewAccount, None).await.unwrap();
    }
    // Kill the server while the desk is pushing: once a few dozen approvals are through.
    let push = tokio::spawn(async move {
        let outcome = d.push(&client).await;
        (d, client, outcome)
    });
    for _ in 0..400 {
        if storage.notices("13".parse().unwrap(), 0, 1000).await.unwrap().len() >= 30 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    process.kill().unwrap();
    process.wait().unwrap();
    let (d, client, first) = push.await.unwrap();
    let trouble = first.expect("a server gone is not the push's failure").trouble;
    assert!(trouble.is_some_and(|e| e.is_transient()), "the push was cut off");
    let left = d.sync_status().await.unwrap().pending;
    assert!(left > 0 && left < 2 * N as i64, "some sent, some not: {left}");

    let process = spawn();
    wait_until_up(&http, &url).await;
    let report = d.sync(&client).await.unwrap();
    assert_eq!(report.rejected, 0, "retries with the same keys get their first answers");
    for &id in &ids {
        let app = storage.application("13".parse().unwrap(), id).await.unwrap().unwrap();
        assert_eq!((app.status, app.version), (ApplicationStatus::ApprovedNewAccount, 3), "{id}");
        assert_eq!(
            storage.audit("13".parse().unwrap(), id).await.unwrap().len(),
            3,
            "{id}: no doubled decision"
        );
    }
    assert_eq!(storage.accounts("13".parse().unwrap()).await.unwrap().len(), N);
    assert_eq!(d.sync_status().await.unwrap().pending, 0);
    drop(process);
}

/// A token that ends within a month is warned of on the desk: the server names its end on
/// every page of the feed, the desk keeps it, and the status bar's figure counts the days.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_ending_within_a_month_is_warned_of_on_the_desk() {
    use madoguchi_core::sync::token_days_left;
    let server = TestServer::start(Backend::Sqlite).await;
    let year = server.officer("13").await;
    let short = "token-ending-soon-0123456789";
    let ends = madoguchi_server::tokens::token_expiry(10);
    let hash = madoguchi_server::tokens::token_hash(short);
    server.storage.create_officer("13".parse().unwrap(), "窓口 次郎", &hash, &ends).await.unwrap();
    let now = chrono::Utc::now();
    for (token, warned) in [(year.as_str(), None), (short, Some(9))] {
        let d = desk(&server, token, "desk-a").await;
        d.store.sync(&d.client).await.unwrap();
        let status = d.store.sync_status().await.unwrap();
        let days = token_days_left(status.token_expires_at.as_deref(), now);
        assert!(days == warned || days == warned.map(|d| d + 1), "{token}: {days:?} {status:?}");
    }
}

/// A desk whose connection was closed for being idle (as the server and many proxies do)
/// reconnects with its TLS session ticket: no full handshake. A desk that lost its server
/// keeps trying at its pace (sooner than the minute, never giving up) and syncs once it is back.
#[tokio::test(flavor = "multi_thread")]
async fn a_desk_resumes_its_tls_session_and_comes_back_after_a_restart_at_its_pace() {
    let limits = madoguchi_server::limits::Limits {
        idle_timeout: Duration::from_millis(500),
        ..madoguchi_server::testing::roomy_limits()
    };
    let mut server = TestServer::start_with_limits(Backend::Sqlite, limits).await;
    let token = server.officer("13").await;
    let d = desk(&server, &token, "desk-a").await;
    let handshakes = |kind| server.metrics.tls_handshakes(kind);
    let (full, resumed) = (handshakes("full"), handshakes("resumed"));
    d.store.sync(&d.client).await.unwrap();
    assert_eq!((handshakes("full") - full, handshakes("resumed") - resumed), (1, 0));
    // Idle past the server's limit: the connection is closed; the next sync reconnects.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    d.store.sync(&d.client).await.unwrap();
    assert_eq!((handshakes("full") - full, handshakes("resumed") - resumed), (1, 1));

    server.stop().await;
    let mut pace = madoguchi_core::sync::Pace::new(
        Duration::from_secs(60),
        Duration::from_millis(20),
        Duration::from_millis(200),
    );
    let mut waits = Vec::new();
    for _ in 0..4 {
        let outcome = d.store.sync(&d.client).await.map(|_| ());
        assert!(matches!(outcome, Err(madoguchi_core::sync::SyncError::Offline(_))), "{outcome:?}");
        let wait = pace.next(outcome.as_ref().map(|_| ()));
        waits.push(wait);
        tokio::time::sleep(wait).await;
    }
    assert_eq!(pace.failures(), 4);
    assert!(waits.iter().all(|w| *w <= Duration::from_millis(200)), "{waits:?}");
    server.restart().await;
    let outcome = d.store.sync(&d.client).await.map(|_| ());
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(pace.next(outcome.as_ref().map(|_| ())), Duration::from_secs(60));
    assert_eq!(pace.failures(), 0);
}
