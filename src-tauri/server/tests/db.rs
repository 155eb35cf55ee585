//! `db status` / `db migrate` and who migrates: on both databases a fresh one is migrated only
//! when asked; every other command refuses a database of another schema (older: migrate
//! first; newer: use the binary that migrated it) and changes nothing in it.

use std::process::{Command, Output};

use madoguchi_server::testing::{certificates, database, BACKENDS};

fn server(database: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_madoguchi-server"))
        .args(["--database", database])
        .args(args)
        .env("RUST_LOG", "error")
        .env_remove("MADOGUCHI_LOG_FORMAT")
        .output()
        .expect("the server binary")
}

fn said(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_is_migrated_only_when_asked_and_other_schemas_are_refused() {
    for backend in BACKENDS {
        let dir = tempfile::tempdir().unwrap();
        let url = database(backend, dir.path()).await;
        let status = server(&url, &["db", "status"]);
        assert!(!status.status.success(), "{backend:?}: a fresh database is not current");
        assert!(said(&status).contains("applied\t0"), "{}", said(&status));
        let list = server(&url, &["officer", "list"]);
        assert!(!list.status.success(), "{backend:?}");
        assert!(said(&list).contains("db migrate"), "told what to do: {}", said(&list));
        // The same refusal as a JSON line, for a log collector.
        let json = server(&url, &["--log-format", "json", "officer", "list"]);
        let first =
            String::from_utf8_lossy(&json.stderr).lines().next().unwrap_or_default().to_owned();
        let line: serde_json::Value = serde_json::from_str(&first).expect(&first);
        assert_eq!(line["level"], "ERROR", "{line}");
        assert!(line["msg"].as_str().unwrap().contains("db migrate"), "{line}");

        let migrated = server(&url, &["db", "migrate"]);
        assert!(migrated.status.success(), "{backend:?}: {}", said(&migrated));
        assert!(server(&url, &["db", "status"]).status.success());
        let list = server(&url, &["officer", "list"]);
        assert!(list.status.success(), "{backend:?}: {}", said(&list));

        // A newer binary migrated it further: this one refuses to touch it, serve included.
        let bump =
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
                    VALUES (99991231000000, 'from a newer binary', TRUE, $1, 0)";
        if url.starts_with("postgres") {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            sqlx::query(bump).bind(vec![0u8]).execute(&pool).await.unwrap();
            pool.close().await;
        } else {
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            sqlx::query(bump).bind(vec![0u8]).execute(&pool).await.unwrap();
            pool.close().await;
        }
        let list = server(&url, &["officer", "list"]);
        assert!(!list.status.success());
        assert!(said(&list).contains("newer"), "{}", said(&list));
        let certs = certificates(dir.path());
        let (cert, key) =
            (certs.cert_path.display().to_string(), certs.key_path.display().to_string());
        let serve = server(
            &url,
            &[
                "serve",
                "--migrate",
                "false",
                "--listen",
                "127.0.0.1:0",
                "--tls-cert",
                &cert,
                "--tls-key",
                &key,
            ],
        );
        assert!(!serve.status.success(), "{backend:?}: {}", said(&serve));
        assert!(said(&serve).contains("newer"), "{}", said(&serve));
    }
}
