//! The server's Debian package, made offline with dpkg-deb (no packaging tool to install):
//! the binary, the hardened systemd unit, a settings file as a conffile, the alert rules and
//! the README; maintainer scripts that add the `madoguchi` system user and enable (not start:
//! the certificate and settings come first) the service. `cargo xtask deb` packs a release
//! build; the test command packs the debug build it already has and checks the package.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{cargo, output, root, sh, Result};

const CONTROL: &str = "Package: madoguchi-server
Version: {VERSION}
Architecture: amd64
Maintainer: Madoguchi developers <madoguchi@example.invalid>
Depends: libc6 (>= 2.36), libgcc-s1, adduser
Section: net
Priority: optional
Homepage: https://example.invalid/madoguchi
Description: Madoguchi central server for the prefecture help desks
 Plays G-MIS's part for the prefecture desks of the 医療機能情報提供制度 and
 薬局機能情報提供制度: the public application page, intake, officers' decisions,
 login IDs, the notices through the prefecture's mail relay and their bounces,
 and the changes feed the desks sync from. HTTPS only; SQLite or PostgreSQL.
";

const POSTINST: &str = r#"#!/bin/sh
set -e
if [ "$1" = configure ]; then
    mkdir -p /var/lib/madoguchi
    if ! getent passwd madoguchi >/dev/null; then
        adduser --system --group --home /var/lib/madoguchi --no-create-home \
            --gecos "Madoguchi server" madoguchi
    fi
    install -d -o madoguchi -g madoguchi -m 0750 /var/lib/madoguchi
    chgrp madoguchi /etc/madoguchi /etc/madoguchi/server.toml
    chmod 0750 /etc/madoguchi
    chmod 0640 /etc/madoguchi/server.toml
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload
        # Enabled, not started: set the certificate and settings first, then
        # `systemctl start madoguchi-server`.
        systemctl enable madoguchi-server.service >/dev/null || true
    fi
fi
"#;

const PRERM: &str = r#"#!/bin/sh
set -e
if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
    systemctl stop madoguchi-server.service || true
fi
"#;

/// The data in /var/lib/madoguchi is never removed by the package, even on purge.
const POSTRM: &str = r#"#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
fi
"#;

/// Where each packaged file goes, from the workspace root.
const FILES: &[(&str, &str, u32)] = &[
    (
        "src-tauri/server/deploy/madoguchi-server.service",
        "lib/systemd/system/madoguchi-server.service",
        0o644,
    ),
    ("src-tauri/server/deploy/server.toml", "etc/madoguchi/server.toml", 0o640),
    ("src-tauri/server/deploy/alerts.yml", "usr/share/doc/madoguchi-server/alerts.yml", 0o644),
    ("README.md", "usr/share/doc/madoguchi-server/README.md", 0o644),
];

/// Packs `binary` (a built madoguchi-server); the package's path.
pub fn pack(binary: &Path, flavour: &str) -> Result<PathBuf> {
    let version = env!("CARGO_PKG_VERSION");
    let out = root().join("target/deb");
    let stage = out.join(format!("madoguchi-server-{flavour}"));
    let _ = std::fs::remove_dir_all(&stage);
    let put = |to: &str, bytes: &[u8], mode: u32| -> Result {
        let path = stage.join(to);
        std::fs::create_dir_all(path.parent().expect("a folder"))
            .and_then(|()| std::fs::write(&path, bytes))
            .and_then(|()| {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            })
            .map_err(|e| format!("{}: {e}", path.display()))
    };
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    put("usr/bin/madoguchi-server", &read(binary)?, 0o755)?;
    for (from, to, mode) in FILES {
        put(to, &read(&root().join(from))?, *mode)?;
    }
    put("DEBIAN/control", CONTROL.replace("{VERSION}", version).as_bytes(), 0o644)?;
    put("DEBIAN/conffiles", b"/etc/madoguchi/server.toml\n", 0o644)?;
    put("DEBIAN/postinst", POSTINST.as_bytes(), 0o755)?;
    put("DEBIAN/prerm", PRERM.as_bytes(), 0o755)?;
    put("DEBIAN/postrm", POSTRM.as_bytes(), 0o755)?;
    let deb = out.join(format!("madoguchi-server_{version}-{flavour}_amd64.deb"));
    let utf8 = |p: &Path| p.to_str().map(str::to_owned).ok_or("non-UTF-8 path");
    // xz for the operators' package; the test's is read once, so not compressed.
    let compression = if flavour == "test" { "-Znone" } else { "-Zxz" };
    sh("dpkg-deb", &["--root-owner-group", compression, "--build", &utf8(&stage)?, &utf8(&deb)?])?;
    Ok(deb)
}

