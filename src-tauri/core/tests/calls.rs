//! Calls walked through the real tree on a real SQLite file: every seed branch to an ending,
//! time per node with pauses, going back, the identity checks before a login ID, the
//! statistics — and each call pinned to the tree version it started on.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Duration, Utc};
use madoguchi_core::calls::{stats, CallLinks, IdentityChecks};
use madoguchi_core::settings::DeskSettings;
use madoguchi_core::Store;
use madoguchi_domain::api::{CallInstitution, CallState};
use madoguchi_domain::triage::{NodeKind, Outcome, Tree};
use madoguchi_domain::Coded;

async fn store(dir: &tempfile::TempDir) -> Store {
    let store = Store::open(&dir.path().join("desk.db")).await.unwrap();
    store
        .save_desk_settings(&DeskSettings {
            prefecture: Some("13".parse().unwrap()),
            ..Default::default()
        })
        .await
        .unwrap();
    store
}

fn t0() -> DateTime<Utc> {
    "2026-11-25T01:00:00Z".parse().unwrap()
}

/// The answers (0-based) that lead from `from` to `to`, by breadth-first search.
fn path(tree: &Tree, from: &str, to: impl Fn(&str) -> bool) -> Option<Vec<usize>> {
    let mut came: BTreeMap<String, (String, usize)> = BTreeMap::new();
    let mut todo = VecDeque::from([from.to_owned()]);
    let mut seen = std::collections::BTreeSet::from([from.to_owned()]);
    while let Some(id) = todo.pop_front() {
        if to(&id) {
            let mut answers = Vec::new();
            let mut at = id;
            while let Some((prev, answer)) = came.get(&at) {
                answers.push(*answer);
                at = prev.clone();
            }
            answers.reverse();
            return Some(answers);
        }
        for (i, next) in tree.node(&id).unwrap().exits().into_iter().enumerate() {
            if seen.insert(next.to_owned()) {
                came.insert(next.to_owned(), (id.clone(), i));
                todo.push_back(next.to_owned());
            }
        }
    }
    None
}

#[tokio::test]
async fn every_seed_branch_is_walked_to_an_ending() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let tree = Tree::national();
    let items = tree.seed_items();
    assert!(items.len() >= 35, "the seed's branches and FAQ items: {}", items.len());
    let mut walked = 0;
    for (item, nodes) in &items {
        for node in nodes {
            let to_node = path(tree, &tree.start, |id| id == *node)
                .unwrap_or_else(|| panic!("{item}: {node} unreachable"));
            let to_end =
                path(tree, node, |id| tree.node(id).unwrap().kind == NodeKind::End).unwrap();
            let mut call = store.start_call(tree, "desk-a", t0()).await.unwrap();
            for (i, answer) in to_node.iter().chain(&to_end).enumerate() {
                call = store
                    .choose(tree, &call.id, *answer, t0() + Duration::seconds(10 * (i as i64 + 1)))
                    .await
                    .unwrap();
            }
            assert!(call.steps.iter().any(|s| s.node == *node), "{item} passes {node}");
            let ending = tree.node(call.ending.as_deref().expect("an ending")).unwrap();
            assert_eq!(ending.kind, NodeKind::End);
            assert_eq!(call.outcome, ending.outcome, "{item}");
            walked += 1;
        }
    }
    assert_eq!(store.calls().await.unwrap().len(), walked);
}

