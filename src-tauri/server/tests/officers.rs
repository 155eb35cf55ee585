//! Officers' tokens through the real command (`madoguchi-server officer …`) against the
//! database a running server uses: a token works until it is rotated, revoked or expired;
//! `officer list` shows when each was last used and never a token.

use std::process::Command;

use madoguchi_server::testing::{TestServer, BACKENDS};

fn officer(db: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_madoguchi-server"))
        .args(["--database", db, "officer"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

async fn status(s: &TestServer, token: &str) -> u16 {
    s.get_as(token, "/v1/changes?since=0").await.status().as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_are_listed_rotated_revoked_and_expire() {
    for backend in BACKENDS {
        let s = TestServer::start(backend).await;
        // The server's own database, as the command is pointed at it in production.
        let db = s.database_url.clone();
        let token = officer(&db, &["add", "--prefecture", "13", "--name", "窓口 一郎"]);
        let token = token.trim();
        assert_eq!(token.len(), 40);
        assert_eq!(status(&s, token).await, 200, "{backend:?}");

        let list = officer(&db, &["list", "--prefecture", "13"]);
        let row = list.lines().find(|l| l.contains("窓口 一郎")).expect("listed");
        let id = row.split('\t').next().unwrap().to_owned();
        let cells: Vec<&str> = row.split('\t').collect();
        assert!(cells[4] > cells[3], "expires after it was made: {row}");
        assert_ne!(cells[5], "-", "last used is noted: {row}");
        assert_eq!(cells[6], "-");
        assert!(!list.contains(token), "never the token");
        assert!(!officer(&db, &["list", "--prefecture", "27"]).contains("窓口 一郎"));

        let rotated = officer(&db, &["rotate", &id]);
        let rotated = rotated.trim();
        assert_eq!((status(&s, token).await, status(&s, rotated).await), (401, 200));
        officer(&db, &["revoke", &id]);
        assert_eq!(status(&s, rotated).await, 401, "revoked");
        let list = officer(&db, &["list"]);
        let row = list.lines().find(|l| l.starts_with(&format!("{id}\t"))).unwrap();
        assert_ne!(row.split('\t').nth(6), Some("-"), "revoked when: {row}");

        let expired =
            officer(&db, &["add", "--prefecture", "13", "--name", "x", "--valid-days", "0"]);
        assert_eq!(status(&s, expired.trim()).await, 401, "expired");

        // Made together, expiring apart; one within 30 days is marked.
        for n in 0..6 {
            let name = format!("移行 {n}");
            officer(&db, &["add", "--prefecture", "13", "--name", &name, "--stagger", "60"]);
        }
        officer(&db, &["add", "--prefecture", "13", "--name", "もうすぐ", "--valid-days", "10"]);
        let list = officer(&db, &["list", "--prefecture", "13"]);
        let expiries: std::collections::BTreeSet<&str> = list
            .lines()
            .filter(|l| l.contains("移行"))
            .map(|l| &l.split('\t').nth(4).unwrap()[..10])
            .collect();
        assert!(expiries.len() > 1, "spread over days: {expiries:?}");
        let soon = list.lines().find(|l| l.contains("もうすぐ")).unwrap();
        assert!(soon.ends_with("(rotate soon)"), "{soon}");
    }
}
