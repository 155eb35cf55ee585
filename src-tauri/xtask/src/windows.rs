//! Windows, where the officers are: the desk and the server cross-built with mingw-w64
//! (`x86_64-pc-windows-gnu`: Microsoft's SDK cannot be fetched here), their test suites run
//! under Wine, and a per-user NSIS installer of our own script (Tauri's bundler would download
//! its NSIS plugin at build time; these machines are offline).

use std::path::{Path, PathBuf};

use crate::{apt_install, cargo, root, sh, sh_in, Result};

pub const TARGET: &str = "x86_64-pc-windows-gnu";
/// Which build of the programs an installer carries.
#[derive(Clone, Copy, PartialEq)]
pub enum Build {
    /// For the officers: optimised for size (profile `windows-release`).
    Release,
    /// For the test command: the unoptimised tree the Wine suites share (profile `windows`).
    Test,
}

impl Build {
    fn profile(self) -> &'static str {
        match self {
            Build::Release => "windows-release",
            Build::Test => "windows",
        }
    }
}
const PACKAGES: &[&str] = &["gcc-mingw-w64-x86-64", "wine", "wine64", "nsis", "curl"];

/// The suites that run under Wine (the server's on SQLite over TLS and on the PostgreSQL the
/// Linux suites use, reached from Wine over loopback).
const SUITES: &[&str] =
    &["madoguchi-domain", "madoguchi-registry", "madoguchi-core", "madoguchi-server"];

fn utf8(path: &Path) -> Result<&str> {
    path.to_str().ok_or_else(|| format!("non-UTF-8 path {}", path.display()))
}

/// mingw-w64, Wine, NSIS and Rust's Windows target; a Wine prefix of our own under target/.
pub fn setup() -> Result {
    apt_install(PACKAGES)?;
    let targets = std::process::Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("rustup: {e}"))?;
    if !String::from_utf8_lossy(&targets.stdout).lines().any(|t| t.trim() == TARGET) {
        sh("rustup", &["target", "add", TARGET])?;
    }
    wine_prefix()
}

/// The environment Wine runs in: a private prefix, quiet, no Mono or Gecko prompts.
pub fn wine_env() -> Vec<(&'static str, String)> {
    vec![
        ("WINEPREFIX", root().join("target/wine").display().to_string()),
        ("WINEDEBUG", "-all".into()),
        ("WINEDLLOVERRIDES", "mscoree=;mshtml=".into()),
        ("CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER", "wine".into()),
    ]
}

pub(crate) fn with_wine(dir: &Path, program: &str, args: &[&str]) -> Result {
    with_wine_env(dir, program, args, &[])
}

fn with_wine_env(dir: &Path, program: &str, args: &[&str], extra: &[(&str, &str)]) -> Result {
    let env = wine_env();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.extend_from_slice(extra);
    sh_in(dir, program, args, &env)
}

/// Creates the prefix once, with the ProcessPrng that Wine 8 lacks and Rust's std needs.
fn wine_prefix() -> Result {
    let prefix = root().join("target/wine");
    let dll = prefix.join("drive_c/windows/system32/bcryptprimitives.dll");
    if dll.exists() {
        return Ok(());
    }
    with_wine(&root(), "wineboot", &["--init"])?;
    let shim = root().join("src-tauri/xtask/wine");
    let built = root().join("target/wine-bcryptprimitives.dll");
    sh(
        "x86_64-w64-mingw32-gcc",
        &[
            "-shared",
            "-O2",
            "-o",
            utf8(&built)?,
            utf8(&shim.join("bcryptprimitives.c"))?,
            utf8(&shim.join("bcryptprimitives.def"))?,
            "-ladvapi32",
        ],
    )?;
    std::fs::copy(&built, &dll).map_err(|e| format!("{}: {e}", dll.display()))?;
    Ok(())
}

