//! `cargo xtask bench window`: the real release window under Xvfb, measured twice in one run —
//! on an empty store, and on a desk holding the national registry (≈250k institutions, the
//! lookup bench's list) and 10,000 applications synced from a server — for its memory (PSS
//! of the app and its WebKit processes, after a search and the queue opened), its first
//! paint and its first search. Prints `bench: <name> <value> <unit>` lines.

#[path = "../../core/benches/support/scaled.rs"]
mod scaled;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::Locator;
use madoguchi_core::settings::DeskSettings;
use madoguchi_core::Desk;
use madoguchi_domain::api::SubmittedBy;
use madoguchi_e2e::{type_into, Window};
use madoguchi_server::testing::{form, Backend, TestServer};

const QUERY: &str = "中央クリニック";

/// Seconds since boot, as /proc counts them (the clock process start times are kept in).
fn uptime() -> f64 {
    let text = std::fs::read_to_string("/proc/uptime").unwrap();
    text.split_whitespace().next().unwrap().parse().unwrap()
}

/// Each process's id, parent and start (seconds since boot).
fn processes() -> Vec<(u32, u32, f64)> {
    let ticks = 100.0; // USER_HZ on Linux
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| {
            let pid: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "pid (comm) state ppid …": the name may hold spaces, so read after its ')'.
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            Some((pid, fields.get(1)?.parse().ok()?, fields.get(19)?.parse::<f64>().ok()? / ticks))
        })
        .collect()
}

/// The app's process (by its program) and its start, and every process below it.
fn app_tree(app: &Path) -> (Vec<u32>, f64) {
    let all = processes();
    let (root, started) = all
        .iter()
        .find(|(pid, _, _)| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|e| e == app))
        .map(|(pid, _, start)| (*pid, *start))
        .expect("the app is running");
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(all.iter().filter(|(_, pp, _)| *pp == parent).map(|(pid, _, _)| *pid));
        i += 1;
    }
    (tree, started)
}

/// Proportional set size of `pids` in MB (each shared page divided among its sharers), by
/// mapping: anonymous memory (heaps, JS, GPU buffers) under "anon", each mapped file under its
/// name — so a difference can be placed, not guessed.
fn pss_by_mapping(pids: &[u32]) -> std::collections::BTreeMap<String, f64> {
    let mut by = std::collections::BTreeMap::new();
    for p in pids {
        let Ok(smaps) = std::fs::read_to_string(format!("/proc/{p}/smaps")) else { continue };
        let mut name = String::from("anon");
        for line in smaps.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.first().is_some_and(|f| f.contains('-') && !f.ends_with(':')) {
                // A mapping's header: "start-end perms offset dev inode [path]".
                name = match fields.get(5) {
                    Some(path) if path.starts_with('/') => {
                        path.rsplit('/').next().unwrap_or(path).to_owned()
                    }
                    _ => "anon".to_owned(),
                };
            } else if fields.first() == Some(&"Pss:") {
                let kb: f64 = fields.get(1).and_then(|v| v.parse().ok()).unwrap_or(0.0);
                *by.entry(name.clone()).or_insert(0.0) += kb / 1024.0;
            }
        }
    }
    by
}

