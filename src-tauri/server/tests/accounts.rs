//! 都道府県システムからのデータ移行 through the real command: a Shift_JIS export of existing
//! accounts, tried first (every conflict by line, nothing changed), then applied in one go;
//! the accounts reach the feed, and an institution imported this way is approved as existing.

use std::process::Command;

use madoguchi_domain::api::{DecisionResponse, Entity};
use madoguchi_domain::NoticeKind;
use madoguchi_server::testing::{form, insurance_code, TestServer, BACKENDS};

fn import(db: &str, file: &std::path::Path, dry_run: bool) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_madoguchi-server"));
    command.args(["--database", db, "accounts", "import", "--prefecture", "13"]).arg(file);
    if dry_run {
        command.arg("--dry-run");
    }
    let out = command.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn existing_accounts_are_imported_once_with_every_conflict_said() {
    for backend in BACKENDS {
        let s = TestServer::start(backend).await;
        let token = s.officer("13").await;
        // One institution already has an account, approved here.
        s.approve(&token, &form("13", 7)).await;
        let slipped = {
            let good = insurance_code("13", 52);
            let last = good.chars().last().unwrap().to_digit(10).unwrap();
            format!("{}{}", &good[..9], (last + 1) % 10)
        };
        let rows = [
            format!(
                "13000051,{},テスト病院51,病院,13,gm-import-51,jimu@51.example.jp,担当 一",
                insurance_code("13", 51)
            ),
            format!("13000052,{slipped},テスト病院52,病院,13,gm-import-52,,"),
            format!("27000053,{},大阪の病院,病院,27,gm-import-53,,", insurance_code("27", 53)),
            format!("13000054,{},テスト病院54,病院,13,gm-import-51,,", insurance_code("13", 54)),
            "13000055,,みどり助産院,助産所,13,gm-import-55,,".to_owned(),
            format!("13000007,{},テスト病院7,病院,13,gm-import-07,,", insurance_code("13", 7)),
            format!("13000051,{},テスト病院51,病院,13,gm-other-51,,", insurance_code("13", 51)),
        ];
        let text = format!(
            "機関コード,保険医療機関コード,機関名,機関区分,都道府県コード,ログインID,メールアドレス,担当者名\r\n{}\r\n",
            rows.join("\r\n")
        );
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(&text);
        let file = s.dir.path().join("accounts.csv");
        std::fs::write(&file, &sjis).unwrap();
        let accounts = |s: &TestServer| {
            let storage = s.storage.clone();
            async move { storage.accounts("13".parse().unwrap()).await.unwrap() }
        };

        // Tried: what would happen, line by line, and nothing changes.
        let report = import(&s.database_url, &file, true);
        assert!(report.starts_with("2件を追加します（試行"), "{backend:?}: {report}");
        for line in [
            "3行目: 保険医療機関コード",
            "4行目: 大阪府の行です",
            "5行目: このログインIDは2行目にも",
            "7行目: この機関には別のログインID",
            "8行目: 同じ機関が2行目に別の",
        ] {
            assert!(report.contains(line), "{line} missing in:\n{report}");
        }
        assert!(!report.contains("gm-import"), "login IDs are not repeated: {report}");
        assert_eq!(accounts(&s).await.len(), 1, "a dry run changes nothing");

        // Applied: the two good ones, in the feed; again: unchanged.
        let report = import(&s.database_url, &file, false);
        assert!(report.starts_with("2件を追加しました"), "{report}");
        let held = accounts(&s).await;
        assert_eq!(held.len(), 3);
        let fed: Vec<String> = s
            .changes(&token, 0)
            .await
            .changes
            .into_iter()
            .filter_map(|c| match c.entity {
                Entity::Account(a) => Some(a.login_id),
                _ => None,
            })
            .collect();
        assert!(
            fed.contains(&"gm-import-51".to_owned()) && fed.contains(&"gm-import-55".to_owned())
        );
        assert!(
            import(&s.database_url, &file, false).starts_with("0件を追加しました。2件は登録済み")
        );

        // The imported institution applies: it is an existing account, approved as one.
        let id = s.submit(&form("13", 51)).await.id;
        assert_eq!(s.decide(&token, id, 1, "start_review").await.status(), 200);
        assert_eq!(s.decide(&token, id, 2, "approve_new_account").await.status(), 422);
        let existing = serde_json::json!({ "action": "approve_existing_account" });
        let r = s.decide_as(&token, id, 2, existing, "existing").await;
        assert_eq!(r.status(), 200, "{backend:?}");
        let answer: DecisionResponse = r.json().await.unwrap();
        assert_eq!(answer.application.login_id.as_deref(), Some("gm-import-51"));
        assert_eq!(answer.notice.unwrap().kind, NoticeKind::ExistingAccount);
    }
}