/// `cargo xtask deb`: the release build, packed.
pub fn release() -> Result<PathBuf> {
    sh(&cargo(), &["build", "--release", "--package", "madoguchi-server"])?;
    let deb = pack(&root().join("target/release/madoguchi-server"), "1")?;
    let mb = std::fs::metadata(&deb).map(|m| m.len() as f64 / 1e6).unwrap_or(0.0);
    println!("bench: deb.package_mb {mb:.1} MB");
    Ok(deb)
}

/// The test command's check of the package made from the debug build: its files, its
/// scripts' syntax, its unit as systemd reads it (no warning allowed), and the packaged
/// binary migrating a database with the packaged settings file.
pub fn test() -> Result {
    let deb = pack(&root().join("target/debug/madoguchi-server"), "test")?;
    let deb = deb.to_str().ok_or("non-UTF-8 path")?;
    let listing = output("dpkg-deb", &["--contents", deb], &[])?;
    for (_, to, _) in FILES.iter().chain(&[("", "usr/bin/madoguchi-server", 0)]) {
        if !listing.contains(&format!("./{to}")) {
            return Err(format!("the package lacks /{to}:\n{listing}"));
        }
    }
    let tree = root().join("target/deb/extracted");
    let _ = std::fs::remove_dir_all(&tree);
    let at = tree.to_str().ok_or("non-UTF-8 path")?;
    sh("dpkg-deb", &["-x", deb, at])?;
    sh("dpkg-deb", &["-e", deb, &format!("{at}/DEBIAN")])?;
    for script in ["postinst", "prerm", "postrm"] {
        sh("sh", &["-n", &format!("{at}/DEBIAN/{script}")])?;
    }
    // The unit as installed, but starting the extracted binary (systemd checks it exists).
    let unit = std::fs::read_to_string(tree.join("lib/systemd/system/madoguchi-server.service"))
        .map_err(|e| format!("the unit: {e}"))?;
    let binary = format!("{at}/usr/bin/madoguchi-server");
    let checked = tree.join("madoguchi-server.service");
    std::fs::write(&checked, unit.replace("/usr/bin/madoguchi-server", &binary))
        .map_err(|e| format!("{}: {e}", checked.display()))?;
    let verify = Command::new("systemd-analyze")
        .args(["verify", checked.to_str().ok_or("non-UTF-8 path")?])
        .output()
        .map_err(|e| format!("systemd-analyze: {e}"))?;
    let said = String::from_utf8_lossy(&verify.stderr).to_string();
    if !verify.status.success() || !said.trim().is_empty() {
        return Err(format!("systemd-analyze verify: {}\n{said}", verify.status));
    }
    // The packaged settings file is one this binary accepts.
    let config = format!("{at}/etc/madoguchi/server.toml");
    let database = format!("sqlite://{at}/central.db");
    let migrated =
        output(&binary, &["--config", &config, "--database", &database, "db", "migrate"], &[])?;
    if !migrated.starts_with("applied\t") {
        return Err(format!("the packaged binary's db migrate said: {migrated}"));
    }
    if crate::is_root() {
        installed(deb)?;
    } else {
        eprintln!("xtask: not root: the package is checked, not installed");
    }
    eprintln!("xtask: {deb}: files, scripts, unit and settings checked");
    Ok(())
}

/// Installs the package (its user, folders and permissions made by postinst), runs the
/// installed binary as that user on the packaged settings, and removes it again (purged,
/// with the database it made).
fn installed(deb: &str) -> Result {
    sh("dpkg", &["-i", deb])?;
    let migrated = output(
        "runuser",
        &[
            "-u",
            "madoguchi",
            "--",
            "/usr/bin/madoguchi-server",
            "--config",
            "/etc/madoguchi/server.toml",
            "db",
            "migrate",
        ],
        &[],
    );
    let mode = std::fs::metadata("/etc/madoguchi/server.toml").map(|m| {
        use std::os::unix::fs::PermissionsExt;
        m.permissions().mode() & 0o777
    });
    sh("dpkg", &["--purge", "madoguchi-server"])?;
    let _ = std::fs::remove_dir_all("/var/lib/madoguchi");
    if !migrated?.starts_with("applied\t") {
        return Err("the installed server did not migrate its database".into());
    }
    match mode {
        Ok(0o640) => Ok(()),
        other => Err(format!(
            "/etc/madoguchi/server.toml should be 0640 (it holds paths to secrets): {other:?}"
        )),
    }
}
