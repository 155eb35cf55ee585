//! Officers' tokens through the real command (`madoguchi-server officer …`) against the
//! database a running server uses: a token works until it is rotated, revoked or expired;
//! `officer list` shows when each was last used and never a token; what officers and
//! operators did comes out of `audit export`.

use std::process::Command;

use madoguchi_server::testing::{TestServer, BACKENDS};

fn officer(db: &str, args: &[&str]) -> String {
    command(db, &[&["officer"], args].concat())
}

fn command(db: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_madoguchi-server"))
        .args(["--database", db])
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

/// (The test Postfix runs on Linux only.)
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn the_audit_export_has_decisions_delivery_and_operators_actions() {
    for backend in BACKENDS {
        let mut s = TestServer::start(backend).await;
        let _relay = s.with_postfix().await;
        let db = s.database_url.clone();
        let token = officer(&db, &["add", "--prefecture", "13", "--name", "窓口 一郎"]);
        let other = officer(&db, &["add", "--prefecture", "27", "--name", "窓口 二郎"]);
        let clinic = madoguchi_domain::ApplicationForm {
            email: madoguchi_server::testing::postfix::to::CLINIC.into(),
            ..madoguchi_server::testing::form("13", 1)
        };
        let notice = s.approve(token.trim(), &clinic).await;
        s.settled(token.trim(), notice.id, madoguchi_domain::DeliveryState::Sent).await;
        s.approve(other.trim(), &madoguchi_server::testing::form("27", 2)).await;
        let today = chrono::Utc::now().date_naive().to_string();
        let export = |format: &str| {
            let args = ["audit", "export", "--prefecture", "13", "--from", &today, "--to", &today];
            command(&db, &[&args[..], &["--format", format]].concat())
        };
        let csv = export("csv");
        assert!(
            csv.starts_with(
                "\u{feff}at,kind,application_id,notice_id,officer_id,desk,from_status,to,detail"
            ),
            "{csv}"
        );
        let lines: Vec<&str> = csv.lines().collect();
        let has = |kind: &str, to: &str| {
            lines.iter().any(|l| l.contains(&format!(",{kind},")) && l.contains(&format!(",{to},")))
        };
        assert!(has("decision", "in_review") && has("decision", "approved_new_account"), "{csv}");
        assert!(has("delivery", "sent"), "{csv}");
        assert!(lines.iter().any(|l| l.contains(",admin,") && l.contains("officer_add")), "{csv}");
        assert!(csv.contains(&format!(",{},", notice.id)), "the notice is named: {csv}");
        // 大阪府's application and anything personal stay out.
        assert!(!csv.contains("テスト病院2") && !csv.contains(",27,"), "{csv}");
        assert!(!csv.contains('@') && !csv.contains(token.trim()), "{csv}");
        let jsonl = export("jsonl");
        let rows: Vec<serde_json::Value> =
            jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(rows.len(), lines.len() - 1, "the same rows as the CSV");
        assert!(
            rows.windows(2).all(|w| w[0]["at"].as_str() <= w[1]["at"].as_str()),
            "in time order"
        );
    }
}
