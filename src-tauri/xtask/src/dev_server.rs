//! `cargo xtask run`'s local central server: SQLite under target/, and what
//! `madoguchi-server demo` makes there (a CA the app is told to trust, a demo officer of
//! 東京都, demo applications on the first run). xtask links none of Madoguchi's crates: it
//! runs the server's own commands.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::Result;

pub struct DevServer {
    child: Child,
    pub url: String,
    pub ca: PathBuf,
    pub token: String,
}

impl Drop for DevServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of `name=` among `demo`'s output lines.
fn field<'a>(output: &'a str, name: &str) -> Result<&'a str> {
    output
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
        .ok_or_else(|| format!("madoguchi-server demo printed no {name}="))
}

impl DevServer {
    pub fn start(root: &Path) -> Result<DevServer> {
        Self::start_in(root, &root.join("target/dev-central"), &[])
    }

    /// A server on the database in `dir`, with `settings` (e.g. `--config FILE`) before its
    /// command.
    pub fn start_in(root: &Path, dir: &Path, settings: &[&str]) -> Result<DevServer> {
        let binary = root.join("target/debug/madoguchi-server");
        let database = format!("sqlite://{}", dir.join("central.db").display());
        let dir_arg = dir.to_str().ok_or("non-UTF-8 path")?;
        let demo = Command::new(&binary)
            .args(["--database", &database, "demo", "--dir", dir_arg])
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        if !demo.status.success() {
            return Err("madoguchi-server demo failed".into());
        }
        let output = String::from_utf8_lossy(&demo.stdout);
        let mut child = Command::new(&binary)
            .args(settings)
            .args(["--database", &database, "serve", "--listen", "127.0.0.1:0"])
            .args(["--tls-cert", field(&output, "cert")?, "--tls-key", field(&output, "key")?])
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        // The server prints its address once it listens: `madoguchi-server: https://ADDR`.
        let mut line = String::new();
        let stdout = child.stdout.take().ok_or("no server output")?;
        BufReader::new(stdout).read_line(&mut line).map_err(|e| e.to_string())?;
        let port = line.trim().rsplit(':').next().unwrap_or_default().to_owned();
        let server = DevServer {
            child,
            url: format!("https://localhost:{port}"),
            ca: PathBuf::from(field(&output, "ca")?),
            token: field(&output, "token")?.to_owned(),
        };
        if port.parse::<u16>().is_err() {
            return Err(format!("the development server did not start: {line:?}"));
        }
        eprintln!(
            "xtask: central server {} (SQLite {}, demo officer of 13)",
            server.url,
            dir.display()
        );
        Ok(server)
    }
}