#[tokio::test]
async fn the_spam_folder_branch_with_time_pause_back_and_note() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let tree = Tree::national();
    let s = |n: i64| t0() + Duration::seconds(n);
    let call = store.start_call(tree, "desk-a", s(0)).await.unwrap();
    assert_eq!(call.tree_version, tree.version);
    store.choose(tree, &call.id, 0, s(20)).await.unwrap(); // メールが届かない
    store.choose(tree, &call.id, 0, s(30)).await.unwrap(); // まだ申請していない (a slip)
    store.back(&call.id, s(35)).await.unwrap();
    store.choose(tree, &call.id, 2, s(50)).await.unwrap(); // 2週間以上
    store.choose(tree, &call.id, 0, s(55)).await.unwrap(); // 承認済み (seen in the queue)
                                                           // On hold for five minutes at the spam question: not counted.
    store.pause_call(&call.id, true, s(60)).await.unwrap();
    let err = store.choose(tree, &call.id, 0, s(200)).await.unwrap_err();
    assert_eq!(err.code(), "E-CALL-PAUSED");
    store.pause_call(&call.id, false, s(360)).await.unwrap();
    store.choose(tree, &call.id, 0, s(375)).await.unwrap(); // 迷惑メールフォルダにあった
    store.choose(tree, &call.id, 0, s(400)).await.unwrap(); // 次へ
    let call = store.choose(tree, &call.id, 0, s(430)).await.unwrap(); // 次へ → ending
    assert_eq!(
        store.choose(tree, &call.id, 0, s(431)).await.unwrap_err().code(),
        "E-CALL-CHOICE",
        "an ending has no answers"
    );
    assert_eq!(call.ending.as_deref(), Some("spam_done"));
    assert_eq!(call.outcome, Some(Outcome::Resolved));
    let path: Vec<&str> = call.steps.iter().map(|s| s.node.as_str()).collect();
    assert_eq!(
        path,
        [
            "start",
            "mail_applied",
            "app_status",
            "mail_spam",
            "spam_move",
            "spam_safe_sender",
            "spam_done"
        ]
    );
    let seconds: Vec<i64> = call.steps.iter().map(|s| s.seconds).collect();
    assert_eq!(
        seconds,
        [20, 30, 5, 20, 25, 30, 0],
        "the slip's 5 s count at 申請の時期; the hold does not count"
    );

    let call = store
        .link_call(
            tree,
            &call.id,
            CallLinks {
                institution: Some(CallInstitution {
                    name: "テスト病院".into(),
                    insurance_code: Some("1310100081".into()),
                }),
                application_id: Some(7),
            },
            s(440),
        )
        .await
        .unwrap();
    assert_eq!(call.application_id, Some(7));
    let call = store
        .finish_call(&call.id, "  迷惑メールにありました  ", Some(Outcome::Escalate), s(450))
        .await
        .unwrap();
    assert_eq!((call.state, call.note.as_str()), (CallState::Finished, "迷惑メールにありました"));
    assert_eq!(
        call.outcome,
        Some(Outcome::Resolved),
        "the ending's outcome stands over the one given"
    );
    assert_eq!(store.back(&call.id, s(460)).await.unwrap_err().code(), "E-CALL-FINISHED");

    // Survives reopening the file.
    drop(store);
    let store = Store::open(&dir.path().join("desk.db")).await.unwrap();
    let again = store.call(&call.id).await.unwrap();
    assert_eq!(again, call);

    let stats = stats(&store.calls().await.unwrap());
    assert_eq!(stats.calls, 1);
    assert_eq!(stats.per_day, [("2026-11-25".to_owned(), 1)]);
    assert_eq!(stats.per_outcome[0].1, "解決");
    assert!(stats.branches.iter().any(|(n, a, c)| n == "迷惑メールフォルダの確認"
        && a == "迷惑メールフォルダにあった"
        && *c == 1));
    assert!(
        stats.node_time.contains(&("お問い合わせの内容".to_owned(), 1, 20.0)),
        "{:?}",
        stats.node_time
    );
    assert_eq!(stats.node_time[0].2, 30.0, "longest first");
    let table = madoguchi_core::calls::calls_table(&store.calls().await.unwrap());
    assert!(table.rows[0][8].starts_with(
        "お問い合わせの内容 → 申請の有無と時期 → 申請の状況を確認 → 迷惑メールフォルダの確認"
    ));
}

