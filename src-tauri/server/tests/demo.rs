//! `madoguchi-server demo`, as `cargo xtask run` uses it: the certificates, an officer whose
//! token the real server accepts over HTTPS, and the demo applications entered once.

use madoguchi_domain::api::ChangesPage;
use madoguchi_server::testing::{Backend, TestServer};

#[tokio::test]
async fn the_demo_makes_a_server_a_desk_can_use_and_enters_its_applications_once() {
    let server = TestServer::start(Backend::Sqlite).await;
    let dir = server.dir.path().join("demo");
    let first =
        madoguchi_server::demo::prepare(server.storage.as_ref(), &dir, "demo-token-1".into())
            .await
            .unwrap();
    assert_eq!(first.submitted, madoguchi_server::demo::forms().len());
    assert!(first.certificates.ca_pem.contains("BEGIN CERTIFICATE"));
    assert!(first.certificates.cert_path.exists() && first.certificates.key_path.exists());
    // A second run keeps the certificates and the applications; it adds an officer.
    let again =
        madoguchi_server::demo::prepare(server.storage.as_ref(), &dir, "demo-token-2".into())
            .await
            .unwrap();
    assert_eq!(again.submitted, 0);
    assert_eq!(again.certificates.ca_pem, first.certificates.ca_pem);
    // The demo officer's token reads 東京都's feed through the real API.
    let page: ChangesPage = server
        .client()
        .get(format!("{}/v1/changes?since=0&limit=100", server.url))
        .bearer_auth("demo-token-2")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let applications = page
        .changes
        .iter()
        .filter(|c| matches!(c.entity, madoguchi_domain::api::Entity::Application(_)))
        .count();
    assert_eq!(applications, 8);
}
