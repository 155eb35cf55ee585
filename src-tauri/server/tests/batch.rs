//! 一括送信 (`POST /v1/decisions`): a desk's queued decisions in one request, each checked,
//! versioned, idempotent and audited on its own, answered in order; on both databases.

use madoguchi_domain::api::{ApplicationDetail, DecisionBatchAnswer};
use madoguchi_domain::ApplicationStatus;
use madoguchi_server::testing::{form, TestServer, BACKENDS};
use serde_json::{json, Value};

fn decision(id: i64, key: &str, version: i64, action: &str) -> Value {
    json!({
        "application_id": id,
        "idempotency_key": key,
        "request": { "expected_version": version, "action": { "action": action }, "note": null, "desk": "窓口A" },
    })
}

async fn send(s: &TestServer, token: &str, decisions: Vec<Value>) -> reqwest::Response {
    s.client()
        .post(format!("{}/v1/decisions", s.url))
        .bearer_auth(token)
        .json(&json!({ "decisions": decisions }))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_is_answered_decision_by_decision_and_a_refusal_sinks_nothing() {
    for backend in BACKENDS {
        let s = TestServer::start(backend).await;
        let token = s.officer("13").await;
        let a = s.submit(&form("13", 1)).await.id;
        let b = s.submit(&form("13", 2)).await.id;
        let elsewhere = s.submit(&form("27", 3)).await.id;

        let batch = vec![
            decision(a, "a-1", 1, "start_review"),
            decision(b, "b-9", 9, "start_review"), // stale: the server has version 1
            decision(elsewhere, "c-1", 1, "start_review"), // 大阪府's: not this officer's
            decision(a, "a-2", 2, "approve_new_account"), // builds on the first, in order
            decision(a, "a-1", 1, "start_review"), // the first again: its first answer
        ];
        let r = send(&s, &token, batch.clone()).await;
        assert_eq!(r.status(), 200, "{backend:?}");
        let answer: DecisionBatchAnswer = r.json().await.unwrap();
        let statuses: Vec<u16> = answer.results.iter().map(|r| r.status).collect();
        assert_eq!(statuses, [200, 409, 404, 200, 200], "{backend:?}");
        let keys: Vec<&str> = answer.results.iter().map(|r| r.idempotency_key.as_str()).collect();
        assert_eq!(keys, ["a-1", "b-9", "c-1", "a-2", "a-1"]);
        let stale = answer.results[1].refused.as_ref().unwrap();
        assert_eq!(stale.code, "E-SYNC-409");
        assert_eq!(stale.current.as_ref().unwrap().version, 1, "the server's copy comes back");
        assert_eq!(answer.results[2].refused.as_ref().unwrap().code, "E-APP-NOT-FOUND");
        let approved = answer.results[3].decided.as_ref().unwrap();
        assert_eq!(approved.application.status, ApplicationStatus::ApprovedNewAccount);
        assert!(approved.notice.is_some(), "the issuance notice queued");
        assert_eq!(answer.results[4], answer.results[0], "a repeated key replays its answer");

        // The whole batch again, as a desk whose answer was lost: the same answers, and no
        // second decision anywhere.
        let again: DecisionBatchAnswer = send(&s, &token, batch).await.json().await.unwrap();
        assert_eq!(again, answer, "{backend:?}");
        let detail: ApplicationDetail =
            s.get_as(&token, &format!("/v1/applications/{a}")).await.json().await.unwrap();
        assert_eq!(detail.audit.len(), 3, "submitted, in review, approved — once each");
        let b_now: ApplicationDetail =
            s.get_as(&token, &format!("/v1/applications/{b}")).await.json().await.unwrap();
        assert_eq!(b_now.application.status, ApplicationStatus::Submitted);

        // A key is bound to its decision, in a batch as on its own.
        let reused = send(&s, &token, vec![decision(b, "a-1", 1, "start_review")]).await;
        let reused: DecisionBatchAnswer = reused.json().await.unwrap();
        assert_eq!(reused.results[0].status, 422);
        assert_eq!(reused.results[0].refused.as_ref().unwrap().code, "E-API-IDEMPOTENCY-REUSED");

        // A key that cannot be one refuses the batch whole, deciding nothing.
        let bad = vec![decision(b, "b-1", 1, "start_review"), decision(b, "", 1, "start_review")];
        let r = send(&s, &token, bad).await;
        assert_eq!(r.status(), 400, "{backend:?}");
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "E-API-IDEMPOTENCY");
        let b_now: ApplicationDetail =
            s.get_as(&token, &format!("/v1/applications/{b}")).await.json().await.unwrap();
        assert_eq!(b_now.application.status, ApplicationStatus::Submitted, "b-1 not taken");

        // Empty and oversized batches are refused whole, in Japanese.
        for n in [0, 501] {
            let many = (0..n).map(|i| decision(b, &format!("k{i}"), 1, "start_review")).collect();
            let r = send(&s, &token, many).await;
            assert_eq!(r.status(), 422, "{backend:?}: {n}");
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["code"], "E-API-BODY");
            assert!(body["message"].as_str().unwrap().contains("500件"));
        }
        let no_token = s
            .client()
            .post(format!("{}/v1/decisions", s.url))
            .json(&json!({ "decisions": [] }))
            .send()
            .await
            .unwrap();
        assert_eq!(no_token.status(), 401);
    }
}
