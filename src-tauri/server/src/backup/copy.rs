//! The database copied and put back, one way per database: SQLite by `VACUUM INTO` (a
//! consistent, compacted file while the server runs) and a file put in place; PostgreSQL by
//! `pg_dump -Fc` and `pg_restore`, the password handed to them in the environment, never on
//! their command line.

use std::path::Path;
use std::process::Command;

use super::error::BackupError;

/// The database kinds a backup is taken of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Sqlite,
    Postgres,
}

impl Kind {
    pub fn of(url: &str) -> Result<Self, BackupError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(BackupError::Unsupported(crate::redact::redact(url)))
        }
    }

    /// The copy's file name in a backup folder.
    pub fn file(self) -> &'static str {
        match self {
            Self::Sqlite => "central.db",
            Self::Postgres => "central.dump",
        }
    }
}

/// The SQLite file a `sqlite:` URL names.
pub fn sqlite_path(url: &str) -> std::path::PathBuf {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    std::path::PathBuf::from(rest.split('?').next().unwrap_or(rest))
}

/// Writes a consistent copy of the database at `url` to `to`.
pub async fn dump(url: &str, to: &Path) -> Result<(), BackupError> {
    match Kind::of(url)? {
        Kind::Sqlite => {
            use sqlx::Connection;
            let mut conn = sqlx::SqliteConnection::connect(url).await?;
            sqlx::query("VACUUM INTO $1").bind(to.display().to_string()).execute(&mut conn).await?;
            conn.close().await?;
            Ok(())
        }
        Kind::Postgres => {
            let to = to.display().to_string();
            pg_tool("pg_dump", url, &["--format=custom", "--no-owner", "--file", &to])
        }
    }
}

/// `PRAGMA integrity_check` of a SQLite file: `ok`, or what is wrong.
pub async fn sqlite_integrity(file: &Path) -> Result<(), BackupError> {
    use sqlx::Connection;
    let url = format!("sqlite://{}?mode=ro", file.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await?;
    let said: Vec<String> =
        sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&mut conn).await?;
    conn.close().await?;
    match said.as_slice() {
        [ok] if ok == "ok" => Ok(()),
        _ => Err(BackupError::Corrupt(said.join("; "))),
    }
}

/// Puts the copy `from` in place of the database at `url` (every server process stopped).
pub fn put_back(url: &str, from: &Path) -> Result<(), BackupError> {
    match Kind::of(url)? {
        Kind::Sqlite => {
            let target = sqlite_path(url);
            let staged = target.with_extension("restoring");
            std::fs::copy(from, &staged).map_err(|e| BackupError::io(&staged, e))?;
            std::fs::File::open(&staged)
                .and_then(|f| f.sync_all())
                .map_err(|e| BackupError::io(&staged, e))?;
            // The old file's journal belongs to the old file.
            for suffix in ["-wal", "-shm"] {
                let side = format!("{}{suffix}", target.display());
                let _ = std::fs::remove_file(side);
            }
            std::fs::rename(&staged, &target).map_err(|e| BackupError::io(&target, e))
        }
        Kind::Postgres => {
            let from = from.display().to_string();
            let args = ["--clean", "--if-exists", "--no-owner", "--single-transaction", &from];
            pg_tool("pg_restore", url, &args)
        }
    }
}

/// Runs a PostgreSQL client tool on the database at `url`, its password (if the URL has one)
/// in PGPASSWORD.
pub fn pg_tool(tool: &str, url: &str, args: &[&str]) -> Result<(), BackupError> {
    let (bare, password) = without_password(url);
    let mut command = Command::new(tool);
    command.arg(format!("--dbname={bare}")).args(args);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let out = command.output().map_err(|e| BackupError::Tool(format!("{tool}: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        let said = String::from_utf8_lossy(&out.stderr).replace(url, &crate::redact::redact(url));
        Err(BackupError::Tool(format!("{tool} {}: {said}", out.status)))
    }
}

/// `postgres://user:pw@host/db` as `postgres://user@host/db` and `pw`.
fn without_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else { return (url.to_owned(), None) };
    let Some((creds, host)) = rest.rsplit_once('@') else { return (url.to_owned(), None) };
    match creds.split_once(':') {
        Some((user, password)) => (format!("{scheme}://{user}@{host}"), Some(password.to_owned())),
        None => (url.to_owned(), None),
    }
}

#[cfg(test)]
mod tests {
    use crate::backup::copy::{sqlite_path, without_password};

    #[test]
    fn a_database_password_goes_to_the_environment_not_the_command_line() {
        let (bare, pw) = without_password("postgres://madoguchi:s3cret@db.example:5432/central");
        assert_eq!(bare, "postgres://madoguchi@db.example:5432/central");
        assert_eq!(pw.as_deref(), Some("s3cret"));
        assert_eq!(without_password("sqlite:///x.db").1, None);
        let p = sqlite_path("sqlite:///var/lib/madoguchi/central.db?mode=rwc");
        assert_eq!(p, std::path::PathBuf::from("/var/lib/madoguchi/central.db"));
    }
}
