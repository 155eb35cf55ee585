//! `cargo xtask run`'s local central server: SQLite under target/, and what
//! `madoguchi-server demo` makes there (a CA the app is told to trust, a demo officer of
//! 東京都, a sample registry file, demo applications on the first run). xtask links none of Madoguchi's crates: it
//! runs the server's own commands.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Result;

/// The demo officer's prefecture (東京都), whose applications and sample registry `demo` makes.
pub const PREFECTURE: &str = "13";

pub struct DevServer {
    child: Child,
    port: u16,
    pub url: String,
    pub ca: PathBuf,
    /// The demo's sample registry (a public code list) as a file, for the desk to import.
    pub registry: PathBuf,
    pub token: String,
}

impl Drop for DevServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of `name=` among `demo`'s output lines.
pub(crate) fn field<'a>(output: &'a str, name: &str) -> Result<&'a str> {
    output
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
        .ok_or_else(|| format!("madoguchi-server demo printed no {name}="))
}

impl DevServer {
    /// A server on the database in `dir` (the server makes the folder when missing: the first
    /// run's test sees that it does), with `settings` (e.g. `--config FILE`) before its command.
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
        let port = line.trim().rsplit(':').next().unwrap_or_default();
        let Ok(port) = port.parse::<u16>() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("the development server did not start: {line:?}"));
        };
        let server = DevServer {
            child,
            port,
            url: format!("https://localhost:{port}"),
            ca: PathBuf::from(field(&output, "ca")?),
            registry: PathBuf::from(field(&output, "registry")?),
            token: field(&output, "token")?.to_owned(),
        };
        eprintln!(
            "xtask: central server {} (SQLite {}, demo officer of {PREFECTURE})",
            server.url,
            dir.display()
        );
        Ok(server)
    }

    /// Stops the server as a service manager does (SIGTERM, then SIGKILL after 10 s) and
    /// makes sure its port no longer answers.
    pub fn stop(mut self) -> Result {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let asked = Instant::now();
        while self.child.try_wait().map_err(|e| e.to_string())?.is_none() {
            if asked.elapsed() > Duration::from_secs(10) {
                let _ = self.child.kill();
                self.child.wait().map_err(|e| e.to_string())?;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            return Err(format!("the central server still answers on port {}", self.port));
        }
        eprintln!("xtask: central server stopped");
        Ok(())
    }
}
