//! The help desk in the real window: a call started with one key from another place, the
//! spam-folder branch walked with number keys (one slip taken back with Backspace) to its
//! ending, the call saved with a note, shown in 対応記録 and sent to the server; the FAQ
//! search finds an answer.

use fantoccini::key::Key;
use fantoccini::Locator;
use madoguchi_domain::api::Entity;
use madoguchi_e2e::{type_into, until_text};
use madoguchi_server::testing::{Backend, TestServer};

#[path = "connected.rs"]
mod connected;
use connected::connected_window;

#[tokio::test(flavor = "multi_thread")]
async fn walk_the_spam_folder_branch_and_find_the_call_in_the_log() {
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let w = connected_window(&server, &token).await;
    let body = w.client.find(Locator::Css("body")).await.unwrap();
    let ctrl = |k: &str| format!("{}{k}", char::from(Key::Control));
    // The phone rings while the officer is in 申請キュー: Ctrl+N from there.
    body.send_keys(&ctrl("1")).await.unwrap();
    until_text(&w, "main h1", "申請キュー").await;
    body.send_keys(&ctrl("n")).await.unwrap();
    until_text(&w, "#triage-node h2", "お問い合わせの内容").await;

    // The caller names the clinic.
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.csv");
    std::fs::write(&list, "470112485,0112485,医療法人 窓口テストクリニック,9000001,那覇市泉崎\r\n")
        .unwrap();
    let report = w.import_list(&list).await.unwrap();
    assert_eq!(report["imported"], 1, "{report}");
    // Looked up mid-call (Enter opens it): the call picks it up.
    body.send_keys(&ctrl("2")).await.unwrap();
    type_into(&w, "#lookup-input", "窓口テスト").await;
    until_text(&w, "#lookup-results", "医療法人 窓口テストクリニック").await;
    w.client
        .find(Locator::Css("#lookup-input"))
        .await
        .unwrap()
        .send_keys("\u{E007}")
        .await
        .unwrap();
    until_text(&w, "#on-call", "医療法人 窓口テストクリニック").await;
    body.send_keys(&ctrl("3")).await.unwrap();
    until_text(&w, "#call-links", "医療法人 窓口テストクリニック").await;
    body.send_keys("1").await.unwrap(); // メールが届かない
    until_text(&w, "#triage-node h2", "申請の有無と時期").await;
    body.send_keys("2").await.unwrap(); // a slip: 2週間たっていない
    until_text(&w, "#triage-node h2", "発行までの期間").await;
    body.send_keys(&Key::Backspace.to_string()).await.unwrap();
    until_text(&w, "#triage-node h2", "申請の有無と時期").await;
    body.send_keys("3").await.unwrap(); // 2週間以上
    until_text(&w, "#triage-node h2", "申請の状況を確認").await;
    // Said to this caller: a clinic is 貴院.
    until_text(&w, "#triage-say", "貴院のご名称").await;
    body.send_keys("1").await.unwrap(); // 承認済み (seen in the queue)
    until_text(&w, "#triage-say", "info@g-mis.net").await;
    body.send_keys("1").await.unwrap(); // 迷惑メールフォルダにあった
    until_text(&w, "#triage-node h2", "迷惑メールから取り出す").await;
    until_text(&w, "#call-path", "迷惑メールフォルダの確認（迷惑メールフォルダにあった）").await;
    until_text(&w, "#on-call", "対応中: 迷惑メールから取り出す").await;
    let shot = w.screenshot("triage_walk").await;
    eprintln!("screenshot: {}", shot.display());
    body.send_keys("1").await.unwrap(); // 次へ
    until_text(&w, "#triage-node h2", "安全な差出人に登録").await;
    body.send_keys("1").await.unwrap(); // 次へ
    until_text(&w, "#triage-ending", "解決").await;

    // Esc asks for the outcome and a note.
    body.send_keys(&Key::Escape.to_string()).await.unwrap();
    until_text(&w, "[aria-label=対応の終了]", "結果: 解決").await;
    type_into(&w, "#call-note", "迷惑メールフォルダにありました。安全な差出人に登録済み").await;
    w.client.find(Locator::Css("#confirm-finish")).await.unwrap().click().await.unwrap();
    until_text(&w, "#start-call", "対応を開始").await;

    // 対応記録 shows it; the server has it once.
    body.send_keys(&ctrl("4")).await.unwrap();
    until_text(&w, "#calls-list", "迷惑メールフォルダにありました").await;
    until_text(&w, "#calls-list", "迷惑メールフォルダの確認 › 迷惑メールから取り出す › 安全な差出人に登録 › 迷惑メールフォルダにあった").await;
    until_text(&w, "#calls-outcomes", "解決").await;
    w.screenshot("calls_log").await;
    let mut on_server = Vec::new();
    for _ in 0..100 {
        let page = server.storage.changes("13".parse().unwrap(), 0, 1000).await.unwrap();
        on_server = page
            .changes
            .into_iter()
            .filter_map(|c| match c.entity {
                Entity::Call(call) => Some(call),
                _ => None,
            })
            .collect();
        if !on_server.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(on_server.len(), 1, "the call reached the server once");
    assert_eq!(on_server[0].ending.as_deref(), Some("spam_done"));
    assert_eq!(on_server[0].steps.len(), 7, "{:?}", on_server[0].steps);
    assert_eq!(
        on_server[0].institution.as_ref().map(|i| i.name.as_str()),
        Some("医療法人 窓口テストクリニック")
    );

    // 窓口の連絡先, set once in 設定 for every desk, is there at a call-back ending.
    body.send_keys(&ctrl("5")).await.unwrap();
    type_into(&w, "#contact-name", "東京都保健医療局 医療政策課").await;
    type_into(&w, "#contact-phone", "03-5320-4448").await;
    type_into(&w, "#contact-hours", "平日 9時〜17時").await;
    // The prefecture's own waiting point, read out in the answers the officer chooses from.
    type_into(&w, "[data-fact='確認を始める目安']", "3週間").await;
    let save = Locator::XPath("//button[contains(., '都道府県の設定を保存')]");
    w.client.find(save).await.unwrap().click().await.unwrap();
    until_text(&w, "#prefecture-settings", "保存しました").await;
    w.screenshot("settings_contact").await;
    let facts = "document.getElementById('prefecture-facts').scrollIntoView()";
    w.client.execute(facts, vec![]).await.unwrap();
    w.screenshot("settings_facts").await;
    body.send_keys(&ctrl("n")).await.unwrap();
    until_text(&w, "#triage-node h2", "お問い合わせの内容").await;
    body.send_keys("1").await.unwrap(); // メールが届かない
    until_text(&w, "#triage-node h2", "申請の有無と時期").await;
    let labels = w
        .client
        .execute("return document.querySelector('#triage-node .choices').textContent", vec![])
        .await
        .unwrap();
    assert!(labels.as_str().unwrap().contains("申請して3週間以上たつ"), "{labels}");
    body.send_keys("3").await.unwrap(); // 3週間以上
    until_text(&w, "#triage-node h2", "申請の状況を確認").await;
    until_text(&w, "#triage-say", "そちら様のご名称").await; // no institution linked yet
    body.send_keys("4").await.unwrap(); // 却下
    until_text(&w, "#triage-ending", "都道府県から連絡").await;
    until_text(&w, "#window-contact", "東京都保健医療局 医療政策課・電話 03-5320-4448").await;
    w.screenshot("triage_contact").await;
    body.send_keys(&Key::Escape.to_string()).await.unwrap();
    w.client.find(Locator::Css("#confirm-finish")).await.unwrap().click().await.unwrap();
    until_text(&w, "#start-call", "対応を開始").await;

    // よくある質問.
    body.send_keys(&ctrl("3")).await.unwrap();
    type_into(&w, "#faq-search", "ｷｬｯｼｭ").await;
    until_text(&w, "#faq-hits", "キャッシュのクリア").await;
    w.close().await;
}

/// 都道府県の運用 set in 設定 changes what the desk says: login questions routed to the
/// linked clinic's 保健所 (named with its phone), paper reports accepted with the prefecture's
/// own way to get the form, and the かかりつけ医機能報告 branch.
#[tokio::test(flavor = "multi_thread")]
async fn the_prefectures_practice_sends_a_login_call_to_its_health_centre() {
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let w = connected_window(&server, &token).await;
    let body = w.client.find(Locator::Css("body")).await.unwrap();
    let ctrl = |k: &str| format!("{}{k}", char::from(Key::Control));
    let click = |css: &'static str| {
        let client = w.client.clone();
        async move { client.find(Locator::Css(css)).await.unwrap().click().await.unwrap() }
    };

    body.send_keys(&ctrl("5")).await.unwrap();
    until_text(&w, "#practice", "都道府県の運用").await;
    click("#add-centre").await;
    type_into(&w, "[data-centre='0'] [data-field='name']", "千代田保健所").await;
    type_into(&w, "[data-centre='0'] [data-field='phone']", "03-5211-8000").await;
    type_into(&w, "[data-centre='0'] [data-field='hours']", "平日 8時30分〜17時15分").await;
    type_into(&w, "[data-centre='0'] [data-field='area']", "千代田区").await;
    click("[data-topic='login']").await;
    click("#paper-accepted").await;
    type_into(&w, "#paper-how", "都のホームページから調査票を印刷し、郵送してください。").await;
    let save = Locator::XPath("//button[contains(., '都道府県の設定を保存')]");
    w.client.find(save).await.unwrap().click().await.unwrap();
    until_text(&w, "#prefecture-settings", "保存しました").await;
    let practice = "document.getElementById('practice').scrollIntoView()";
    w.client.execute(practice, vec![]).await.unwrap();
    w.screenshot("settings_practice").await;

    // A clinic in 千代田区 calls: it cannot find its login ID.
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.csv");
    std::fs::write(
        &list,
        "130132274,0132274,二宮内科クリニック,1010044,千代田区鍛冶町一丁目９番１号\r\n",
    )
    .unwrap();
    let report = w.import_list(&list).await.unwrap();
    assert_eq!(report["imported"], 1, "{report}");
    body.send_keys(&ctrl("n")).await.unwrap();
    until_text(&w, "#triage-node h2", "お問い合わせの内容").await;
    body.send_keys(&ctrl("2")).await.unwrap();
    type_into(&w, "#lookup-input", "二宮内科").await;
    until_text(&w, "#lookup-results", "二宮内科クリニック").await;
    w.client
        .find(Locator::Css("#lookup-input"))
        .await
        .unwrap()
        .send_keys("\u{E007}")
        .await
        .unwrap();
    until_text(&w, "#on-call", "二宮内科クリニック").await;
    body.send_keys(&ctrl("3")).await.unwrap();
    until_text(&w, "#call-links", "二宮内科クリニック").await;
    body.send_keys("3").await.unwrap(); // ログインID・パスワードが分からない
    until_text(&w, "#triage-node h2", "分からないもの").await;
    body.send_keys("3").await.unwrap(); // 管轄の保健所で
    until_text(&w, "#triage-say", "千代田保健所（電話 03-5211-8000、受付 平日 8時30分〜17時15分）")
        .await;
    w.screenshot("triage_health_centre").await;
    body.send_keys(&Key::Escape.to_string()).await.unwrap();
    w.client.find(Locator::Css("#confirm-finish")).await.unwrap().click().await.unwrap();
    until_text(&w, "#start-call", "対応を開始").await;

    // No internet: the paper form, as this prefecture hands it out.
    body.send_keys(&ctrl("n")).await.unwrap();
    until_text(&w, "#triage-node h2", "お問い合わせの内容").await;
    body.send_keys("8").await.unwrap(); // パソコン・ネット環境・メールアドレス
    until_text(&w, "#triage-node h2", "環境についてのご質問").await;
    body.send_keys("1").await.unwrap(); // インターネット環境がない
    until_text(&w, "#triage-say", "都のホームページから調査票を印刷").await;
    body.send_keys(&Key::Backspace.to_string()).await.unwrap();
    body.send_keys(&Key::Backspace.to_string()).await.unwrap();
    until_text(&w, "#triage-node h2", "お問い合わせの内容").await;

    // かかりつけ医機能報告: the same account.
    body.send_keys("7").await.unwrap(); // 申請の方法
    until_text(&w, "#triage-node h2", "申請についてのご質問").await;
    // The choices shown depend on the practice (one 機関コード choice here): pick by words.
    let choose = |label: &'static str| {
        let client = w.client.clone();
        let xpath = format!("//ol[contains(@class,'choices')]//button[contains(., '{label}')]");
        async move {
            let button = client.find(Locator::XPath(&xpath)).await.unwrap();
            // WebKitWebDriver does not scroll the place's own scroll area to a button below it.
            let arg = serde_json::to_value(&button).unwrap();
            client
                .execute("arguments[0].scrollIntoView({block: 'center'})", vec![arg])
                .await
                .unwrap();
            button.click().await.unwrap()
        }
    };
    choose("アカウントの有無・使い分け").await;
    until_text(&w, "#triage-node h2", "アカウントと報告の手続き").await;
    choose("かかりつけ医機能報告").await;
    until_text(&w, "#triage-say", "同じG-MISのアカウント").await;
    w.screenshot("triage_kakaritsuke").await;
    w.close().await;
}
