//! Madoguchi's task runner, by the cargo-xtask convention (`cargo xtask …`, see .cargo/config.toml).
//!
//! `run` and `test` are the two commands of README.md: each installs what a fresh Debian or
//! Ubuntu machine lacks (apt packages, npm packages, tauri-driver) before it builds.

mod deb;
mod dev_server;
mod windows;
mod windows_service;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Debian packages the app needs to build and run (WebKitGTK 4.1 and friends).
const BUILD_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "libsoup-3.0-dev",
    "libjavascriptcoregtk-4.1-dev",
    "librsvg2-dev",
    "libayatana-appindicator3-dev",
    "libssl-dev",
    "libxdo-dev",
    "libdbus-1-dev",
    "fonts-noto-cjk",
];

/// What the tests add: a virtual display, the WebDriver of WebKitGTK, Chromium and its
/// WebDriver for the server's public page, Python for schemathesis (the API contract), PostgreSQL for the server's second storage, a
/// Secret Service (gnome-keyring) for the token keychain, Postfix as the prefecture's
/// mail relay (each mail test runs a private instance), systemd (systemd-analyze verify
/// reads the server's unit), and poppler-utils and unzip to read back the letters (PDF) and
/// the 差込印刷 list (.xlsx) the desk writes.
const TEST_PACKAGES: &[&str] = &[
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "chromium",
    "chromium-driver",
    "python3",
    "python3-venv",
    "x11-utils",
    "postgresql",
    "gnome-keyring",
    "dbus",
    "dbus-x11",
    "postfix",
    "systemd",
    "adduser",
    "poppler-utils",
    "unzip",
];

/// The role the server tests create their databases with.
const TEST_POSTGRES: &str = "postgres://madoguchi:madoguchi@127.0.0.1:5432/postgres";

/// Benchmarks by name: `cargo xtask bench NAME` runs those whose name starts with NAME.
const BENCHES: &[(&str, &str)] = &[
    ("codes", "madoguchi-domain"),
    ("lookup", "madoguchi-core"),
    ("outreach", "madoguchi-core"),
    ("sync", "madoguchi-stories"),
    ("storm", "madoguchi-stories"),
    ("queue", "madoguchi-stories"),
    ("mail", "madoguchi-server"),
    ("intake", "madoguchi-server"),
    ("hostile", "madoguchi-server"),
    ("reminders", "madoguchi-server"),
];

pub(crate) type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("run") => run(),
        Some("test") => test(),
        Some("bench") => bench(args.get(1).map(String::as_str)),
        Some("setup") => setup(true),
        Some("first-run") => setup(true).and_then(|()| first_run()),
        Some("deb") if args.get(1).is_some_and(|a| a == "--check") => deb::test(),
        Some("deb") => deb::release().map(|deb| eprintln!("xtask: package {}", deb.display())),
        Some("windows") => windows::build(windows::Build::Release).map(|installer| {
            eprintln!("xtask: installer {}", installer.display());
        }),
        _ => {
            eprintln!(
                "usage: cargo xtask <run | test | bench [NAME] | setup | first-run | deb | windows>\n\
                 \n  run    install what is missing, build the UI and open the Madoguchi window\
                 \n  test   install what is missing and run every test suite, the window's included\
                 \n  bench  run the benchmarks (all, or those whose name starts with NAME)\
                 \n  setup  only install what is missing (apt packages, npm packages, tauri-driver)\
                 \n  first-run  the test command's first-run check alone (run's path, its window driven)\
                 \n  deb    the server's Debian package (release build, systemd unit, settings file);\
                 \n         --check: the test command's check of it, on the debug build\
                 \n  windows  cross-build the desk and the server for Windows and make the installer"
            );
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Runs a command from the workspace root, echoing it, and fails on a non-zero exit.
fn sh(program: &str, args: &[&str]) -> Result {
    sh_in(&root(), program, args, &[])
}

fn sh_in(dir: &Path, program: &str, args: &[&str], env: &[(&str, &str)]) -> Result {
    eprintln!("xtask$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .status()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{program} {} failed: {status}", args.join(" ")))
    }
}

