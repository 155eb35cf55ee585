//! 新規ユーザ登録申請 in a real browser: an institution fills the public page with the keyboard
//! alone, mistypes its code and is told so beside the field, corrects it, reads the 疎通確認
//! mail that a real relay (a private Postfix) delivered, opens its link — and the application
//! is on a desk, marked address-verified. axe-core checks every page it passes through.

use std::time::Duration;

use fantoccini::key::Key;
use fantoccini::Locator;
use madoguchi_domain::{ApplicationForm, Code};
use madoguchi_e2e::{screenshot, scrolls_sideways, Browser};
use madoguchi_server::testing::postfix::to;
use madoguchi_server::testing::{form, spki_pin, Backend, TestServer};
use madoguchi_stories::connected_desk;

/// The page's fields in the order a keyboard reaches them, with what this applicant types.
fn typed(f: &ApplicationForm) -> Vec<(&'static str, String)> {
    vec![
        ("f-kind", String::new()), // 病院, the first choice
        ("f-institution_code", f.institution_code.clone()),
        ("f-insurance_code", f.insurance_code.clone().unwrap()),
        ("f-name", f.name.clone()),
        ("f-kana", f.kana.clone()),
        ("f-postal_code", f.postal_code.clone()),
        ("f-address", f.address.clone()),
        ("f-building", f.building.clone()),
        ("f-phone", f.phone.clone()),
        ("f-department", f.department.clone()),
        ("f-department_number", f.department_number.clone()),
        ("f-contact_name", f.contact_name.clone()),
        ("f-email", f.email.clone()),
    ]
}

async fn assert_accessible(b: &Browser, page: &str) {
    let violations = b.accessibility_violations().await;
    assert!(violations.is_empty(), "{page}: {:#}", serde_json::Value::Array(violations));
}

