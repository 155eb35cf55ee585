//! A window whose desk is set up against a test server, as `cargo xtask run` sets it up:
//! server address, CA and token through MADOGUCHI_DEV_*, prefecture 13.

use madoguchi_e2e::{until_text, Window};
use madoguchi_server::testing::TestServer;

#[allow(dead_code)] // each test crate that includes this uses one of the two
pub async fn connected_window(server: &TestServer, token: &str) -> Window {
    connected_window_with(server, token, &[]).await
}

/// As [`connected_window`], with more environment for the app.
#[allow(dead_code)]
pub async fn connected_window_with(
    server: &TestServer,
    token: &str,
    more: &[(&str, &str)],
) -> Window {
    let ca = server.dir.path().join("ca.pem");
    std::fs::write(&ca, &server.certs.ca_pem).unwrap();
    let mut env = vec![
        ("MADOGUCHI_DEV_SERVER_URL", server.url.as_str()),
        ("MADOGUCHI_DEV_CA_CERT", ca.to_str().unwrap()),
        ("MADOGUCHI_DEV_TOKEN", token),
        ("MADOGUCHI_DEV_PREFECTURE", "13"),
    ];
    env.extend_from_slice(more);
    let w = Window::open_with(&env).await;
    until_text(&w, "footer.status [data-field=sync-state]", "オンライン").await;
    w
}
