//! The desk window's accessibility, checked as the public pages are: axe-core in the real window
//! on every place — the queue and an application's detail, lookup, troubleshooting with a call
//! going, the call log, settings, 要連絡 — with no serious or critical violation; the keyboard
//! walks each place with Tab, every stop visible and showing its focus; then each place at
//! 200 % zoom, photographed to be looked at.

use std::collections::BTreeMap;

use fantoccini::key::Key;
use fantoccini::Locator;
use madoguchi_e2e::{accessibility_violations, scrolls_sideways, until_text};
use madoguchi_server::testing::{form, Backend, TestServer};

#[path = "connected.rs"]
mod connected;
use connected::connected_window;

/// (key after Ctrl, the place's heading, what shows it is ready)
const PLACES: [(&str, &str, &str); 6] = [
    ("1", "申請キュー", "#queue-detail"),
    ("2", "機関検索", "#lookup-input"),
    ("3", "トラブル対応", "#triage-node h2"),
    ("4", "対応記録", "main h1"),
    ("5", "設定", "main h1"),
    ("6", "要連絡・カバー状況", "main h1"),
];

/// Tab presses per place: past the frame's places into the place's own controls.
const STOPS: usize = 14;

/// The element that has the focus: what it is, whether it is inside the place (not the frame),
/// and whether it is on screen with the focus ring drawn.
const FOCUS_STOP: &str = "const el = document.activeElement;
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
    return {
        what: el.tagName + (el.id ? '#' + el.id : '') + ' ' + (el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 40),
        in_main: el.closest('main') !== null,
        shown: el !== document.body && r.width > 0 && r.height > 0 && ring,
    };";

#[tokio::test(flavor = "multi_thread")]
async fn every_place_passes_axe_and_reads_at_200_percent() {
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    server.submit(&form("13", 1)).await;
    let w = connected_window(&server, &token).await;
    let body = w.client.find(Locator::Css("body")).await.unwrap();
    let ctrl = |k: &str| format!("{}{k}", char::from(Key::Control));
    body.send_keys(&ctrl("1")).await.unwrap();
    until_text(&w, "#queue-list", "申請受付").await;
    body.send_keys("j").await.unwrap(); // the application's detail beside the list
    body.send_keys(&ctrl("n")).await.unwrap(); // a call going, for troubleshooting

    let mut found = BTreeMap::new();
    for (key, heading, ready) in PLACES {
        body.send_keys(&ctrl(key)).await.unwrap();
        until_text(&w, "main h1", heading).await;
        w.text(ready).await;
        let violations = accessibility_violations(&w.client).await;
        if !violations.is_empty() {
            found.insert(heading, violations);
        }
    }
    assert!(found.is_empty(), "{:#}", serde_json::json!(found));

    // Tab through each place: every stop is on screen, shows its focus, and the walk reaches
    // the place's own controls (not only the frame's).
    let mut unseen = Vec::new();
    for (key, heading, _) in PLACES {
        body.send_keys(&ctrl(key)).await.unwrap();
        until_text(&w, "main h1", heading).await;
        let mut in_main = 0;
        for _ in 0..STOPS {
            w.client
                .active_element()
                .await
                .unwrap()
                .send_keys(&Key::Tab.to_string())
                .await
                .unwrap();
            let stop = w.client.execute(FOCUS_STOP, vec![]).await.unwrap();
            in_main += usize::from(stop["in_main"] == true);
            if stop["shown"] != true {
                unseen.push(format!("{heading}: {}", stop["what"]));
            }
        }
        assert!(in_main > 0, "{heading}: Tab never reaches the place's controls");
    }
    assert!(unseen.is_empty(), "focus not shown at: {unseen:#?}");

    // 200 %: the page zoomed as the officer's Ctrl++ would; nothing scrolls sideways.
    w.client.execute("document.documentElement.style.zoom = '2'", vec![]).await.unwrap();
    for (key, heading, _) in PLACES {
        body.send_keys(&ctrl(key)).await.unwrap();
        until_text(&w, "main h1", heading).await;
        w.screenshot(&format!("zoom200_{key}")).await;
        assert!(!scrolls_sideways(&w.client).await, "{heading} scrolls sideways at 200 %");
    }
}