/// Cross-builds the desk and the server and packs the installer; its path. A release build
/// prints the `bench: windows.*` sizes.
pub fn build(kind: Build) -> Result<PathBuf> {
    setup()?;
    crate::build_ui()?;
    let profile = kind.profile();
    let build = ["build", "--target", TARGET, "--profile", profile];
    sh(&cargo(), &[&build[..], &["-p", "madoguchi-app", "-p", "madoguchi-server"]].concat())?;
    let out = root().join("target").join(TARGET).join(profile);
    let loader = find(&out.join("build"), "WebView2Loader.dll")
        .ok_or("WebView2Loader.dll not found in the build (webview2-com-sys)")?;
    let staged = root().join("target/windows-installer").join(profile);
    let _ = std::fs::remove_dir_all(&staged);
    std::fs::create_dir_all(&staged).map_err(|e| format!("{}: {e}", staged.display()))?;
    for (from, name) in [
        (out.join("madoguchi.exe"), "madoguchi.exe"),
        (out.join("madoguchi-server.exe"), "madoguchi-server.exe"),
        (loader, "WebView2Loader.dll"),
    ] {
        std::fs::copy(&from, staged.join(name)).map_err(|e| format!("{}: {e}", from.display()))?;
    }
    let version = env!("CARGO_PKG_VERSION");
    let name = match kind {
        Build::Release => format!("madoguchi-setup-{version}.exe"),
        Build::Test => format!("madoguchi-setup-{version}-test.exe"),
    };
    let installer = root().join("target/windows-installer").join(name);
    let script = root().join("src-tauri/app/windows/installer.nsi");
    sh(
        "makensis",
        &[
            "-V2",
            "-INPUTCHARSET",
            "UTF8",
            &format!("-DSRC={}", utf8(&staged)?),
            &format!("-DOUT={}", utf8(&installer)?),
            &format!("-DVERSION={version}"),
            &format!("-DICON={}", utf8(&root().join("icons/icon.ico"))?),
            utf8(&script)?,
        ],
    )?;
    if kind == Build::Release {
        let mb = |p: &Path| std::fs::metadata(p).map(|m| m.len() as f64 / 1e6).unwrap_or(0.0);
        println!("bench: windows.installer_mb {:.1} MB", mb(&installer));
        println!("bench: windows.desk_exe_mb {:.1} MB", mb(&staged.join("madoguchi.exe")));
    }
    Ok(installer)
}

/// The first file called `name` under `dir` (symbolic links not followed).
fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            if let Some(found) = find(&path, name) {
                return Some(found);
            }
        } else if path.file_name().is_some_and(|n| n == name) {
            return Some(path);
        }
    }
    None
}

/// The Windows suites under Wine, then the installer installed silently into the prefix and
/// the installed server asked for its help.
pub fn test(postgres: &str) -> Result {
    let installer = build(Build::Test)?;
    // One wineserver for the whole phase: left to itself it exits a few seconds after each
    // suite, and the next suite's first connection could meet it going ("recvmsg:
    // Connection reset by peer", twice in one session).
    with_wine(&root(), "wineserver", &["-p"])?;
    let outcome = suites_and_installer(postgres, &installer);
    // Stopped either way (it answers 1 if a suite's end already took it down).
    let _ = with_wine(&root(), "wineserver", &["-k"]);
    outcome
}

fn suites_and_installer(postgres: &str, installer: &Path) -> Result {
    let profile = Build::Test.profile();
    let mut args = vec!["test", "--target", TARGET, "--profile", profile];
    for suite in SUITES {
        args.extend(["-p", suite]);
    }
    with_wine_env(&root(), &cargo(), &args, &[("MADOGUCHI_TEST_POSTGRES", postgres)])?;
    // The closed network as Windows sets it up: the proxy in the registry's Internet
    // Settings, the prefecture's CA in the user's ROOT store.
    let story = ["test", "--target", TARGET, "--profile", profile, "-p", "madoguchi-stories"];
    with_wine(&root(), &cargo(), &[&story[..], &["--test", "closed_network"]].concat())?;
    with_wine(&root(), "wine", &[utf8(installer)?, "/S"])?;
    // %LOCALAPPDATA%\Programs\Madoguchi of the prefix's user.
    let users = root().join("target/wine/drive_c/users");
    let server = std::fs::read_dir(&users)
        .map_err(|e| format!("{}: {e}", users.display()))?
        .flatten()
        .map(|user| user.path().join("AppData/Local/Programs/Madoguchi/madoguchi-server.exe"))
        .find(|server| server.exists())
        .ok_or("the installer installed no server")?;
    for file in ["madoguchi.exe", "WebView2Loader.dll", "uninstall.exe"] {
        let beside = server.with_file_name(file);
        if !beside.exists() {
            return Err(format!("the installer did not install {}", beside.display()));
        }
    }
    with_wine(&root(), "wine", &[utf8(&server)?, "--help"])?;
    crate::windows_service::check(&server)?;
    // Uninstalled (in place, `_?=`, so it runs to the end before Wine returns): the program
    // goes, the officer's data stays.
    let folder = server.parent().ok_or("no install folder")?;
    let user = folder.ancestors().nth(4).and_then(|u| u.file_name()).ok_or("no Wine user")?;
    let user = user.to_str().ok_or("non-UTF-8 user name")?;
    let data = folder.ancestors().nth(2).ok_or("no AppData")?.join("jp.madoguchi.desk");
    std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
    let store = data.join("madoguchi.db");
    std::fs::write(&store, b"the officer's store")
        .map_err(|e| format!("{}: {e}", store.display()))?;
    let in_place = format!("_?=C:\\users\\{user}\\AppData\\Local\\Programs\\Madoguchi");
    with_wine(&root(), "wine", &[utf8(&folder.join("uninstall.exe"))?, "/S", &in_place])?;
    if server.exists() || folder.join("madoguchi.exe").exists() {
        return Err("the uninstaller left the program".into());
    }
    if !store.exists() {
        return Err("the uninstaller removed the officer's data".into());
    }
    Ok(())
}
