//! 再申請: a returned application comes back through the link in its 差戻し mail — the page
//! filled with what was sent — as a new application linked to the returned one, which ends
//! as 再申請済み; the mail names the prefecture's window and how to reach it. Both databases.

use madoguchi_domain::api::{Application, ApplicationDetail, DecisionResponse, Entity};
use madoguchi_domain::{ApplicationStatus, NoticeKind};
use madoguchi_server::testing::{form, TestServer, BACKENDS};

/// Reviews and returns application `id`; the link its 差戻し mail carries.
async fn returned(s: &TestServer, token: &str, id: i64) -> (String, String) {
    assert_eq!(s.decide(token, id, 1, "start_review").await.status(), 200);
    let action =
        serde_json::json!({ "action": "return_for_correction", "reason": "name_mismatch" });
    let r = s.decide_as(token, id, 2, action, &format!("return-{id}")).await;
    assert_eq!(r.status(), 200);
    let answer: DecisionResponse = r.json().await.unwrap();
    let copy = answer.notice.expect("a return mails the institution");
    // The desks' copy says a link went out; only the mail carries it.
    assert!(copy.body.contains("再申請用のURL：ご本人宛のメールでのみ"), "{}", copy.body);
    assert!(!copy.body.contains("/apply?r="), "{}", copy.body);
    let t = s.resubmit_token(id).await;
    (format!("{}/apply?r={t}", s.url), t)
}

fn latest(feed: &[madoguchi_domain::api::Change], id: i64) -> Application {
    feed.iter()
        .rev()
        .find_map(|c| match &c.entity {
            Entity::Application(a) if a.id == id => Some(a.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("application {id} not in the feed"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_returned_application_comes_back_corrected_and_is_approved() {
    for backend in BACKENDS {
        let s = TestServer::start(backend).await;
        let token = s.officer("13").await;
        let client = s.client();

        // The window's contact, as the prefecture set it; a contact no one can use is refused.
        let settings = |contact: serde_json::Value| {
            serde_json::json!({
                "prefecture": "13", "reporting_window": null,
                "triage_overrides": { "say": {}, "facts": { "発行までの期間": "承認から2〜3週間" } },
                "updated_at": "2026-11-29T00:00:00Z", "updated_by": "desk-1",
                "retention_days": null, "contact": contact, "version": 0
            })
        };
        let put = |body: serde_json::Value| {
            client
                .put(format!("{}/v1/prefecture-settings", s.url))
                .bearer_auth(&token)
                .json(&body)
                .send()
        };
        let unusable = put(settings(serde_json::json!({
            "name": "医療政策課", "phone": "12345", "hours": "", "email": ""
        })))
        .await
        .unwrap();
        assert_eq!(unusable.status(), 422, "{backend:?}");
        let contact = serde_json::json!({
            "name": "東京都保健医療局 医療政策課", "phone": "03-5320-4448",
            "hours": "平日 9時〜17時", "email": ""
        });
        assert_eq!(put(settings(contact)).await.unwrap().status(), 200);

        let first = form("13", 1);
        let a = s.submit(&first).await.id;
        let (link, t) = returned(&s, &token, a).await;
        let mails = s.storage.mail_of(a).await.unwrap();
        let mail = mails.iter().find(|m| m.kind == NoticeKind::Returned).unwrap();
        assert!(mail.subject.starts_with("【東京都】"), "{}", mail.subject);
        assert!(
            mail.body.contains("【東京都の窓口】\n東京都保健医療局 医療政策課\n電話：03-5320-4448"),
            "{}",
            mail.body
        );

        // The link opens the page filled with what was sent, and says why it came back.
        let page = client.get(&link).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(
            html.contains("名称が登録内容と一致しない") && html.contains("再申請する"),
            "{html}"
        );
        assert!(html.contains(&format!("value=\"{}\"", first.name)), "{html}");

        // Corrected, to the same address the 差戻し mail reached: straight into the queue.
        let mut corrected = first.clone();
        corrected.name = format!("医療法人 {}", first.name);
        let r = s.post_page(&corrected, &t).await;
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        assert!(text.contains("再申請を受け付けました"), "{text}");
        assert!(text.contains("目安は承認から2〜3週間です"), "the prefecture's own time: {text}");
        let feed = s.changes(&token, 0).await.changes;
        let old = latest(&feed, a);
        let b = old.resubmitted_as.expect("the returned one names its successor");
        let new = latest(&feed, b);
        assert_eq!(old.status, ApplicationStatus::Resubmitted, "{backend:?}");
        assert_eq!((new.status, new.resubmission_of), (ApplicationStatus::Submitted, Some(a)));
        assert!(new.address_verified && new.form.name == corrected.name);

        // Once only; and an officer cannot resubmit for the institution.
        assert_eq!(client.get(&link).send().await.unwrap().status(), 410);
        assert_eq!(s.post_page(&corrected, &t).await.status(), 410);
        let resubmit = serde_json::json!({ "action": "resubmit" });
        let refused = s.decide_as(&token, a, old.version, resubmit, "resubmit-by-officer").await;
        assert_eq!(refused.status(), 409);

        // History shows both; the corrected one is approved.
        let detail = s.get_as(&token, &format!("/v1/applications/{b}")).await;
        let detail: ApplicationDetail = detail.json().await.unwrap();
        let trail: Vec<(i64, &str)> =
            detail.audit.iter().map(|e| (e.application_id, e.to_status.as_str())).collect();
        for step in [(a, "returned_for_correction"), (a, "resubmitted"), (b, "submitted")] {
            assert!(trail.contains(&step), "{step:?} in {trail:?}");
        }
        assert_eq!(s.decide(&token, b, 1, "start_review").await.status(), 200);
        assert_eq!(s.decide(&token, b, 2, "approve_new_account").await.status(), 200);

        // Corrected to another address: that address is checked first; once confirmed, the
        // returned one ends.
        let second = form("13", 2);
        let c = s.submit(&second).await.id;
        let (_, t) = returned(&s, &token, c).await;
        let mut moved = second.clone();
        moved.address = "大阪府大阪市中央区大手前2丁目".into();
        moved.insurance_code = None;
        moved.kind = madoguchi_domain::InstitutionKind::MaternityHome;
        moved.postal_code = "540-0008".into();
        let r = s.post_page(&moved, &t).await;
        assert_eq!(r.status(), 422, "not into another prefecture");
        assert!(r.text().await.unwrap().contains("ほかの都道府県の住所には変えられません"));
        let mut readdressed = second.clone();
        readdressed.email = "shin-tanto@hospital.example.jp".into();
        let r = s.post_page(&readdressed, &t).await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("確認のメールを送りました"));
        let feed = s.changes(&token, 0).await.changes;
        assert_eq!(latest(&feed, c).status, ApplicationStatus::ReturnedForCorrection);
        // (Nothing else was entered since: the held one is the next number.)
        let d = c + 1;
        let opened = s.open_confirmation(&s.confirmation_link(d).await).await;
        assert_eq!(opened.status(), 200);
        let feed = s.changes(&token, 0).await.changes;
        let old = latest(&feed, c);
        assert_eq!((old.status, old.resubmitted_as), (ApplicationStatus::Resubmitted, Some(d)));
        assert_eq!(latest(&feed, d).resubmission_of, Some(c), "{backend:?}");
    }
}
