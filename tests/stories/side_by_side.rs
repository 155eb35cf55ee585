//! A national deployment: two server processes behind a load balancer, one PostgreSQL
//! database. Desks of two prefectures decide through either process at once; every desk's
//! feed, read while the decisions land, misses nothing and shows nothing of the other
//! prefecture; a decision raced through both processes is taken once.

use std::time::Duration;

use madoguchi_core::keychain::Token;
use madoguchi_core::sync::SyncClient;
use madoguchi_core::Store;
use madoguchi_domain::api::SubmittedBy;
use madoguchi_domain::{Action, ApplicationStatus, Prefecture};
use madoguchi_server::testing::{form, Backend, TestServer};
use madoguchi_server::tokens::{token_expiry, token_hash, TOKEN_DAYS};
use madoguchi_stories::{server_process, wait_until_up};

const PER_PREFECTURE: usize = 60;

async fn officer(storage: &dyn madoguchi_server::storage::Storage, pref: &str) -> String {
    let token = format!("side-by-side-{pref}");
    let p: Prefecture = pref.parse().unwrap();
    let expires = token_expiry(TOKEN_DAYS);
    storage.create_officer(p, "窓口 太郎", &token_hash(&token), &expires).await.unwrap();
    token
}

#[tokio::test(flavor = "multi_thread")]
async fn two_server_processes_on_one_database_keep_every_feed_whole() {
    let fixture = TestServer::start(Backend::Postgres).await; // a fresh database, certificates
    let db = fixture.database_url.clone();
    let ports: Vec<u16> = (0..2)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port())
        .collect();
    let _processes: Vec<_> = ports
        .iter()
        .map(|&port| server_process(env!("CARGO_BIN_EXE_story-server"), &fixture, &db, port))
        .collect();
    let urls: Vec<String> = ports.iter().map(|p| format!("https://localhost:{p}")).collect();
    for url in &urls {
        wait_until_up(&fixture.client(), url).await;
    }
    let storage = &*fixture.storage;
    let mut ids: Vec<(String, Vec<i64>)> = Vec::new();
    for pref in ["13", "27"] {
        let mut mine = Vec::new();
        for n in 0..PER_PREFECTURE {
            let f = form(pref, n);
            let valid = f.validate().unwrap();
            let at = "2026-11-29T00:00:00Z";
            mine.push(storage.submit(&f, &valid, SubmittedBy::Institution, at).await.unwrap().id);
        }
        ids.push((pref.to_owned(), mine));
    }

    // Per prefecture: a deciding desk on each process, and a watcher on the other one that
    // pulls again and again while the decisions land.
    let dir = tempfile::tempdir().unwrap();
    let mut deciders = Vec::new();
    let mut watchers = Vec::new();
    for (k, (pref, mine)) in ids.iter().enumerate() {
        let token = officer(storage, pref).await;
        let client_of = |url: &str, name: &str| {
            let mut config = madoguchi_stories::config(&fixture, name);
            config.server_url = url.to_owned();
            SyncClient::new(&config, Token::new(&token)).unwrap()
        };
        for (half, url) in urls.iter().enumerate() {
            let name = format!("{pref}-desk-{half}");
            let store = Store::open(&dir.path().join(format!("{name}.db"))).await.unwrap();
            let client = client_of(url, &name);
            store.sync(&client).await.unwrap();
            // Each desk takes its half; both desks also race for the first application.
            for (i, &id) in mine.iter().enumerate() {
                if i % 2 == half || i == 0 {
                    store.queue_action(id, Action::StartReview, None).await.unwrap();
                    if i != 0 {
                        store.queue_action(id, Action::ApproveNewAccount, None).await.unwrap();
                    }
                }
            }
            deciders.push((store, client));
        }
        let name = format!("{pref}-watcher");
        let watcher = Store::open(&dir.path().join(format!("{name}.db"))).await.unwrap();
        watchers.push((pref.clone(), watcher, client_of(&urls[(k + 1) % 2], &name)));
    }

    let pushes: Vec<_> = deciders
        .into_iter()
        .map(|(store, client)| {
            tokio::spawn(async move {
                let pushed = store.push(&client).await.unwrap();
                (store, client, pushed)
            })
        })
        .collect();
    let watching: Vec<_> = watchers
        .into_iter()
        .map(|(pref, store, client)| {
            tokio::spawn(async move {
                for _ in 0..40 {
                    store.sync(&client).await.unwrap();
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                (pref, store, client)
            })
        })
        .collect();
    let mut raced = (0, 0);
    for push in pushes {
        let (_store, _client, pushed) = push.await.unwrap();
        assert!(pushed.trouble.is_none(), "{:?}", pushed.trouble);
        raced.0 += pushed.sent;
        raced.1 += pushed.rejected;
    }
    // Per prefecture: 59 approvals (2 actions each) and the raced review start once.
    let decided = 2 * (2 * (PER_PREFECTURE - 1) + 1);
    assert_eq!(raced, (decided, 2), "the raced start taken once per prefecture, refused once");

    for watcher in watching {
        let (pref, store, client) = watcher.await.unwrap();
        // One more pull after the last decision: the watcher's cursor has skipped nothing.
        store.sync(&client).await.unwrap();
        let p: Prefecture = pref.parse().unwrap();
        let (_, mine) = ids.iter().find(|(x, _)| *x == pref).unwrap();
        for (i, &id) in mine.iter().enumerate() {
            let (held, _) = store.application(id).await.unwrap().expect("pulled");
            let server = storage.application(p, id).await.unwrap().unwrap();
            assert_eq!((held.status, held.version), (server.status, server.version), "{pref} {id}");
            let expected = if i == 0 {
                ApplicationStatus::InReview
            } else {
                ApplicationStatus::ApprovedNewAccount
            };
            assert_eq!(held.status, expected, "{pref} {id}");
        }
        let others = ids.iter().filter(|(x, _)| *x != pref).flat_map(|(_, v)| v);
        for &id in others {
            assert!(store.application(id).await.unwrap().is_none(), "{pref} sees no {id}");
        }
        // The feed read whole through either process is the same, in strictly rising order.
        let mut feeds = Vec::new();
        for url in &urls {
            let mut config = madoguchi_stories::config(&fixture, "reader");
            config.server_url = url.clone();
            let token = format!("side-by-side-{pref}");
            let reader = SyncClient::new(&config, Token::new(&token)).unwrap();
            let (mut since, mut seqs) = (0, Vec::new());
            loop {
                let page = reader.changes(since).await.unwrap();
                seqs.extend(page.changes.iter().map(|c| c.seq));
                since = page.next_cursor;
                if !page.has_more {
                    break;
                }
            }
            assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{pref}: rising");
            feeds.push(seqs);
        }
        assert_eq!(feeds[0], feeds[1], "{pref}: one feed, whichever process serves it");
    }
}