/// The raw mails Postfix delivered to `mailbox`, waited for.
async fn delivered(relay: &madoguchi_server::testing::postfix::Postfix, mailbox: &str) -> Vec<u8> {
    for _ in 0..300 {
        if let Some(mail) = relay.delivered(mailbox).pop() {
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nothing delivered to {mailbox}:\n{}", relay.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_institution_applies_on_the_page_and_its_confirmed_application_reaches_a_desk() {
    let mut server = TestServer::start(Backend::Sqlite).await;
    let relay = server.with_postfix().await;
    let token = server.officer("13").await;
    let b = Browser::open(&spki_pin(&server.certs)).await;
    let f = ApplicationForm {
        email: to::CLINIC.into(),
        building: "丸の内ビル 3階".into(),
        ..form("13", 41)
    };

    b.client.goto(&format!("{}/apply", server.url)).await.unwrap();
    b.until_text("h1", "G-MIS 新規ユーザ登録申請").await;
    assert_accessible(&b, "the empty page").await;

    // Keyboard only, in the order of the form; the code with a letter O typed for a zero.
    let mut fields = typed(&f);
    fields[2].1.replace_range(3..4, "O");
    b.press(&Key::Tab.to_string()).await;
    for (id, value) in &fields {
        assert_eq!(&b.focused().await, id, "the keyboard reaches the fields in the form's order");
        b.press(value).await;
        b.press(&Key::Tab.to_string()).await;
    }
    let button = b.client.active_element().await.unwrap();
    assert_eq!(button.text().await.unwrap(), "確認メールを送る");
    b.press(&Key::Enter.to_string()).await;

    // Told beside the field and in the summary, which has the focus; nothing else refused.
    let error = b.text("#e-insurance_code").await;
    assert!(!error.is_empty(), "the code's error beside it");
    assert_eq!(b.focused().await, "errors", "the summary is read first");
    let summary = b.text("#errors").await;
    assert!(summary.contains("（1件）"), "{summary}");
    assert_eq!(
        b.client
            .find(fantoccini::Locator::Css("#f-name"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some(f.name.as_str()),
        "what was typed is kept"
    );
    screenshot(&b.client, "apply_page_error").await;
    assert_accessible(&b, "the page with its error").await;

    // From the summary's link to the field, the code corrected, sent with Enter.
    b.press(&Key::Tab.to_string()).await;
    b.press(&Key::Enter.to_string()).await;
    assert_eq!(b.focused().await, "f-insurance_code", "the summary's link leads to the field");
    b.chord(Key::Control, 'a').await;
    b.press(&f.insurance_code.clone().unwrap()).await;
    b.press(&Key::Enter.to_string()).await;
    b.until_text("h1", "確認のメールを送りました").await;
    let sent = b.text("main").await;
    assert!(sent.contains(to::CLINIC) && sent.contains("迷惑メールフォルダ"), "{sent}");
    screenshot(&b.client, "apply_page_sent").await;
    assert_accessible(&b, "the page after sending").await;

    // Nothing on any desk yet: the address is not confirmed.
    let dir = tempfile::tempdir().unwrap();
    let desk = connected_desk(&server, &token, &dir, "窓口A").await;
    desk.sync_now().await.unwrap();
    assert_eq!(desk.queue(&Default::default()).await.unwrap().total, 0);

    // The mail, as the relay delivered it: generic, with the link.
    let raw = delivered(&relay, "clinic").await;
    let mail = mail_parser::MessageParser::default().parse(&raw).expect("a mail");
    assert_eq!(mail.subject(), Some("【G-MIS】新規ユーザ登録申請 メールアドレス確認のお願い"));
    let body = mail.body_text(0).expect("a text body").into_owned();
    assert!(!body.contains(&f.contact_name) && !body.contains(&f.name), "{body}");
    let start = body.find("https://").expect("the link");
    let link = body[start..].split_whitespace().next().unwrap().to_owned();

    // Opening the link (as a mail scanner would) confirms nothing: the page asks for the button.
    b.client.goto(&link).await.unwrap();
    b.until_text("h1", "申請を届けてください").await;
    screenshot(&b.client, "apply_page_confirm").await;
    assert_accessible(&b, "the confirmation's button").await;
    desk.sync_now().await.unwrap();
    assert_eq!(desk.queue(&Default::default()).await.unwrap().total, 0, "not by a GET");
    let button = b.client.find(Locator::Css("main form button")).await.unwrap();
    button.click().await.unwrap();
    b.until_text("h1", "メールアドレスを確認しました").await;
    let confirmed = b.text("main").await;
    let id: i64 = confirmed
        .split("受付番号 ")
        .nth(1)
        .and_then(|rest| rest.split('）').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the page names the application: {confirmed}"));
    assert!(confirmed.contains("東京都の窓口に届きました"), "{confirmed}");
    assert_accessible(&b, "the confirmation").await;

    // On the desk: verified, and nothing to check before 一括承認.
    desk.sync_now().await.unwrap();
    let row = desk.queue_entry(id).await.unwrap();
    assert!(row.application.address_verified);
    assert_eq!(row.application.form.building, "丸の内ビル 3階");
    assert_eq!(row.application.form.insurance_code, f.insurance_code);
    assert!(row.flags.iter().all(|fl| fl.code != Code::FlagEmailUnverified), "{:?}", row.flags);

    // The link a second time: refused, and the page says why.
    b.client.goto(&link).await.unwrap();
    b.until_text("h1", "このURLは使えません").await;
    assert_accessible(&b, "a used link").await;

    // Returned (差戻し) for its name; its mail's link opens the page filled with what was sent
    // and says why; corrected and sent with Enter, it is back in the queue as 再申請.
    assert_eq!(server.decide(&token, id, 1, "start_review").await.status(), 200);
    let back = serde_json::json!({ "action": "return_for_correction", "reason": "name_mismatch" });
    assert_eq!(server.decide_as(&token, id, 2, back, "return").await.status(), 200);
    let t = server.resubmit_token(id).await;
    b.client.goto(&format!("{}/apply?r={t}", server.url)).await.unwrap();
    b.until_text("h1", "G-MIS 新規ユーザ登録申請（再申請）").await;
    let page = b.text("main").await;
    assert!(page.contains("名称が登録内容と一致しない"), "{page}");
    let name = b.client.find(Locator::Id("f-name")).await.unwrap();
    assert_eq!(name.prop("value").await.unwrap().as_deref(), Some(f.name.as_str()));
    screenshot(&b.client, "apply_page_resubmit").await;
    assert_accessible(&b, "the resubmission page").await;
    for _ in 0..4 {
        b.press(&Key::Tab.to_string()).await; // 機関区分, 機関コード, 保険医療機関コード, 名称
    }
    assert_eq!(b.focused().await, "f-name");
    b.chord(Key::Control, 'a').await;
    b.press(&format!("医療法人 {}", f.name)).await;
    b.press(&Key::Enter.to_string()).await;
    b.until_text("h1", "再申請を受け付けました").await;
    assert_accessible(&b, "the resubmission sent").await;
    desk.sync_now().await.unwrap();
    let returned = desk.queue_entry(id).await.unwrap();
    let successor = returned.application.resubmitted_as.expect("replaced by the corrected one");
    let corrected = desk.queue_entry(successor).await.unwrap();
    assert_eq!(corrected.application.form.name, format!("医療法人 {}", f.name));
    assert!(
        corrected.application.address_verified
            && corrected.flags.iter().all(|fl| fl.code != Code::FlagDuplicate)
    );

    // At 200 % zoom (half the width), nothing scrolls sideways.
    b.client.goto(&format!("{}/apply", server.url)).await.unwrap();
    b.client.set_window_size(640, 900).await.unwrap();
    assert!(!scrolls_sideways(&b.client).await);
    screenshot(&b.client, "apply_page_narrow").await;
}
