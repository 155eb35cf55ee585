//! The shared suite: every test runs against SQLite and PostgreSQL, through real HTTPS on a
//! loopback port.

use madoguchi_domain::api::{ApiError, ApplicationDetail, DecisionResponse, Entity};
use madoguchi_domain::{ApplicationStatus, NoticeKind};
use madoguchi_server::testing::{form, Backend, TestServer, BACKENDS};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
async fn intake_validates_every_field_and_stores_nothing_bad() {
    for backend in BACKENDS {
        let s = TestServer::start(backend).await;
        let token = s.officer("01").await;
        let mut bad = form("01", 1);
        bad.email = "jimu@@x".into();
        bad.postal_code = "12".into();
        bad.insurance_code = Some("011O112480".into()); // a letter O for a zero
        let r =
            s.client().post(format!("{}/v1/applications", s.url)).json(&bad).send().await.unwrap();
        assert_eq!(r.status(), 422, "{backend:?}");
        let err: ApiError = r.json().await.unwrap();
        let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["postal_code", "email", "insurance_code"], "{backend:?}");
        assert!(err.fields.iter().all(|f| !f.message.is_empty() && f.code.starts_with("E-")));
        assert!(s.changes(&token, 0).await.changes.is_empty(), "{backend:?}: nothing stored");

        let receipt = s.submit(&form("01", 1)).await;
        assert_eq!(receipt.prefecture.code(), "01");
        let page = s.changes(&token, 0).await;
        assert_eq!(page.changes.len(), 1);
        let Entity::Application(app) = &page.changes[0].entity else { panic!() };
        assert_eq!(
            (app.id, app.status, app.version),
            (receipt.id, ApplicationStatus::Submitted, 1)
        );
        assert_eq!(s.changes(&token, page.next_cursor).await.changes.len(), 0);
        // A code whose 検証番号 does not match is taken, for the officer (a desk flag).
        let mut slipped = form("01", 2);
        let code = slipped.insurance_code.as_mut().unwrap();
        let last = code.pop().unwrap().to_digit(10).unwrap();
        code.push(char::from_digit((last + 1) % 10, 10).unwrap());
        s.submit(&slipped).await;
        let later = s.changes(&token, page.next_cursor).await;
        let Entity::Application(taken) = &later.changes[0].entity else { panic!("{later:?}") };
        assert_eq!(taken.form.insurance_code, slipped.insurance_code);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_decision_is_made_once_and_mails_its_notice() {
    for backend in BACKENDS {
        let s = TestServer::start(backend).await;
        let token = s.officer("13").await;
        let id = s.submit(&form("13", 7)).await.id;
        // A decision needs a review first.
        let r = s.decide_as(&token, id, 1, json!({"action": "approve_new_account"}), "k0").await;
        assert_eq!(r.status(), 409);
        let err: ApiError = r.json().await.unwrap();
        assert_eq!(err.code, "E-APP-TRANSITION");
        assert_eq!(err.current.unwrap().status, ApplicationStatus::Submitted);

        assert_eq!(
            s.decide_as(&token, id, 1, json!({"action": "start_review"}), "k1").await.status(),
            200
        );
        let first =
            s.decide_as(&token, id, 2, json!({"action": "approve_new_account"}), "k2").await;
        assert_eq!(first.status(), 200, "{backend:?}");
        let first_body = first.text().await.unwrap();
        let answer: DecisionResponse = serde_json::from_str(&first_body).unwrap();
        assert_eq!(answer.application.status, ApplicationStatus::ApprovedNewAccount);
        let login_id = answer.application.login_id.clone().unwrap();
        let notice = answer.notice.unwrap();
        assert_eq!(notice.kind, NoticeKind::Issuance);
        assert_eq!(notice.to, "jimu7@hospital.example.jp");
        assert!(notice.subject.contains("パスワード登録のご依頼"));
        assert!(notice.body.starts_with("テスト病院7 ご担当者様"));
        assert!(notice.body.contains(&format!("ユーザ名（ログインID）：{login_id}")));

        // The same key again: the first answer, byte for byte, and no second decision.
        let again =
            s.decide_as(&token, id, 2, json!({"action": "approve_new_account"}), "k2").await;
        assert_eq!(again.status(), 200);
        assert_eq!(again.text().await.unwrap(), first_body);
        // The same key with another body or for another application: refused, nothing done.
        for (target, action) in [
            (id, json!({"action": "reject", "reason": "duplicate"})),
            (id + 1000, json!({"action": "approve_new_account"})),
        ] {
            let reused = s.decide_as(&token, target, 2, action, "k2").await;
            assert_eq!(reused.status(), 422, "{backend:?}");
            assert_eq!(reused.json::<ApiError>().await.unwrap().code, "E-API-IDEMPOTENCY-REUSED");
        }
        // Stored answers are pruned after their week; a fresh one is not.
        let week_ago = (chrono::Utc::now() - chrono::Duration::days(7)).to_rfc3339();
        assert_eq!(s.storage.prune_idempotency(&week_ago).await.unwrap(), 0);
        assert!(s.storage.prune_idempotency("9999-01-01T00:00:00Z").await.unwrap() >= 3);
        // A new key on the old version: stale.
        let stale = s
            .decide_as(&token, id, 2, json!({"action": "reject", "reason": "duplicate"}), "k3")
            .await;
        assert_eq!(stale.status(), 409);
        let err: ApiError = stale.json().await.unwrap();
        assert_eq!(err.code, "E-SYNC-409");
        assert_eq!(err.current.unwrap().version, 3);

        let detail: ApplicationDetail = s
            .client()
            .get(format!("{}/v1/applications/{id}", s.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let trail: Vec<(&str, Option<&str>)> =
            detail.audit.iter().map(|a| (a.to_status.as_str(), a.officer.as_deref())).collect();
        assert_eq!(
            trail,
            [
                ("submitted", None),
                ("in_review", Some("窓口 太郎")),
                ("approved_new_account", Some("窓口 太郎"))
            ]
        );
        assert!(detail.audit.iter().skip(1).all(|a| a.desk == "desk-1"));

        // The institution now has an account: a second application for it is approved as existing.
        let id2 = s.submit(&form("13", 7)).await.id;
        s.decide_as(&token, id2, 1, json!({"action": "start_review"}), "k4").await;
        let refused =
            s.decide_as(&token, id2, 2, json!({"action": "approve_new_account"}), "k5").await;
        assert_eq!(refused.status(), 422);
        assert_eq!(refused.json::<ApiError>().await.unwrap().code, "E-APP-ACCOUNT-EXISTS");
        let existing: DecisionResponse = s
            .decide_as(&token, id2, 2, json!({"action": "approve_existing_account"}), "k6")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(existing.application.login_id.as_deref(), Some(login_id.as_str()));
        let notice = existing.notice.unwrap();
        assert_eq!(notice.kind, NoticeKind::ExistingAccount);
        assert!(notice.body.contains(&format!("[申請番号：{id2:014}]")));

        // The feed carries every state: applications, the account, both notices.
        let kinds: Vec<&str> = s
            .changes(&token, 0)
            .await
            .changes
            .iter()
            .map(|c| match c.entity {
                Entity::Application(_) => "application",
                Entity::Notice(_) => "notice",
                Entity::Account(_) => "account",
                Entity::Institution(_) => "institution",
                Entity::Lapsed(_) => "lapsed",
                Entity::Call(_) | Entity::PrefectureSettings(_) | Entity::Contact(_) => "record",
            })
            .collect();
        assert_eq!(kinds.iter().filter(|k| **k == "notice").count(), 2, "{kinds:?}");
        assert_eq!(kinds.iter().filter(|k| **k == "account").count(), 1, "{kinds:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_officer_sees_and_changes_nothing_outside_their_prefecture() {
    for backend in BACKENDS {
        let s = TestServer::start(backend).await;
        let tokyo = s.officer("13").await;
        let osaka = s.officer("27").await;
        let theirs = s.submit(&form("27", 1)).await.id;
        let c = s.client();
        let get = |path: String, token: &str| {
            c.get(format!("{}{path}", s.url)).bearer_auth(token.to_owned()).send()
        };
        assert_eq!(get(format!("/v1/applications/{theirs}"), &tokyo).await.unwrap().status(), 404);
        assert_eq!(get(format!("/v1/applications/{theirs}"), &osaka).await.unwrap().status(), 200);
        assert!(s.changes(&tokyo, 0).await.changes.is_empty());
        assert_eq!(s.changes(&osaka, 0).await.changes.len(), 1);
        let r = s.decide_as(&tokyo, theirs, 1, json!({"action": "start_review"}), "x").await;
        assert_eq!(r.status(), 404, "{backend:?}");
        // Osaka's decision goes through; Tokyo still sees none of it.
        assert_eq!(
            s.decide_as(&osaka, theirs, 1, json!({"action": "start_review"}), "y").await.status(),
            200
        );
        s.decide_as(&osaka, theirs, 2, json!({"action": "approve_new_account"}), "z").await;
        let notices: Vec<Value> =
            get("/v1/notices".into(), &tokyo).await.unwrap().json().await.unwrap();
        assert!(notices.is_empty());
        let accounts: Vec<Value> =
            get("/v1/accounts".into(), &tokyo).await.unwrap().json().await.unwrap();
        assert!(accounts.is_empty());
        assert!(s.changes(&tokyo, 0).await.changes.is_empty());
        // A proxy application for another prefecture is refused.
        let r = c
            .post(format!("{}/v1/proxy-applications", s.url))
            .bearer_auth(&tokyo)
            .json(&form("27", 2))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let r = c
            .post(format!("{}/v1/proxy-applications", s.url))
            .bearer_auth(&tokyo)
            .json(&form("13", 2))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        // No token, a wrong token: 401 everywhere.
        for path in ["/v1/changes", "/v1/notices", "/v1/accounts", "/v1/applications/1"] {
            assert_eq!(
                c.get(format!("{}{path}", s.url)).send().await.unwrap().status(),
                401,
                "{path}"
            );
            assert_eq!(get(path.into(), "wrong").await.unwrap().status(), 401, "{path}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_payloads_get_4xx_and_the_server_keeps_serving() {
    for backend in BACKENDS {
        let s = TestServer::start(backend).await;
        let token = s.officer("13").await;
        let c = s.client();
        let post = |path: &str, body: Vec<u8>| {
            c.post(format!("{}{path}", s.url))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .header("Idempotency-Key", "k")
                .body(body)
                .send()
        };
        let cases: Vec<(&str, Vec<u8>, u16)> = vec![
            ("/v1/applications", b"{not json".to_vec(), 400),
            ("/v1/applications", br#"{"kind": 5}"#.to_vec(), 400),
            (
                "/v1/applications",
                serde_json::to_vec(&json!({"kind": "hospital", "extra": 1})).unwrap(),
                422,
            ),
            ("/v1/applications/1/decisions", br#"{"expected_version": "one"}"#.to_vec(), 422),
            ("/v1/applications/1/decisions", b"\xff\xfe".to_vec(), 400),
        ];
        for (path, body, want) in cases {
            let r = post(path, body).await.unwrap();
            let status = r.status().as_u16();
            let err: ApiError = r.json().await.unwrap();
            assert_eq!(status, want, "{backend:?} {path} {err:?}");
            assert!(err.code.starts_with("E-"), "{err:?}");
        }
        // A body over the limit: refused from its Content-Length, before it is read; the
        // client may see the 413 or only the closed connection while still sending.
        // (Its own client: the server closes that connection.)
        let huge = s
            .client()
            .post(format!("{}/v1/applications", s.url))
            .header("content-type", "application/json");
        match huge.body(vec![b' '; 2 * 1024 * 1024]).send().await {
            Ok(r) => assert_eq!(r.status(), 413),
            Err(e) => assert!(e.is_request(), "{e}"),
        }
        let r = c
            .get(format!("{}/v1/changes?since=abc", s.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let r = c
            .post(format!("{}/v1/applications/1/decisions", s.url))
            .bearer_auth(&token)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error());
        assert_eq!(c.get(format!("{}/v1/health", s.url)).send().await.unwrap().status(), 200);
        assert_eq!(s.submit(&form("13", 1)).await.prefecture.code(), "13");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_is_not_spoken_and_the_api_is_described() {
    let s = TestServer::start(Backend::Sqlite).await;
    let plain = reqwest::Client::new()
        .get(format!("http://localhost:{}/v1/health", s.running.as_ref().unwrap().addr.port()))
        .send()
        .await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    // Every answer, the public pages' too, keeps browsers on HTTPS and to the type it says.
    for path in ["/v1/health", "/apply", "/no-such-path"] {
        let r = s.client().get(format!("{}{path}", s.url)).send().await.unwrap();
        let h = r.headers();
        assert_eq!(h["strict-transport-security"], "max-age=31536000", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
    }
    let doc: Value = s
        .client()
        .get(format!("{}/openapi.json", s.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in
        ["/v1/applications", "/v1/applications/{id}/decisions", "/v1/changes", "/v1/notices"]
    {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["ApplicationForm"].is_object());
    // The document states the server's own types: a call's outcome is one of four words,
    // the prefecture's wording has its `say` and `facts`, a window's dates are dates.
    let schemas = &doc["components"]["schemas"];
    let outcomes = schemas["Outcome"]["enum"].as_array().expect("Outcome is an enum");
    assert_eq!(outcomes.len(), 4, "{outcomes:?}");
    assert!(outcomes.contains(&json!("prefecture_contacts")));
    for field in ["say", "facts"] {
        assert!(schemas["Overrides"]["properties"][field].is_object(), "Overrides.{field}");
    }
    assert_eq!(schemas["ReportingWindow"]["properties"]["starts"]["format"], "date");
    assert_eq!(schemas["CallRecord"]["properties"]["steps"]["minItems"], 1);
}

fn call(id: &str, prefecture: &str, version: i64, note: &str) -> Value {
    json!({
        "id": id, "prefecture": prefecture, "desk": "desk-1", "tree_version": "2026-11-25.1",
        "started_at": "2026-11-25T01:00:00.000000Z", "ended_at": null, "state": "finished",
        "institution": null, "application_id": null,
        "steps": [{ "node": "start", "title": "お問い合わせの内容", "answer": null, "entered_at": "2026-11-25T01:00:00.000000Z", "seconds": 12 }],
        "ending": null, "outcome": "resolved", "note": note, "disclosures": [],
        "updated_at": "2026-11-25T01:05:00.000000Z", "version": version
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn records_are_versioned_by_the_server_and_stay_in_their_prefecture() {
    for backend in BACKENDS {
        let s = TestServer::start(backend).await;
        let tokyo = s.officer("13").await;
        let osaka = s.officer("27").await;
        let c = s.client();
        let put = |path: &str, token: &str, body: Value| {
            c.put(format!("{}{path}", s.url)).bearer_auth(token.to_owned()).json(&body).send()
        };
        let held = |r: reqwest::Response| async move {
            assert_eq!(r.status(), 200);
            let v = r.json::<Value>().await.unwrap();
            assert_eq!(v["stored"], true, "{v}");
            v["version"].as_i64().unwrap()
        };
        let id = "0b6a3c8e-1d7e-4a43-9f4b-5a1b2c3d4e5f";
        let path = format!("/v1/calls/{id}");
        assert_eq!(held(put(&path, &tokyo, call(id, "13", 0, "初回")).await.unwrap()).await, 1);
        // A retry after a lost answer: already held, same version.
        assert_eq!(
            held(put(&path, &tokyo, call(id, "13", 0, "初回")).await.unwrap()).await,
            1,
            "{backend:?}"
        );
        // Made on an older version (whatever its clock says): refused with the server's copy.
        let stale = put(&path, &tokyo, call(id, "13", 0, "古い")).await.unwrap();
        assert_eq!(stale.status(), 409);
        let stale = stale.json::<ApiError>().await.unwrap();
        assert_eq!(stale.code, "E-RECORD-STALE");
        let Some(Entity::Call(current)) = stale.record.as_deref() else { panic!("{stale:?}") };
        assert_eq!((current.note.as_str(), current.version), ("初回", 1));
        assert_eq!(held(put(&path, &tokyo, call(id, "13", 1, "追記")).await.unwrap()).await, 2);

        // Another prefecture's officer with this id, its own prefecture in the body and the
        // right version: refused, nothing changes on either side.
        let before = s.changes(&tokyo, 0).await.changes;
        let takeover = put(&path, &osaka, call(id, "27", 2, "乗っ取り")).await.unwrap();
        assert_eq!(takeover.status(), 403);
        assert_eq!(takeover.json::<ApiError>().await.unwrap().code, "E-AUTH-PREFECTURE");
        assert!(s.changes(&osaka, 0).await.changes.is_empty(), "another prefecture sees no call");
        assert_eq!(s.changes(&tokyo, 0).await.changes, before);
        assert_eq!(held(put(&path, &tokyo, call(id, "13", 2, "追記2")).await.unwrap()).await, 3);
        let notes: Vec<(String, i64)> = s
            .changes(&tokyo, 0)
            .await
            .changes
            .iter()
            .filter_map(|ch| match &ch.entity {
                Entity::Call(c) => Some((c.note.clone(), c.version)),
                _ => None,
            })
            .collect();
        assert_eq!(notes, [("初回".into(), 1), ("追記".into(), 2), ("追記2".into(), 3)]);

        // A body for another prefecture, a path that does not match, a call without steps.
        assert_eq!(put(&path, &osaka, call(id, "13", 3, "x")).await.unwrap().status(), 403);
        assert_eq!(
            put("/v1/calls/other", &tokyo, call(id, "13", 3, "x")).await.unwrap().status(),
            422
        );
        let mut no_steps = call(id, "13", 3, "x");
        no_steps["steps"] = json!([]);
        assert_eq!(put(&path, &tokyo, no_steps).await.unwrap().status(), 422);

        // 連絡記録: kept per entry like a call; the key as desks make it, in its prefecture.
        let contact = |id: &str, prefecture: &str| {
            json!({ "id": id, "prefecture": prefecture, "institution_name": "テスト病院",
                    "insurance_code": "1310112342", "taken_by": "desk-1", "taken_at": null,
                    "attempts": [], "updated_at": "2026-11-25T03:00:00.000000Z" })
        };
        let entry = "/v1/contacts/notice-7";
        assert_eq!(held(put(entry, &tokyo, contact("notice-7", "13")).await.unwrap()).await, 1);
        assert_eq!(put(entry, &osaka, contact("notice-7", "27")).await.unwrap().status(), 403);
        let upper = put("/v1/contacts/Notice-7", &tokyo, contact("Notice-7", "13"));
        assert_eq!(upper.await.unwrap().status(), 422, "a key desks do not make");
        assert_eq!(put(entry, &tokyo, contact("notice-8", "13")).await.unwrap().status(), 422);

        let settings = |prefecture: &str, say: Value| {
            json!({ "prefecture": prefecture, "reporting_window": { "starts": "2027-01-04", "ends": "2027-03-31" },
                    "triage_overrides": { "say": say }, "updated_at": "2026-11-25T03:00:00.000000Z", "updated_by": "desk-1" })
        };
        let ok = settings("13", json!({ "faq_no_internet": "本県では紙の調査票も受け付けます。" }));
        assert_eq!(held(put("/v1/prefecture-settings", &tokyo, ok).await.unwrap()).await, 1);
        let other = settings("13", json!({}));
        let r = put("/v1/prefecture-settings", &tokyo, other).await.unwrap();
        assert_eq!(r.status(), 409, "made on no version, while the server holds one");
        assert_eq!(
            put("/v1/prefecture-settings", &osaka, settings("13", json!({})))
                .await
                .unwrap()
                .status(),
            403
        );
        let r =
            put("/v1/prefecture-settings", &tokyo, settings("13", json!({ "no_such_node": "x" })))
                .await
                .unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<ApiError>().await.unwrap().code, "E-TRIAGE-INVALID");
        // 都道府県の運用 that routes questions to 保健所 it does not list: refused.
        let mut routed = settings("13", json!({}));
        routed["version"] = json!(1);
        routed["practice"] = json!({ "routed": ["login"] });
        let r = put("/v1/prefecture-settings", &tokyo, routed).await.unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<ApiError>().await.unwrap().code, "E-PREF-PRACTICE");
        let last = s.changes(&tokyo, 0).await.changes.pop().unwrap();
        let Entity::PrefectureSettings(p) = last.entity else { panic!("{last:?}") };
        assert_eq!(p.reporting_window.unwrap().starts.to_string(), "2027-01-04");
    }
}

/// 報告依頼・督促: each reminder goes to its application's address in the officer's
/// prefecture; another prefecture's application is refused by item; a batch sent again queues
/// nothing twice; a malformed batch is refused whole.
#[tokio::test(flavor = "multi_thread")]
async fn reminders_go_to_the_prefectures_own_applications_once() {
    for backend in BACKENDS {
        let s = TestServer::start(backend).await;
        let tokyo = s.officer("13").await;
        let osaka = s.officer("27").await;
        let ours = s.approve(&tokyo, &form("13", 3)).await.application_id;
        let theirs = s.approve(&osaka, &form("27", 4)).await.application_id;
        let item = |entry: &str, application: i64| {
            json!({ "entry_id": entry, "application_id": application,
                    "subject": "【東京都】定期報告のお願い", "body": "テスト病院3 ご担当者様" })
        };
        let batch = json!({ "batch_id": "b-1", "items": [item("not-reported-1", ours), item("not-reported-2", theirs)] });
        let send = |body: &Value| {
            s.client().post(format!("{}/v1/reminders", s.url)).bearer_auth(&tokyo).json(body).send()
        };
        let first: Value = send(&batch).await.unwrap().json().await.unwrap();
        let notice = first["results"][0]["notice_id"].as_i64().expect("queued");
        assert_eq!(first["results"][1]["code"], "E-APP-NOT-FOUND", "{backend:?}: {first}");
        let again: Value = send(&batch).await.unwrap().json().await.unwrap();
        assert_eq!(again["results"][0]["notice_id"], notice, "the same batch again: the same mail");
        let reminders: Vec<_> = s
            .notices(&tokyo)
            .await
            .into_iter()
            .filter(|n| n.kind == madoguchi_domain::NoticeKind::Reminder)
            .collect();
        assert_eq!(reminders.len(), 1);
        assert_eq!(
            (reminders[0].to.as_str(), reminders[0].application_id),
            ("jimu3@hospital.example.jp", ours)
        );
        let empty = json!({ "batch_id": "b-2", "items": [] });
        assert_eq!(send(&empty).await.unwrap().status(), 422);
        let newline = json!({ "batch_id": "b-3", "items": [{ "entry_id": "x", "application_id": ours,
            "subject": "件名\r\nBcc: a@example.jp", "body": "本文" }] });
        assert_eq!(send(&newline).await.unwrap().status(), 422, "no header injection");
    }
}
