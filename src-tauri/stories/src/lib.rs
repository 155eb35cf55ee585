//! Helpers for the story tests: a desk (store + sync client) pointed at a test server.

pub mod load;

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

/// A desk of 東京都 (calls and the prefecture's settings need the prefecture).
pub async fn tokyo_desk(server: &TestServer, token: &str, name: &str) -> Desk {
    let d = desk(server, token, name).await;
    let settings = madoguchi_core::settings::DeskSettings {
        prefecture: Some("13".parse().expect("a prefecture code")),
        ..Default::default()
    };
    d.store.save_desk_settings(&settings).await.unwrap();
    d
}

/// A sync client of `name` that reaches the server through `url` (a proxy, a closed port).
pub fn client_at(server: &TestServer, token: &str, name: &str, url: String) -> SyncClient {
    let config = SyncConfig { server_url: url, ..config(server, name) };
    SyncClient::new(&config, Token::new(token)).unwrap()
}

/// A desk connected as the window connects it: its encrypted store, settings (東京都), the
/// CA file, the token in the keychain.
pub async fn connected_desk(
    server: &TestServer,
    token: &str,
    dir: &tempfile::TempDir,
    name: &str,
) -> madoguchi_core::Desk {
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &server.certs.ca_pem).unwrap();
    let desk = madoguchi_core::Desk::open(&dir.path().join("madoguchi.db"), false).await.unwrap();
    let settings = madoguchi_core::settings::DeskSettings {
        prefecture: Some("13".parse().unwrap()),
        server_url: Some(server.url.clone()),
        ca_cert_path: Some(ca.display().to_string()),
        desk_name: Some(name.into()),
        ..Default::default()
    };
    desk.save_settings(&settings).await.unwrap();
    desk.save_server_token(token).await.unwrap();
    desk
}

/// `application`'s notice on the server once its delivery is `state` (a minute at most: a
/// real relay takes its time to bounce).
pub async fn server_notice(
    server: &TestServer,
    token: &str,
    application: i64,
    state: madoguchi_domain::DeliveryState,
) -> madoguchi_domain::api::Notice {
    for _ in 0..600 {
        let notices = server.notices(token).await;
        if let Some(n) = notices
            .into_iter()
            .find(|n| n.application_id == application && n.delivery.state == state)
        {
            return n;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("application {application}'s notice never became {state:?}");
}

/// The real server command (`story-server`, at `program`) serving `database_url` on
/// `port` with the fixture's certificate, killed when dropped.
pub fn server_process(
    program: &str,
    fixture: &TestServer,
    database_url: &str,
    port: u16,
) -> Killed {
    server_process_with(program, fixture, database_url, port, &[])
}

/// [`server_process`] with more of `serve`'s arguments (`--ops-listen …`).
pub fn server_process_with(
    program: &str,
    fixture: &TestServer,
    database_url: &str,
    port: u16,
    more: &[&str],
) -> Killed {
    let child = std::process::Command::new(program)
        .args(["--database", database_url, "serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(more)
        .arg("--tls-cert")
        .arg(&fixture.certs.cert_path)
        .arg("--tls-key")
        .arg(&fixture.certs.key_path)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    Killed(child)
}

/// A child process that is killed when the test ends, passed or failed.
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl std::ops::Deref for Killed {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Killed {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

pub async fn wait_until_up(http: &reqwest::Client, url: &str) {
    for _ in 0..100 {
        if http.get(format!("{url}/v1/health")).send().await.is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{url} did not come up");
}
