//! `story-desk DB COMMAND`: a desk engine in its own process, for story tests that kill it.
//!
//! The server comes from MADOGUCHI_SERVER_URL and MADOGUCHI_CA_PEM (a PEM file), the token from
//! MADOGUCHI_TOKEN (never an argument, so it stays out of process listings).
//! Commands: `sync` (once; exit 3 when offline), `queue ID ACTION_JSON`, `sync-forever`.

use std::process::ExitCode;

use madoguchi_core::keychain::Token;
use madoguchi_core::sync::{SyncClient, SyncConfig, SyncError};
use madoguchi_core::Store;
use madoguchi_domain::Action;

fn client() -> SyncClient {
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} not set"));
    let config = SyncConfig {
        server_url: var("MADOGUCHI_SERVER_URL"),
        ca_pem: Some(std::fs::read(var("MADOGUCHI_CA_PEM")).expect("CA file")),
        proxy_url: None,
        allow_loopback_http: false,
        desk_name: "story-desk".into(),
    };
    SyncClient::new(&config, Token::new(var("MADOGUCHI_TOKEN"))).expect("sync config")
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let store = Store::open(std::path::Path::new(&args[0])).await.expect("desk database");
    match args[1].as_str() {
        "queue" => {
            let action: Action = serde_json::from_str(&args[3]).expect("action JSON");
            let entry = store
                .queue_action(args[2].parse().expect("id"), action, None)
                .await
                .expect("queued");
            println!("queued {}", entry.id);
            ExitCode::SUCCESS
        }
        "sync" => match store.sync(&client()).await {
            Ok(report) => {
                println!("{}", serde_json::to_string(&report).unwrap());
                ExitCode::SUCCESS
            }
            Err(e @ (SyncError::Offline(_) | SyncError::Server(_))) => {
                println!("offline: {e}");
                ExitCode::from(3)
            }
            Err(e) => panic!("{e}"),
        },
        "sync-forever" => {
            let client = client();
            loop {
                let outcome = store.sync(&client).await;
                println!(
                    "attempt: {}",
                    outcome.map_or_else(|e| e.to_string(), |r| format!("{r:?}"))
                );
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
        other => panic!("unknown command {other}"),
    }
}