#[tokio::test]
async fn a_login_id_needs_every_check_and_an_institution() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let tree = Tree::national();
    let call = store.start_call(tree, "desk-a", t0()).await.unwrap();
    let all = IdentityChecks { phone: true, email: true, contact_name: true };
    for partial in [
        IdentityChecks { phone: false, ..all },
        IdentityChecks { email: false, ..all },
        IdentityChecks { contact_name: false, ..all },
    ] {
        assert_eq!(
            store.disclose_login_id(&call.id, partial, "desk-a", t0()).await.unwrap_err().code(),
            "E-DISCLOSE-CHECKS"
        );
    }
    assert_eq!(
        store.disclose_login_id(&call.id, all, "desk-a", t0()).await.unwrap_err().code(),
        "E-DISCLOSE-INSTITUTION"
    );
    let institution = CallInstitution {
        name: "テスト病院".into(),
        insurance_code: Some("13 1 01 0008 1".into()),
    };
    store
        .link_call(
            tree,
            &call.id,
            CallLinks { institution: Some(institution), application_id: None },
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(
        store.disclose_login_id(&call.id, all, "desk-a", t0()).await.unwrap_err().code(),
        "E-DISCLOSE-NO-ACCOUNT"
    );
    // An account as the feed brings it.
    let account = serde_json::json!({
        "id": 1, "prefecture": "13", "institution_code": "13000008", "insurance_code": "1310100081",
        "institution_name": "テスト病院", "login_id": "gm-abc123", "created_at": "2026-11-01T00:00:00Z"
    });
    sqlx::query("INSERT INTO accounts (id, insurance_code, institution_code, login_id, payload) VALUES (1, '1310100081', '13000008', 'gm-abc123', ?1)")
        .bind(account.to_string())
        .execute(store.pool())
        .await
        .unwrap();
    let disclosed = store.disclose_login_id(&call.id, all, "desk-a", t0()).await.unwrap();
    assert_eq!(disclosed.login_id, "gm-abc123");
    let call = store.call(&call.id).await.unwrap();
    assert_eq!(disclosed.call, call, "the call comes back as stored");
    assert_eq!(call.disclosures.len(), 1, "every disclosure is recorded");
    assert_eq!(call.disclosures[0].account_institution_code, "13000008");
    assert!(
        !serde_json::to_string(&call).unwrap().contains("gm-abc123"),
        "the record names the account, not its ID"
    );
}

#[tokio::test]
async fn a_walk_cut_short_takes_the_outcome_the_officer_gives() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let tree = Tree::national();
    let call = store.start_call(tree, "desk-a", t0()).await.unwrap();
    store.choose(tree, &call.id, 1, t0()).await.unwrap();
    let call = store
        .finish_call(&call.id, "途中で切れた。折り返す", Some(Outcome::PrefectureContacts), t0())
        .await
        .unwrap();
    assert_eq!((call.ending, call.outcome), (None, Some(Outcome::PrefectureContacts)));
    let open = store.start_call(tree, "desk-a", t0()).await.unwrap();
    let open = store.finish_call(&open.id, "", None, t0()).await.unwrap();
    assert_eq!(open.outcome, None, "未完了 stays so");
}

#[tokio::test]
async fn a_desk_without_a_prefecture_cannot_start_a_call() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("desk.db")).await.unwrap();
    assert_eq!(
        store.start_call(Tree::national(), "d", t0()).await.unwrap_err().code(),
        "E-CALL-PREFECTURE"
    );
}

/// The call's log keeps the answers as the officer read them: the tree's facts said (the
/// prefecture's own value where it set one), never a `{…}` name.
#[tokio::test(flavor = "multi_thread")]
async fn a_call_records_its_answers_with_the_facts_said() {
    let dir = tempfile::tempdir().unwrap();
    let desk = madoguchi_core::Desk::open(&dir.path().join("madoguchi.db"), false).await.unwrap();
    let settings = DeskSettings { prefecture: Some("13".parse().unwrap()), ..Default::default() };
    desk.save_settings(&settings).await.unwrap();
    let call = desk.start_call().await.unwrap();
    desk.choose(&call.id, 0).await.unwrap(); // アカウント発行通知メールが届かない
    let call = desk.choose(&call.id, 1).await.unwrap(); // 申請して…たっていない
    assert_eq!(call.steps[1].answer.as_deref(), Some("申請して2週間たっていない"));

    let mut ours = madoguchi_domain::triage::Overrides::default();
    ours.facts.insert("確認を始める目安".into(), "1か月".into());
    let draft =
        madoguchi_core::prefecture::PrefectureDraft { overrides: ours, ..Default::default() };
    desk.save_prefecture_settings(draft).await.unwrap();
    let call = desk.start_call().await.unwrap();
    desk.choose(&call.id, 0).await.unwrap();
    let call = desk.choose(&call.id, 2).await.unwrap();
    assert_eq!(call.steps[1].answer.as_deref(), Some("申請して1か月以上たつ"));
}