/// Runs a command with `env` added and returns what it printed; fails on a non-zero exit
/// with what it said on standard error.
pub(crate) fn output(program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<String> {
    let out = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("{program} {} failed: {}\n{err}", args.join(" "), out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs `args` as the `postgres` system user.
fn as_postgres(args: &[&str]) -> Result {
    if is_root() {
        sh("runuser", &[&["-u", "postgres", "--"][..], args].concat())
    } else {
        sh("sudo", &[&["-u", "postgres"][..], args].concat())
    }
}

/// Starts Debian's PostgreSQL cluster if it is down and makes sure the test role exists.
fn postgres() -> Result<&'static str> {
    let clusters = Command::new("pg_lsclusters")
        .arg("--no-header")
        .output()
        .map_err(|e| format!("pg_lsclusters: {e}"))?;
    let listing = String::from_utf8_lossy(&clusters.stdout).to_string();
    let first =
        listing.lines().next().ok_or("no PostgreSQL cluster: reinstall the postgresql package")?;
    let fields: Vec<&str> = first.split_whitespace().collect();
    if fields.get(3) != Some(&"online") {
        let ctl = ["pg_ctlcluster", fields[0], fields[1], "start"];
        if is_root() {
            sh(ctl[0], &ctl[1..])?
        } else {
            sh("sudo", &ctl)?
        }
    }
    // A cluster that was not shut down cleanly recovers first ("the database system is
    // starting up"), which takes a while on a busy disk: wait for it, up to two minutes.
    let port = fields.get(2).copied().unwrap_or("5432");
    for _ in 0..120 {
        let ready = Command::new("pg_isready").args(["-q", "-h", "127.0.0.1", "-p", port]).status();
        if ready.is_ok_and(|s| s.success()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    as_postgres(&[
        "psql",
        "-qc",
        "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'madoguchi') THEN \
         CREATE ROLE madoguchi LOGIN PASSWORD 'madoguchi' CREATEDB; END IF; END$$;",
    ])?;
    Ok(TEST_POSTGRES)
}

/// apt-get installs the packages that are missing; root runs it directly, others through sudo.
fn apt_install(packages: &[&str]) -> Result {
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    if Command::new("apt-get").arg("--version").output().is_err() {
        return Err(format!(
            "apt-get not found; install these packages by hand: {}",
            missing.join(" ")
        ));
    }
    let (program, mut prefix) =
        if is_root() { ("apt-get", vec![]) } else { ("sudo", vec!["apt-get"]) };
    let mut update = prefix.clone();
    update.push("update");
    sh(program, &update)?;
    prefix.extend(["install", "-y", "--no-install-recommends"]);
    prefix.extend(missing.iter().copied());
    sh_in(&root(), program, &prefix, &[("DEBIAN_FRONTEND", "noninteractive")])
}

/// `npm ci` when node_modules is missing or older than the lock file.
fn npm_install() -> Result {
    let ui = root().join("ui");
    let modified = |p: PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let stale = match (
        modified(ui.join("node_modules/.package-lock.json")),
        modified(ui.join("package-lock.json")),
    ) {
        (Some(installed), Some(lock)) => installed < lock,
        _ => true,
    };
    if stale {
        sh_in(&ui, "npm", &["ci", "--no-audit", "--no-fund"], &[])?;
    }
    Ok(())
}

fn cargo_bin(name: &str) -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let path = home.join("bin").join(name);
    path.exists().then_some(path)
}

/// rustfmt and clippy, which a minimal Rust install may lack.
fn rust_components() -> Result {
    let has = |tool: &str| {
        Command::new(cargo()).args([tool, "--version"]).output().is_ok_and(|o| o.status.success())
    };
    if has("fmt") && has("clippy") {
        return Ok(());
    }
    sh("rustup", &["component", "add", "rustfmt", "clippy"])
}

fn setup(for_tests: bool) -> Result {
    apt_install(BUILD_PACKAGES)?;
    if for_tests {
        rust_components()?;
        apt_install(TEST_PACKAGES)?;
        if cargo_bin("tauri-driver").is_none() {
            sh(&cargo(), &["install", "tauri-driver", "--locked"])?;
        }
    }
    npm_install()
}

/// The frontend is embedded into the binary, so it is built before the app crate compiles.
fn build_ui() -> Result {
    sh_in(&root().join("ui"), "npm", &["run", "build"], &[])
}

/// Runs `command` in a private D-Bus session with an unlocked Secret Service, as a desktop
/// login provides: the keychain the desk keeps its server token in.
/// Its keyrings live in a fresh folder under target/, never in the user's own.
fn with_keychain(command: &[&str], env: &[(&str, &str)]) -> Result {
    let keyrings = root().join("target/test-keychain");
    let _ = std::fs::remove_dir_all(&keyrings);
    in_keychain(&keyrings, command, env)
}

fn in_keychain(keyrings: &Path, command: &[&str], env: &[(&str, &str)]) -> Result {
    std::fs::create_dir_all(keyrings).map_err(|e| format!("{}: {e}", keyrings.display()))?;
    let script = "echo -n madoguchi-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec \"$@\"";
    let args = [&["--", "bash", "-c", script, "keychain"][..], command].concat();
    let data_home = keyrings.to_str().ok_or("non-UTF-8 path")?;
    sh_in(&root(), "dbus-run-session", &args, &[env, &[("XDG_DATA_HOME", data_home)]].concat())
}

/// What `cargo xtask run` builds and starts before the window: the UI and both programs, and
/// a local central server on the SQLite database in `central` (folder made when missing).
/// Returns the server (stopped when dropped) and the app's environment, which hands it the
/// server's address, CA, a demo officer's token (never through a file) and the sample
/// registry to import on the first run.
fn start_for_window(
    central: &Path,
) -> Result<(dev_server::DevServer, Vec<(&'static str, String)>)> {
    build_ui()?;
    build_programs()?;
    let server = dev_server::DevServer::start_in(&root(), central, &[])?;
    let utf8 = |p: &Path| p.to_str().map(str::to_owned).ok_or("non-UTF-8 path");
    let env = vec![
        ("MADOGUCHI_DEV_SERVER_URL", server.url.clone()),
        ("MADOGUCHI_DEV_CA_CERT", utf8(&server.ca)?),
        ("MADOGUCHI_DEV_TOKEN", server.token.clone()),
        ("MADOGUCHI_DEV_PREFECTURE", dev_server::PREFECTURE.to_owned()),
        ("MADOGUCHI_DEV_REGISTRY", utf8(&server.registry)?),
    ];
    Ok((server, env))
}

fn run() -> Result {
    setup(false)?;
    let (server, mut env) = start_for_window(&root().join("target/dev-central"))?;
    let app = root().join("target/debug/madoguchi");
    let app = app.to_str().ok_or("non-UTF-8 path")?;
    let outcome = if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
        // A desktop session: its own keychain holds the token and the store's key. The desk's
        // data stays under target/ beside the server's, so deleting target/ starts both anew
        // (a desk kept beside a new server would wait for changes it already has).
        let desk = root().join("target/dev-desk");
        env.push(("XDG_CONFIG_HOME", desk.join("config").display().to_string()));
        env.push(("XDG_DATA_HOME", desk.join("data").display().to_string()));
        sh_in(&root(), app, &[], &pairs(&env))
    } else {
        // No desktop session (a server, a container): a private Secret Service whose
        // keyring, and the app's data, stay under target/dev-keychain between runs.
        apt_install(&["gnome-keyring", "dbus", "dbus-x11"])?;
        in_keychain(&root().join("target/dev-keychain"), &[app], &pairs(&env))
    };
    // The window is closed: the server stops with it.
    server.stop()?;
    outcome
}

/// Set by the test command: its suites have built both programs already.
static IN_TEST: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The server and the app, built together: built alone, the app's dependencies resolve to
/// other features and every shared crate is compiled (and stored) a second time. In the test
/// command, as the suites built them (their integration tests need both binaries): the same
/// features, so nothing is compiled again.
fn build_programs() -> Result {
    if IN_TEST.load(std::sync::atomic::Ordering::Relaxed) {
        sh(&cargo(), &[&["test", "--no-run"][..], SUITES_BUT_WINDOW].concat())
    } else {
        sh(&cargo(), &["build", "--package", "madoguchi-server", "--package", "madoguchi-app"])
    }
}

/// `cargo test`'s selection for every suite but the window's.
const SUITES_BUT_WINDOW: &[&str] = &["--workspace", "--exclude", "madoguchi-e2e"];

/// `(name, value)` pairs as `sh_in` takes them.
fn pairs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The README's `cargo xtask run` as a newcomer meets it, from nothing: the same build and
/// local server (on an empty database folder that does not exist yet), the window under Xvfb
/// on a fresh data folder, driven by the e2e crate's `first_run` test (the demo applications
/// in 申請キュー, a sample institution found), then the server stopped with the window.
fn first_run() -> Result {
    let dir = root().join("target/first-run");
    let _ = std::fs::remove_dir_all(&dir);
    let (server, env) = start_for_window(&dir.join("dev-central"))?;
    let mut env = pairs(&env);
    env.push(("MADOGUCHI_FIRST_RUN", "1"));
    let cargo = cargo();
    let outcome = driving_window(
        &root().join("target/debug/madoguchi"),
        &[&cargo, "test", "--package", "madoguchi-e2e", "--test", "first_run"],
        &env,
    );
    server.stop()?;
    outcome
}

/// The test command's phases and how long each took, printed as a table at the end (also
/// when a phase fails), so a new suite's cost is seen.
#[derive(Default)]
struct Phases(Vec<(&'static str, std::time::Duration, bool)>);

impl Phases {
    fn run<T>(&mut self, name: &'static str, phase: impl FnOnce() -> Result<T>) -> Result<T> {
        let started = std::time::Instant::now();
        let outcome = phase();
        self.0.push((name, started.elapsed(), outcome.is_ok()));
        outcome
    }

    fn print(&self) {
        let minutes = |d: std::time::Duration| {
            let s = d.as_secs();
            format!("{:>3}:{:02}", s / 60, s % 60)
        };
        eprintln!("\nxtask: where the time went (m:ss)");
        for (name, took, ok) in &self.0 {
            eprintln!("  {name:<44} {}{}", minutes(*took), if *ok { "" } else { "  FAILED" });
        }
        let total = self.0.iter().map(|(_, d, _)| *d).sum();
        eprintln!("  {:<44} {}", "total", minutes(total));
    }
}

fn test() -> Result {
    // A clean checkout gains nothing from incremental data, and it is the largest part of a
    // debug target (gigabytes; CI's disk is shared and once ran out mid-run). Asked for by
    // name (CARGO_INCREMENTAL=1), it stays.
    if std::env::var_os("CARGO_INCREMENTAL").is_none() {
        std::env::set_var("CARGO_INCREMENTAL", "0");
    }
    IN_TEST.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut phases = Phases::default();
    let outcome = test_in_phases(&mut phases);
    phases.print();
    outcome
}

fn test_in_phases(p: &mut Phases) -> Result {
    p.run("setup (apt, npm, tauri-driver)", || setup(true))?;
    let cargo = cargo();
    p.run("cargo fmt --check", || sh(&cargo, &["fmt", "--all", "--check"]))?;
    let ui = root().join("ui");
    p.run("UI type check and build", || {
        sh_in(&ui, "npm", &["run", "check"], &[])?;
        build_ui()
    })?;
    // The app crate embeds the built UI, so clippy comes after it.
    p.run("clippy", || {
        sh(&cargo, &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])
    })?;
    // Domain, core (keychain included), command tests (Tauri's mock runtime), the server on
    // both databases, and the desk-server stories.
    let pg = p.run("PostgreSQL started", postgres)?;
    p.run("cargo test (every crate but the window's)", || {
        with_keychain(
            &[&[cargo.as_str(), "test"][..], SUITES_BUT_WINDOW].concat(),
            &[("MADOGUCHI_TEST_POSTGRES", pg)],
        )
    })?;
    p.run("API contract (schemathesis)", api_contract)?;
    // The README's other command, as a newcomer runs it first.
    p.run("first run (cargo xtask run's path, window)", first_run)?;
    // The real window under Xvfb, driven through tauri-driver and WebKitWebDriver, and the
    // public application page in Chromium.
    p.run("end-to-end (window, public page)", || {
        build_programs()?;
        driving_window(
            &root().join("target/debug/madoguchi"),
            &[&cargo, "test", "--package", "madoguchi-e2e", "--", "--test-threads=1"],
            &[],
        )
    })?;
    // Every bench once, small (`MADOGUCHI_BENCH_SMALL`): built as the tests are and run to
    // the end, so a bench cannot rot unseen; its figures are judged by no one.
    p.run("benches (each once, small)", || {
        let small = ("MADOGUCHI_BENCH_SMALL", "1");
        let benches = [cargo.as_str(), "test", "--bench", "*"];
        with_keychain(
            &[&benches[..], SUITES_BUT_WINDOW].concat(),
            &[("MADOGUCHI_TEST_POSTGRES", pg), small],
        )?;
        driving_window(
            &root().join("target/debug/madoguchi"),
            &[&cargo, "test", "--package", "madoguchi-e2e", "--bench", "window"],
            &[small],
        )
    })?;
    p.run("Debian package (files, unit, settings)", deb::test)?;
    // Windows, where the officers are: the suites cross-built and run under Wine, the
    // installer made, installed silently, and its server run.
    p.run("Windows (cross-build, Wine suites, installer)", || windows::test(pg))
}

/// Runs `command` (the e2e crate's tests or window bench) under Xvfb, in a Secret Service of
/// its own, with the app at `app` for tauri-driver to start and `env` for both.
fn driving_window(app: &Path, command: &[&str], env: &[(&str, &str)]) -> Result {
    let driver = cargo_bin("tauri-driver").ok_or("tauri-driver is not installed")?;
    let mut under_xvfb = vec!["xvfb-run", "-a", "-s", "-screen 0 1280x800x24"];
    under_xvfb.extend_from_slice(command);
    let mut env = env.to_vec();
    env.push(("MADOGUCHI_APP_BIN", app.to_str().ok_or("non-UTF-8 path")?));
    env.push(("TAURI_DRIVER_BIN", driver.to_str().ok_or("non-UTF-8 path")?));
    with_keychain(&under_xvfb, &env)
}

/// `cargo xtask bench window`: the UI and the app built for release, then the e2e crate's
/// window bench (an empty desk, then the national registry and 10,000 applications).
fn window_bench() -> Result {
    npm_install()?;
    build_ui()?;
    let cargo = cargo();
    sh(&cargo, &["build", "--release", "--package", "madoguchi-app"])?;
    driving_window(
        &root().join("target/release/madoguchi"),
        &[&cargo, "bench", "--quiet", "--package", "madoguchi-e2e", "--bench", "window"],
        &[],
    )
}

/// schemathesis, pinned, in a virtual environment under target/ (never the system's Python).
const SCHEMATHESIS: &str = "schemathesis==4.32.5";

/// The API keeps its contract: schemathesis runs every check it has against a live server
/// (its OpenAPI document, real HTTPS, a demo officer's token), with a fixed seed so a run is
/// repeatable. Its settings are tests/schemathesis.toml.
fn api_contract() -> Result {
    let venv = root().join("target/schemathesis");
    let st = venv.join("bin/schemathesis");
    if !st.exists() {
        sh("python3", &["-m", "venv", venv.to_str().ok_or("non-UTF-8 path")?])?;
        let pip = venv.join("bin/pip");
        sh(pip.to_str().ok_or("non-UTF-8 path")?, &["install", "--quiet", SCHEMATHESIS])?;
    }
    build_programs()?;
    let dir = root().join("target/contract-central");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // Intake is rate-limited per address; the run comes from one.
    let config = dir.join("server.toml");
    std::fs::write(
        &config,
        "[limits]\naddress_burst = 100000\nprefecture_burst = 100000\nconcurrent_intakes = 64\n",
    )
    .map_err(|e| format!("{}: {e}", config.display()))?;
    let config = config.to_str().ok_or("non-UTF-8 path")?;
    let server = dev_server::DevServer::start_in(&root(), &dir, &["--config", config])?;
    let schema = format!("{}/openapi.json", server.url);
    let ca = server.ca.to_str().ok_or("non-UTF-8 path")?;
    let args = ["run", &schema, "--checks", "all", "--tls-verify", ca];
    let fixed = ["--seed", "20261129", "--no-color"];
    // The token through the environment (tests/schemathesis.toml reads it), not the echo.
    let token = [("MADOGUCHI_CONTRACT_TOKEN", server.token.as_str())];
    let st = st.to_str().ok_or("non-UTF-8 path")?;
    sh_in(&root().join("tests"), st, &[&args[..], &fixed].concat(), &token)
}

fn bench(name: Option<&str>) -> Result {
    if name.is_some_and(|n| n.starts_with("windows")) {
        // Sizes, not timings: the installer and the desk's program as built for Windows.
        return windows::build(windows::Build::Release).map(|_| ());
    }
    if name == Some("window") {
        return window_bench();
    }
    let chosen: Vec<_> =
        BENCHES.iter().filter(|(b, _)| name.is_none_or(|n| b.starts_with(n))).collect();
    if chosen.is_empty() {
        let names: Vec<_> = BENCHES.iter().map(|(b, _)| *b).collect();
        return Err(format!(
            "no benchmark named {:?}; there are: {}",
            name.unwrap_or(""),
            names.join(", ")
        ));
    }
    // Inside a Secret Service of their own, as the tests: a desk keeps its store key there.
    // The national scale runs on PostgreSQL, started as the test command starts it.
    let pg = postgres()?;
    for (bench, package) in chosen {
        with_keychain(
            &[&cargo(), "bench", "--quiet", "--package", package, "--bench", bench],
            &[("MADOGUCHI_TEST_POSTGRES", pg)],
        )?;
    }
    // All of them: the window's too.
    if name.is_none() {
        window_bench()?;
    }
    Ok(())
}
