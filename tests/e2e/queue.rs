//! The queue in the real window with a real server: a flagged application is returned with a
//! reason, a clean one approved, each after seeing the exact mail; another desk sees both.

use fantoccini::key::Key;
use fantoccini::Locator;
use madoguchi_domain::ApplicationStatus;
use madoguchi_e2e::{type_into, until_text};

#[path = "connected.rs"]
mod connected;
use connected::connected_window;
use madoguchi_server::testing::{form, Backend, TestServer};

#[tokio::test(flavor = "multi_thread")]
async fn return_a_flagged_one_and_approve_a_clean_one() {
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let clean = server.submit(&form("13", 1)).await.id;
    let mut typo = form("13", 2);
    typo.email = "kanda@gmial.com".into();
    let flagged = server.submit(&typo).await.id;
    let w = connected_window(&server, &token).await;
    let body = w.client.find(Locator::Css("body")).await.unwrap();
    body.send_keys(&format!("{}1", char::from(Key::Control))).await.unwrap();
    until_text(&w, "#queue-list", "確認 1").await;
    w.screenshot("queue_list").await;

    // Keyboard only. The flagged one (second, oldest first): its flag, then 差戻し with the
    // reason the flag gives.
    body.send_keys("j").await.unwrap();
    until_text(&w, "#queue-detail [data-flag=FLAG-EMAIL-TYPO]", "kanda@gmail.com").await;
    body.send_keys("r").await.unwrap();
    until_text(&w, "#notice-preview", "メールアドレスの誤り").await;
    w.client.find(Locator::Css("#confirm-decision")).await.unwrap().click().await.unwrap();

    // The clean one: approve with a new account, after reading the issuance mail.
    until_text(&w, "#queue-list", "差戻し").await;
    body.send_keys("k").await.unwrap();
    until_text(&w, "#queue-detail", "テスト病院1").await;
    body.send_keys("a").await.unwrap();
    until_text(&w, "#notice-preview", "パスワードを設定してください").await;
    let shot = w.screenshot("queue_decision").await;
    eprintln!("screenshot: {}", shot.display());
    w.client.find(Locator::Css("#confirm-decision")).await.unwrap().click().await.unwrap();

    // Both reach the server; another desk sees both.
    let pref = "13".parse().unwrap();
    let mut done = false;
    for _ in 0..100 {
        let a = server.storage.application(pref, clean).await.unwrap().unwrap().status;
        let b = server.storage.application(pref, flagged).await.unwrap().unwrap().status;
        if (a, b)
            == (ApplicationStatus::ApprovedNewAccount, ApplicationStatus::ReturnedForCorrection)
        {
            done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(done, "decisions did not reach the server");
    let other = madoguchi_stories::desk(&server, &token, "desk-b").await;
    other.store.sync(&other.client).await.unwrap();
    assert_eq!(
        other.store.application(clean).await.unwrap().unwrap().0.status,
        ApplicationStatus::ApprovedNewAccount
    );
    assert_eq!(
        other.store.application(flagged).await.unwrap().unwrap().0.status,
        ApplicationStatus::ReturnedForCorrection
    );
    until_text(&w, "footer.status [data-field=pending]", "未送信 0件").await;

    // The institution corrects the returned one through its mail's link, to the address the
    // flag suggested (checked first): back in the queue marked 再申請, the returned one named.
    let t = server.resubmit_token(flagged).await;
    let corrected = madoguchi_domain::ApplicationForm { email: "kanda@gmail.com".into(), ..typo };
    assert_eq!(server.post_page(&corrected, &t).await.status(), 200);
    let resubmitted = flagged + 1; // (nothing else was entered since)
    let link = server.confirmation_link(resubmitted).await;
    assert_eq!(server.open_confirmation(&link).await.status(), 200);
    let sync = Locator::XPath("//footer//button[contains(., '今すぐ同期')]");
    w.client.find(sync).await.unwrap().click().await.unwrap();
    until_text(&w, "#queue-list", "再申請").await;
    let row = format!("[data-application='{resubmitted}'] button");
    w.client.find(Locator::Css(&row)).await.unwrap().click().await.unwrap();
    until_text(&w, "#resubmission-of", &format!("申請番号 {flagged}")).await;
    body.send_keys("h").await.unwrap();
    until_text(&w, "#queue-history", "再申請済み").await;
    let shot = w.screenshot("queue_resubmission").await;
    eprintln!("screenshot: {}", shot.display());

    // The header is one row at the window's 1200 px: each line of counts on one line, the age
    // chart beside the title; zoomed to 150 % it still reads and nothing scrolls sideways.
    let one_row = "const h = document.querySelector('.queue .heading');
        const lines = [...h.querySelectorAll('.counts ul')].map((u) => new Set([...u.querySelectorAll('button')].map((b) => b.offsetTop)).size);
        const c = document.getElementById('age-chart').getBoundingClientRect();
        const t = h.querySelector('h1').getBoundingClientRect();
        return [lines, c.top < t.bottom && c.bottom > t.top];";
    let layout = w.client.execute(one_row, vec![]).await.unwrap();
    assert_eq!(layout, serde_json::json!([[1, 1], true]), "counts lines, chart beside the title");
    w.client.execute("document.documentElement.style.zoom = '1.5'", vec![]).await.unwrap();
    w.screenshot("queue_zoom150").await;
    assert!(
        !madoguchi_e2e::scrolls_sideways(&w.client).await,
        "the queue scrolls sideways at 150 %"
    );
    w.close().await;
}

/// Polls `script` until it returns `expected` (5 s), and says what it returned last.
async fn until_js(w: &madoguchi_e2e::Window, script: &str, expected: serde_json::Value) {
    let mut last = serde_json::Value::Null;
    for _ in 0..50 {
        last = w.client.execute(script, vec![]).await.unwrap_or_else(|e| e.to_string().into());
        if last == expected {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{script}\nreturned {last}, expected {expected}");
}

/// 400 applications: the window holds a page of them, never all. Keys move the selection
/// past what it holds, the picked line stays picked and the selection stays put across
/// scrolling, and the counts and screen-reader positions are over all 400.
#[tokio::test(flavor = "multi_thread")]
async fn a_long_queue_is_drawn_a_page_at_a_time() {
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    // 399 with something to check (address unconfirmed, a likely typo), one clean last.
    for n in 0..399 {
        let f = madoguchi_domain::ApplicationForm {
            email: format!("jimu{n}@gmial.com"),
            ..form("13", n)
        };
        let at = format!("2026-11-20T{:02}:{:02}:00Z", n / 60, n % 60);
        let by = madoguchi_domain::api::SubmittedBy::Institution;
        server.storage.submit(&f, &f.validate().unwrap(), by, &at).await.unwrap();
    }
    server.submit(&form("13", 399)).await;
    let w = connected_window(&server, &token).await;
    let body = w.client.find(Locator::Css("body")).await.unwrap();
    body.send_keys(&format!("{}1", char::from(Key::Control))).await.unwrap();
    until_text(&w, "#queue-detail h2", "テスト病院0").await;
    until_text(&w, ".queue .counts", "申請受付 400").await;

    // What the list draws: a screenful and a margin, each placed among all 400.
    let drawn = "const rows = [...document.querySelectorAll('#queue-list .qrow')];
        return [rows.length < 40, rows[0].getAttribute('aria-posinset'), rows[0].getAttribute('aria-setsize')];";
    until_js(&w, drawn, serde_json::json!([true, "1", "400"])).await;
    // The selected line: its name, its place, whether it is in view and picked.
    let selection = "const s = document.querySelector('#queue-list .qrow.selected');
        if (!s) return null;
        const l = document.getElementById('queue-list').getBoundingClientRect(), r = s.getBoundingClientRect();
        return [s.querySelector('.name').textContent, s.getAttribute('aria-posinset'),
            r.top >= l.top && r.bottom <= l.bottom, s.querySelector('input').checked,
            document.querySelector('#queue-detail h2')?.textContent ?? null];";

    // Keys past the first page: j ×70 then k, the selected line kept in view.
    body.send_keys(&"j".repeat(70)).await.unwrap();
    body.send_keys("k").await.unwrap();
    until_js(&w, selection, serde_json::json!(["テスト病院69", "70", true, false, "テスト病院69"]))
        .await;
    body.send_keys(" ").await.unwrap();
    until_text(&w, ".filters button.primary", "選択した1件を一括承認").await;

    // Scrolled to the end by the mouse: the last lines drawn, still a page, the selection
    // and the detail as they were.
    let bottom = "const l = document.getElementById('queue-list'); l.scrollTop = l.scrollHeight;";
    w.client.execute(bottom, vec![]).await.unwrap();
    let end = "const rows = [...document.querySelectorAll('#queue-list .qrow')];
        return [rows.length < 40, rows.some((r) => r.getAttribute('aria-posinset') === '400'),
            document.querySelector('#queue-list .qrow.selected') === null,
            document.querySelector('#queue-detail h2')?.textContent ?? null];";
    until_js(&w, end, serde_json::json!([true, true, true, "テスト病院69"])).await;
    w.screenshot("queue_long_end").await;

    // j moves on from the selection, not from the view: back to it, next line, still picked
    // above.
    body.send_keys("j").await.unwrap();
    until_js(&w, selection, serde_json::json!(["テスト病院70", "71", true, false, "テスト病院70"]))
        .await;
    body.send_keys("k").await.unwrap();
    until_js(&w, selection, serde_json::json!(["テスト病院69", "70", true, true, "テスト病院69"]))
        .await;

    // N: the next clean line, found past every page the window held.
    body.send_keys("n").await.unwrap();
    until_js(
        &w,
        selection,
        serde_json::json!(["テスト病院399", "400", true, false, "テスト病院399"]),
    )
    .await;
    let shot = w.screenshot("queue_long").await;
    eprintln!("screenshot: {}", shot.display());

    // A filter keeps the selection where it still holds it, at its new place.
    type_into(&w, "#queue-search", "テスト病院399").await;
    until_js(
        &w,
        selection,
        serde_json::json!(["テスト病院399", "1", true, false, "テスト病院399"]),
    )
    .await;
    until_js(&w, drawn, serde_json::json!([true, "1", "1"])).await;
    w.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_values_stay_text_and_a_proxy_application_is_entered() {
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let mut hostile = form("13", 3);
    let markup = "<img src=x onerror=alert(1)><b>太字</b>🏥👩‍⚕️";
    hostile.name = format!("{markup}{}", "長".repeat(200 - markup.chars().count()));
    hostile.department = "<script>alert(2)</script>".into();
    let hostile_id = server.submit(&hostile).await.id;
    let w = connected_window(&server, &token).await;
    let body = w.client.find(Locator::Css("body")).await.unwrap();
    body.send_keys(&format!("{}1", char::from(Key::Control))).await.unwrap();
    until_text(&w, "#queue-detail", "<img src=x onerror=alert(1)><b>太字</b>🏥👩‍⚕️長").await;
    until_text(&w, "#queue-detail", "<script>alert(2)</script>").await;
    let elements = w
        .client
        .execute("return document.querySelectorAll('main img, main b, main script').length", vec![])
        .await
        .unwrap();
    assert_eq!(elements, serde_json::json!(0), "markup from an application became elements");
    assert!(w.client.get_alert_text().await.is_err(), "an alert opened");

    // The trail of the hostile one, from the server.
    body.send_keys("h").await.unwrap();
    until_text(&w, "#queue-history", "申請受付").await;

    // 代理申請 by keyboard: P opens the form; a wrong field is named at its field; then in.
    body.send_keys("p").await.unwrap();
    let entry = form("13", 8);
    let fields = [
        ("institution_code", entry.institution_code.as_str()),
        ("insurance_code", entry.insurance_code.as_deref().unwrap()),
        ("name", "代理で入力した病院"),
        ("kana", entry.kana.as_str()),
        ("postal_code", entry.postal_code.as_str()),
        ("address", entry.address.as_str()),
        ("phone", entry.phone.as_str()),
        ("department", entry.department.as_str()),
        ("department_number", entry.department_number.as_str()),
        ("contact_name", entry.contact_name.as_str()),
        ("email", "not-an-address"),
    ];
    for (name, value) in fields {
        type_into(&w, &format!("#proxy-form input[name={name}]"), value).await;
    }
    w.client
        .find(Locator::Css("#proxy-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until_text(&w, "#proxy-form [data-field-error=email]", "メールアドレス").await;
    // Enter in the field submits, as a keyboard user would (the button may be scrolled away).
    type_into(&w, "#proxy-form input[name=email]", &format!("{}\u{E007}", entry.email)).await;
    until_text(&w, "#proxy-entered", "代理申請を登録しました").await;
    w.client
        .find(Locator::Css("#queue-by"))
        .await
        .unwrap()
        .select_by_value("prefecture")
        .await
        .unwrap();
    until_text(&w, "#queue-detail h2", "代理で入力した病院").await;
    let mut listed = serde_json::Value::Null;
    for _ in 0..50 {
        listed = w.client.execute("return [...document.querySelectorAll('#queue-list .qrow .name')].map((e) => e.textContent)", vec![]).await.unwrap();
        if listed == serde_json::json!(["代理で入力した病院"]) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        listed,
        serde_json::json!(["代理で入力した病院"]),
        "the 代理申請 filter keeps only proxies"
    );
    w.screenshot("queue_proxy").await;

    let pref = "13".parse().unwrap();
    let page = server.storage.changes(pref, 0, 1000).await.unwrap();
    let apps: Vec<_> = page
        .changes
        .iter()
        .filter_map(|c| match &c.entity {
            madoguchi_domain::api::Entity::Application(a) => Some(a),
            _ => None,
        })
        .collect();
    assert!(apps.iter().any(|a| a.form.name == "代理で入力した病院"
        && a.submitted_by == madoguchi_domain::api::SubmittedBy::Prefecture));
    assert!(
        apps.iter().any(|a| a.id == hostile_id && a.form.name == hostile.name),
        "stored as typed"
    );
    w.close().await;
}

/// A token that ends in ten days is named in the status bar, which leads to 設定.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_ending_soon_is_named_in_the_status_bar() {
    let server = TestServer::start(Backend::Sqlite).await;
    let token = "token-ending-in-ten-days-0123";
    let ends = madoguchi_server::tokens::token_expiry(10);
    let hash = madoguchi_server::tokens::token_hash(token);
    server.storage.create_officer("13".parse().unwrap(), "窓口 次郎", &hash, &ends).await.unwrap();
    let w = connected_window(&server, token).await;
    // Its text as the page holds it (WebKit's driver reads this bold, clipped-when-narrow
    // button as empty; the screenshot shows it).
    let css = "footer.status [data-field=token-expiry]";
    let script =
        format!("const e = document.querySelector('{css}'); return e ? e.textContent : ''");
    let mut said = String::new();
    for _ in 0..100 {
        said = w
            .client
            .execute(&script, vec![])
            .await
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if said.contains("トークンの有効期限まであと") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(said.contains("あと9日") || said.contains("あと10日"), "{said:?}");
    w.screenshot("status_bar_token_expiry").await;
    w.client.execute(&format!("document.querySelector('{css}').click()"), vec![]).await.unwrap();
    until_text(&w, "main", "サーバー").await;
    w.close().await;
}
