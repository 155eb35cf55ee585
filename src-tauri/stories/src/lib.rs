//! Helpers for the story tests: a desk (store + sync client) pointed at a test server.

use madoguchi_core::keychain::Token;
use madoguchi_core::sync::{SyncClient, SyncConfig};
use madoguchi_core::Store;
use madoguchi_server::testing::TestServer;

pub struct Desk {
    pub store: Store,
    pub client: SyncClient,
    pub dir: tempfile::TempDir,
}

/// The sync settings of a desk that trusts the test server's CA.
pub fn config(server: &TestServer, desk_name: &str) -> SyncConfig {
    SyncConfig {
        server_url: server.url.clone(),
        ca_pem: Some(server.certs.ca_pem.clone().into_bytes()),
        proxy_url: None,
        allow_loopback_http: false,
        desk_name: desk_name.into(),
    }
}

pub async fn desk(server: &TestServer, token: &str, name: &str) -> Desk {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("desk.db")).await.unwrap();
    let client = SyncClient::new(&config(server, name), Token::new(token)).unwrap();
    Desk { store, client, dir }
}