/// Waits until `css` holds `expected`, looking every 5 ms; how long that took.
async fn until(w: &Window, css: &str, expected: &str) -> Duration {
    let started = Instant::now();
    let mut last = String::new();
    while started.elapsed() < Duration::from_secs(30) {
        // The page's own text (WebDriver's element text is empty for the queue's positioned
        // rows).
        let script = "return document.querySelector(arguments[0])?.textContent ?? ''";
        match w.client.execute(script, vec![css.into()]).await {
            Ok(text) if text.as_str().is_some_and(|t| t.contains(expected)) => {
                return started.elapsed()
            }
            Ok(text) => last = text.to_string(),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let picture = w.screenshot("window_bench_timeout").await;
    panic!("{css} never showed {expected:?} but {last:?} (see {})", picture.display());
}

struct Measured {
    /// The app's own process (the desk's Rust side and GTK) and its WebKit processes, by mapping.
    app_maps: std::collections::BTreeMap<String, f64>,
    web_maps: std::collections::BTreeMap<String, f64>,
    first_paint: Duration,
    first_search: Duration,
}

impl Measured {
    /// The app's own process, in MB.
    fn app_mb(&self) -> f64 {
        self.app_maps.values().sum()
    }

    /// The app and its WebKit processes, in MB.
    fn pss_mb(&self) -> f64 {
        self.app_mb() + self.web_maps.values().sum::<f64>()
    }
}

/// Opens the window on `home` as an officer would use it — the lookup, one search, the
/// queue — and measures it.
async fn measure(
    home: tempfile::TempDir,
    app: &Path,
    found: &str,
    (queue_css, queued): (&str, &str),
) -> Measured {
    let w = Window::open_in(home, &[]).await;
    // The frame's places drawn: the first paint (a desk with work opens on its queue).
    w.text("[data-place=lookup]").await;
    let (tree, started) = app_tree(app);
    let first_paint = Duration::from_secs_f64(uptime() - started);
    w.client.find(Locator::Css("[data-place=lookup]")).await.unwrap().click().await.unwrap();
    w.text("#lookup-input").await;
    type_into(&w, "#lookup-input", QUERY).await;
    let first_search = until(&w, "#lookup-results", found).await;
    w.client.find(Locator::Css("[data-place=queue]")).await.unwrap().click().await.unwrap();
    until(&w, queue_css, queued).await;
    // Let the window settle (sync, the index's background work) before reading its memory.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (tree_now, _) = app_tree(app);
    let (app_maps, web_maps) = (pss_by_mapping(&tree_now[..1]), pss_by_mapping(&tree_now[1..]));
    assert!(tree_now.len() >= tree.len(), "the app and its WebKit processes");
    w.close().await;
    Measured { app_maps, web_maps, first_paint, first_search }
}

/// A desk's data folder (as the app finds it under XDG_DATA_HOME) holding the scaled national
/// registry, its saved lookup index, and the 10,000 applications of `server` synced.
async fn full_desk(server: &TestServer, token: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let folder = home.path().join("data/jp.madoguchi.desk");
    std::fs::create_dir_all(&folder).unwrap();
    let ca = home.path().join("ca.pem");
    std::fs::write(&ca, &server.certs.ca_pem).unwrap();
    let desk = Desk::open(&folder.join("madoguchi.db"), false).await.unwrap();
    let settings = DeskSettings {
        prefecture: Some("13".parse().unwrap()),
        server_url: Some(server.url.clone()),
        ca_cert_path: Some(ca.display().to_string()),
        desk_name: Some("bench".into()),
        ..Default::default()
    };
    desk.save_settings(&settings).await.unwrap();
    desk.save_server_token(token).await.unwrap();
    desk.sync_now().await.unwrap();
    scaled::import(desk.store(), scaled::scaled_csv()).await;
    desk.rebuild_index().await.unwrap();
    home
}

#[tokio::main]
async fn main() {
    let app = PathBuf::from(std::env::var("MADOGUCHI_APP_BIN").expect("MADOGUCHI_APP_BIN"));
    let nothing = ("#queue-list .empty", "該当する申請はありません");
    let empty =
        measure(tempfile::tempdir().unwrap(), &app, "該当する機関はありません", nothing).await;

    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    for n in 0..scaled::size(10_000, 300) {
        let f = form("13", n);
        let valid = f.validate().unwrap();
        let at = "2026-11-20T00:00:00Z";
        server.storage.submit(&f, &valid, SubmittedBy::Institution, at).await.unwrap();
    }
    let home = full_desk(&server, &token).await;
    let full = measure(home, &app, QUERY, ("#queue-list .qrow .name", "テスト病院0")).await;

    println!("bench: window.pss_empty {:.0} MB", empty.pss_mb());
    println!("bench: window.pss_full {:.0} MB", full.pss_mb());
    println!("bench: window.full_over_empty {:.2} x", full.pss_mb() / empty.pss_mb());
    println!("bench: window.pss_empty_app {:.0} MB", empty.app_mb());
    println!("bench: window.pss_full_app {:.0} MB", full.app_mb());
    for (side, empty_maps, full_maps) in
        [("app", &empty.app_maps, &full.app_maps), ("web", &empty.web_maps, &full.web_maps)]
    {
        let anon = |m: &std::collections::BTreeMap<String, f64>| m.get("anon").copied();
        println!("bench: window.pss_empty_{side}_anon {:.0} MB", anon(empty_maps).unwrap_or(0.0));
        println!("bench: window.pss_full_{side}_anon {:.0} MB", anon(full_maps).unwrap_or(0.0));
        // Where else the full window's memory grew: the mapped files that grew by 1 MB or more.
        for (name, mb) in full_maps.iter().filter(|(n, _)| n.as_str() != "anon") {
            let grown = mb - empty_maps.get(name).copied().unwrap_or(0.0);
            if grown >= 1.0 {
                println!("window: the {side} process maps {name}: {mb:.1} MB (+{grown:.1})");
            }
        }
    }
    println!("bench: window.first_paint_ms {:.0} ms", full.first_paint.as_secs_f64() * 1000.0);
    println!("bench: window.first_search_ms {:.0} ms", full.first_search.as_secs_f64() * 1000.0);
    println!(
        "bench: window.first_paint_empty_ms {:.0} ms",
        empty.first_paint.as_secs_f64() * 1000.0
    );
}
