//! The real window: the Japanese shell opens, a typed code is checked through the core, a
//! slip shows its error code and valid neighbours, and the desk's prefecture (saved in the
//! store) completes a 7-digit code.

use fantoccini::key::Key;
use fantoccini::Locator;
use madoguchi_e2e::{type_into, until_text, Window};

#[tokio::test]
async fn checks_codes_in_the_real_window() {
    let w = Window::open().await;

    // The frame: five places in order, Japanese status bar.
    let nav = w.text("nav").await;
    let order: Vec<usize> = ["申請キュー", "機関検索", "トラブル対応", "対応記録", "設定"]
        .iter()
        .map(|p| nav.find(p).unwrap_or_else(|| panic!("{p} missing from {nav:?}")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{nav}");
    assert!(w.text("footer.status").await.contains("未送信 0件"));
    until_text(&w, "#registry-status", "台帳がまだありません").await;

    // A slip, with an empty registry: the error code and the valid neighbours.
    type_into(&w, "#lookup-input", "0110112849").await;
    until_text(&w, "#code-check [data-error-code]", "E-CODE-CHECK").await;
    assert!(w.text("#code-check").await.contains("8桁目と9桁目の入れ替え"));
    w.client
        .find(Locator::Css("[data-suggestion='0110112489']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until_text(&w, "#code-check [data-field=parts]", "01 1 01 1248 9").await;

    // A full-width code with spaces: the canonical form.
    type_into(&w, "#lookup-input", "１３ １ ０２ ７０７５ １").await;
    until_text(&w, "#code-check [data-field=parts]", "13 1 02 7075 1").await;
    let shot = w.screenshot("code_checker").await;
    eprintln!("screenshot: {}", shot.display());

    // The desk's prefecture, saved in 設定 (Ctrl+5), completes a bureau-style 7-digit code.
    let body = w.client.find(Locator::Css("body")).await.unwrap();
    body.send_keys(&format!("{}5", char::from(Key::Control))).await.unwrap();
    let select = w.client.wait().for_element(Locator::Css("#desk-prefecture")).await.unwrap();
    select.select_by_value("13").await.unwrap();
    w.client.find(Locator::Css("button.primary")).await.unwrap().click().await.unwrap();
    until_text(&w, "main", "保存しました").await;
    until_text(&w, "footer.status [data-field=desk]", "東京都").await;
    w.client.find(Locator::Css("[data-place=lookup]")).await.unwrap().click().await.unwrap();
    type_into(&w, "#lookup-input", "02,7075,1").await;
    until_text(&w, "#code-check [data-field=parts]", "13 1 02 7075 1").await;

    w.close().await;
}
