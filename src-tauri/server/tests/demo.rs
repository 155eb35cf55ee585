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
    assert_eq!(first.registry_rows, 438, "千代田区's rows of the sample list");
    assert!(first.certificates.ca_pem.contains("BEGIN CERTIFICATE"));
    assert!(first.certificates.cert_path.exists() && first.certificates.key_path.exists());
    let sample = std::fs::read(&first.registry_path).unwrap();
    let rows = madoguchi_registry::Records::open(&sample[..], "sample.csv").unwrap();
    assert_eq!(rows.filter(Result::is_ok).count(), 438, "the file a desk imports");
    // A second run keeps the certificates and the applications; it adds an officer.
    let again =
        madoguchi_server::demo::prepare(server.storage.as_ref(), &dir, "demo-token-2".into())
            .await
            .unwrap();
    assert_eq!((again.submitted, again.registry_rows), (0, 0));
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
    assert_eq!(applications, 9);
    let institutions = page
        .changes
        .iter()
        .filter(|c| matches!(c.entity, madoguchi_domain::api::Entity::Institution(_)))
        .count();
    assert!(institutions > 0, "the sample registry reaches the desk through the feed");
}

/// The demo's key is its owner's only, and the demo never adds its officer to a database it
/// did not make.
#[tokio::test]
async fn the_demo_keeps_its_key_private_and_leaves_a_real_database_alone() {
    let server = TestServer::start(Backend::Sqlite).await;
    let dir = server.dir.path().join("demo");
    let demo =
        madoguchi_server::demo::prepare(server.storage.as_ref(), &dir, "demo-token-1".into())
            .await
            .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&demo.certificates.key_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "server.key: {mode:o}");
    }
    let real = TestServer::start(Backend::Sqlite).await;
    real.officer("13").await;
    let before = real.storage.officers(None).await.unwrap().len();
    let refused = madoguchi_server::demo::prepare(real.storage.as_ref(), &dir, "x".into()).await;
    let said = refused.err().expect("refused").to_string();
    assert!(said.contains("デモが作ったものではありません"), "{said}");
    assert_eq!(real.storage.officers(None).await.unwrap().len(), before, "no officer added");
}

/// The database's folder is made when missing, as on a fresh clone (`cargo xtask run` after
/// `target/` was deleted); where it cannot be made, the error names the path.
#[tokio::test]
async fn a_missing_database_folder_is_made_or_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("not/yet/central.db");
    madoguchi_server::storage::open(&format!("sqlite://{}", db.display())).await.unwrap();
    assert!(db.exists());

    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let under_a_file = blocker.join("central.db");
    let error = madoguchi_server::storage::open(&format!("sqlite://{}", under_a_file.display()))
        .await
        .err()
        .expect("a file where the folder should be");
    let said = error.to_string();
    assert!(said.contains("データベースのフォルダ") && said.contains("a-file"), "{said}");
    assert!(!said.contains("code: 14"), "{said}");
}
