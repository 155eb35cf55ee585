//! The installed server as a Windows service, under Wine's service manager: a demo database
//! and certificate made by the Windows binary itself, the service installed with a settings
//! file, started (`net start`), asked for readiness over HTTPS from Linux, stopped (`net stop`:
//! the server drains and exits), and removed.

use std::path::Path;
use std::process::Command;

use crate::dev_server::field;
use crate::windows::{wine_env, with_wine};
use crate::{root, Result};

/// `path` as Windows programs under Wine name it (drive Z: is /).
fn windows_path(path: &Path) -> Result<String> {
    let path = path.to_str().ok_or("non-UTF-8 path")?;
    Ok(format!("Z:{}", path.replace('/', "\\")))
}

fn wine_output(args: &[&str]) -> Result<String> {
    let env = wine_env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    crate::output("wine", args, &env)
}

/// Readiness's status code, or none while nothing answers.
fn ready(port: u16) -> Option<String> {
    let url = format!("https://127.0.0.1:{port}/v1/health/ready");
    let out = Command::new("curl")
        .args(["-sk", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", &url])
        .output()
        .ok()?;
    let code = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (code != "000" && !code.is_empty()).then_some(code)
}

pub fn check(server: &Path) -> Result {
    let exe = server.to_str().ok_or("non-UTF-8 path")?;
    let dir = root().join("target/wine-service");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let database =
        format!("sqlite://{}", windows_path(&dir.join("central.db"))?.replace('\\', "/"));
    let demo = wine_output(&[
        exe,
        "--database",
        &database,
        "demo",
        "--dir",
        &windows_path(&dir.join("demo"))?,
    ])?;
    // A TOML string holds a Windows path with its backslashes doubled.
    let field = |name| Ok::<_, String>(field(&demo, name)?.trim().replace('\\', "\\\\"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let settings = format!(
        "listen = \"127.0.0.1:{port}\"\ndatabase = \"{database}\"\ntls_cert = \"{}\"\ntls_key = \"{}\"\n",
        field("cert")?,
        field("key")?
    );
    let config = dir.join("server.toml");
    std::fs::write(&config, settings).map_err(|e| format!("{}: {e}", config.display()))?;
    with_wine(&root(), "wine", &[exe, "--config", &windows_path(&config)?, "service", "install"])?;
    let outcome = started_and_stopped(port);
    // Removed whatever happened, so the next run installs afresh.
    let removed = with_wine(&root(), "wine", &[exe, "service", "uninstall"]);
    outcome.and(removed)
}

/// Wine ends its services when its last ordinary process ends (a Windows machine keeps
/// running): one stays alive while the service is checked.
struct Keeper(std::process::Child);

impl Drop for Keeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn started_and_stopped(port: u16) -> Result {
    let keeper = Command::new("wine")
        .args(["ping", "-n", "600", "127.0.0.1"])
        .envs(wine_env())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("wine: {e}"))?;
    let _keeper = Keeper(keeper);
    std::thread::sleep(std::time::Duration::from_secs(2));
    // An automatic-start service may be running already (Wine's service manager starts it
    // with the session): then `net start` says so and fails, and readiness decides.
    if let Err(e) = with_wine(&root(), "wine", &["net", "start", "madoguchi-server"]) {
        eprintln!("xtask: {e} (already started?)");
    }
    let mut answered = None;
    for _ in 0..60 {
        answered = ready(port);
        if answered.as_deref() == Some("200") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    if answered.as_deref() != Some("200") {
        return Err(format!("the service's server is not ready on port {port}: {answered:?}"));
    }
    eprintln!("xtask: the Windows service serves https://127.0.0.1:{port} (ready)");
    with_wine(&root(), "wine", &["net", "stop", "madoguchi-server"])?;
    for _ in 0..40 {
        if ready(port).is_none() {
            eprintln!("xtask: the Windows service stopped, its server gone");
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    Err("the service stopped but its server still answers".into())
}
