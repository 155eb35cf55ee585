//! 申請状況の確認: an applicant reads their own application's status and what became of its
//! mail, and tells the window the mail never came; nobody else learns anything — a wrong
//! pair, an unknown number and another prefecture's application get the same bytes in the
//! same time, and guessing is limited. Over real HTTPS, with a real relay, on both databases.

use std::time::{Duration, Instant};

use madoguchi_domain::api::SubmittedBy;
use madoguchi_server::testing::{form_to, roomy_limits, TestServer, BACKENDS};

async fn ask(s: &TestServer, number: &str, email: &str) -> (u16, String) {
    let r = s
        .client()
        .post(format!("{}/status", s.url))
        .form(&[("n", number), ("email", email)])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The relay is a private Postfix: Linux only (the suites built for Windows never start it).
#[cfg(unix)]
mod relay {
    use madoguchi_domain::api::Entity;
    use madoguchi_domain::{BounceCategory, DeliveryState, NoticeKind};
    use madoguchi_server::testing::postfix::to;

    use super::*;

    async fn tell(s: &TestServer, number: i64, email: &str) -> String {
        let r = s
            .client()
            .post(format!("{}/status/missing", s.url))
            .form(&[("n", number.to_string().as_str()), ("email", email)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_bounced_applicant_reads_the_mailbox_full_advice_and_tells_the_window() {
        for backend in BACKENDS {
            let mut s = TestServer::start(backend).await;
            let relay = s.with_postfix().await;
            let token = s.officer("13").await;
            let notice = s.approve(&token, &form_to("13", 1, to::FULL)).await;
            let id = notice.application_id;
            let bounced = s.settled(&token, notice.id, DeliveryState::Bounced).await;
            assert_eq!(
                bounced.delivery.category,
                Some(BounceCategory::MailboxFull),
                "{}",
                relay.log()
            );

            // The mails name the page: the 疎通確認 (with the number) and the notice.
            let mails = s.storage.mail_of(id).await.unwrap();
            let status_url = format!(":{}/status", s.port());
            for mail in &mails {
                assert!(mail.body.contains(&status_url), "{:?}: {}", mail.kind, mail.body);
            }
            let check = mails.iter().find(|m| m.kind == NoticeKind::AddressCheck).unwrap();
            assert!(check.body.contains(&format!("申請番号：{id:014}")), "{}", check.body);

            // The page: found with the address in other case and the number unpadded.
            let (code, page) = ask(&s, &id.to_string(), &to::FULL.to_uppercase()).await;
            assert_eq!(code, 200);
            assert!(page.contains("承認済み"), "{page}");
            assert!(page.contains("不達（容量超過）"), "{page}");
            assert!(page.contains("容量を空けてから、窓口にご連絡ください"), "{page}");
            assert!(
                page.contains("メールアドレス確認のお願い"),
                "the check mail is listed: {page}"
            );
            assert!(page.contains("目安は1〜2週間です") || page.contains("承認しました"), "{page}");
            assert!(page.contains("メールが届いていないことを窓口に伝える"), "{page}");
            let app = s.storage.application("13".parse().unwrap(), id).await.unwrap().unwrap();
            let login = app.login_id.clone().expect("issued");
            assert!(!page.contains(&login), "never the login ID");
            assert!(!page.contains("login?c=") && !page.contains("?r="), "never a link that acts");
            assert!(app.status_page.looked_at.is_some(), "the look is noted");

            // The button: on the desks' feed once today, whatever is pressed again.
            let before = s.changes(&token, 0).await.changes.len();
            assert!(tell(&s, id, to::FULL).await.contains("窓口に伝えました"));
            let feed = s.changes(&token, 0).await;
            let told = feed.changes.iter().rev().find_map(|c| match &c.entity {
                Entity::Application(a) if a.id == id => a.status_page.mail_missing_at.clone(),
                _ => None,
            });
            assert!(told.is_some(), "{backend:?}: the desks learn the applicant asked");
            let after = feed.changes.len();
            assert!(after > before);
            assert!(tell(&s, id, to::FULL).await.contains("本日はすでに窓口に伝えています"));
            assert_eq!(s.changes(&token, 0).await.changes.len(), after, "once a day");
            let wrong = tell(&s, id, to::CLINIC).await;
            assert!(
                wrong.contains("一致する申請は見つかりませんでした"),
                "the button checks the pair too"
            );
            s.mail.take().unwrap().shutdown().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_pair_an_unknown_number_and_another_prefectures_application_look_the_same() {
    for backend in BACKENDS {
        let s = TestServer::start(backend).await;
        let ours = s.submit(&form_to("13", 1, "ours@example.jp")).await.id;
        let theirs = s.submit(&form_to("27", 2, "theirs@example.jp")).await.id;
        let (_, unknown) = ask(&s, "99999999", "ours@example.jp").await;
        let (_, wrong) = ask(&s, &ours.to_string(), "theirs@example.jp").await;
        let (_, other) = ask(&s, &theirs.to_string(), "ours@example.jp").await;
        let (_, shaped) = ask(&s, &format!("{ours:014}"), "ours@example.jp ").await;
        assert_eq!(unknown, wrong, "{backend:?}: the same bytes");
        assert_eq!(unknown, other, "{backend:?}: another prefecture's, the same bytes");
        assert!(unknown.contains("一致する申請は見つかりませんでした"));
        assert!(!unknown.contains("theirs") && !unknown.contains("テスト病院"));
        assert!(shaped.contains("受付済み・確認待ち"), "padded number, trailing space: {shaped}");
        let (code, _) = ask(&s, "十三", "ours@example.jp").await;
        assert_eq!(code, 422, "not a number");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn guesses_are_limited_per_number_and_per_address() {
    let s = TestServer::start(madoguchi_server::testing::Backend::Sqlite).await;
    let id = s.submit(&form_to("13", 1, "ours@example.jp")).await.id;
    // One number, many addresses: after its burst, 429 for the right pair too.
    let mut answers = Vec::new();
    for n in 0..6u8 {
        let r = s
            .client_from([127, 0, 4, n + 1].into())
            .post(format!("{}/status", s.url))
            .form(&[("n", id.to_string().as_str()), ("email", "guess@example.jp")])
            .send()
            .await
            .unwrap();
        answers.push(r.status().as_u16());
    }
    assert_eq!(answers, [200, 200, 200, 200, 200, 429]);
    assert_eq!(ask(&s, &id.to_string(), "ours@example.jp").await.0, 429);
    let (code, unknown) = ask(&s, "77777777", "x@example.jp").await;
    assert_eq!(code, 200, "another number is not held back: {unknown}");

    // One address, many numbers: the address's rate.
    let strict = TestServer::start_with_limits(
        madoguchi_server::testing::Backend::Sqlite,
        madoguchi_server::limits::Limits::default(),
    )
    .await;
    let mut codes = Vec::new();
    for n in 0..12 {
        codes.push(ask(&strict, &(5_000_000 + n).to_string(), "x@example.jp").await.0);
    }
    assert!(codes[..10].iter().all(|c| *c == 200), "{codes:?}");
    assert!(codes[10..].iter().all(|c| *c == 429), "{codes:?}");
    assert_eq!(s.metrics.status_checks("limited"), 2, "refusals are counted");
    assert_eq!(s.metrics.status_checks("not_found"), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_pair_takes_as_long_as_an_unknown_number() {
    const TRIES: usize = 200;
    let s = TestServer::start_with_limits(
        madoguchi_server::testing::Backend::Sqlite,
        madoguchi_server::limits::Limits { status_burst: 1000, ..roomy_limits() },
    )
    .await;
    let now = "2026-12-07T00:00:00Z";
    let mut ids = Vec::with_capacity(TRIES);
    for n in 0..TRIES {
        let f = form_to("13", n, "real@example.jp");
        let valid = f.validate().unwrap();
        ids.push(s.storage.submit(&f, &valid, SubmittedBy::Institution, now).await.unwrap().id);
    }
    // Interleaved, eight at a time, so both kinds meet the same load.
    let questions: Vec<(bool, String)> = (0..TRIES)
        .flat_map(|i| [(true, ids[i].to_string()), (false, (90_000_000 + i).to_string())])
        .collect();
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    for chunk in questions.chunks(8) {
        let asked = chunk.iter().map(|(is_wrong, number)| {
            let s = &s;
            async move {
                let started = Instant::now();
                let (code, page) = ask(s, number, "guess@example.jp").await;
                assert_eq!(code, 200);
                assert!(page.contains("見つかりませんでした"));
                (*is_wrong, started.elapsed())
            }
        });
        for (is_wrong, took) in futures::future::join_all(asked).await {
            if is_wrong {
                wrong.push(took)
            } else {
                unknown.push(took)
            }
        }
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (w, u) = (median(&mut wrong), median(&mut unknown));
    println!("status page: median wrong pair {w:?}, median unknown number {u:?} ({TRIES} each)");
    let gap = w.abs_diff(u);
    assert!(gap < Duration::from_millis(25), "wrong {w:?} vs unknown {u:?}");
}
