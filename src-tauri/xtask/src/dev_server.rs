//! `cargo xtask run`'s local central server: SQLite, a certificate made here that the app is
//! told to trust, a demo officer, and demo applications sent through the intake endpoint.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use madoguchi_domain::{ApplicationForm, InstitutionKind, InsuranceCode};

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

/// A CA and a localhost certificate signed by it, made once per checkout.
fn certificates(dir: &Path) -> Result<(PathBuf, PathBuf, PathBuf)> {
    let (ca, cert, key) = (dir.join("ca.pem"), dir.join("server.pem"), dir.join("server.key"));
    if ca.exists() && cert.exists() && key.exists() {
        return Ok((ca, cert, key));
    }
    let fail = |e: rcgen::Error| format!("certificate: {e}");
    let ca_key = rcgen::KeyPair::generate().map_err(fail)?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.distinguished_name.push(rcgen::DnType::CommonName, "Madoguchi development CA");
    let ca_cert = params.self_signed(&ca_key).map_err(fail)?;
    let server_key = rcgen::KeyPair::generate().map_err(fail)?;
    let leaf = rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
        .map_err(fail)?;
    let server_cert = leaf.signed_by(&server_key, &ca_cert, &ca_key).map_err(fail)?;
    let write =
        |p: &Path, s: String| std::fs::write(p, s).map_err(|e| format!("{}: {e}", p.display()));
    write(&ca, ca_cert.pem())?;
    write(&cert, server_cert.pem())?;
    write(&key, server_key.serialize_pem())?;
    Ok((ca, cert, key))
}

/// A valid code of prefecture 13 for table `table` and institution number `n`.
fn code(table: u8, n: u32) -> String {
    (0..10)
        .map(|c| format!("13{table}01{n:04}{c}"))
        .find(|c| c.parse::<InsuranceCode>().is_ok())
        .expect("a check digit fits")
}

fn demo_forms() -> Vec<ApplicationForm> {
    let rows: [(InstitutionKind, Option<String>, &str, &str, &str); 8] = [
        (
            InstitutionKind::Hospital,
            Some(code(1, 101)),
            "医療法人社団 桜会 さくら中央病院",
            "イリョウホウジンシャダン サクラカイ サクラチュウオウビョウイン",
            "jimu@sakura-hp.example.jp",
        ),
        (
            InstitutionKind::Clinic,
            Some(code(1, 202)),
            "丸の内内科クリニック",
            "マルノウチナイカクリニック",
            "info@marunouchi-naika.example.jp",
        ),
        (
            InstitutionKind::Clinic,
            Some(code(1, 303)),
            "神田こどもクリニック",
            "カンダコドモクリニック",
            "kanda.kodomo@gmial.com",
        ),
        (
            InstitutionKind::DentalClinic,
            Some(code(3, 404)),
            "日本橋デンタルオフィス",
            "ニホンバシデンタルオフィス",
            "desk@nihonbashi-dental.example.jp",
        ),
        (
            InstitutionKind::Pharmacy,
            Some(code(4, 505)),
            "有限会社 ひかり薬局 八重洲店",
            "ユウゲンガイシャ ヒカリヤッキョク ヤエステン",
            "yaesu@hikari-ph.example.jp",
        ),
        (
            InstitutionKind::MaternityHome,
            None,
            "みどり助産院",
            "ミドリジョサンイン",
            "midori.josan@example.jp",
        ),
        (
            InstitutionKind::Hospital,
            Some(code(1, 606)),
            "東京臨海総合病院",
            "トウキョウリンカイソウゴウビョウイン",
            "soumu@rinkai-hp.example.jp",
        ),
        (
            InstitutionKind::Clinic,
            Some(code(1, 707)),
            "髙橋眼科医院",
            "タカハシガンカイイン",
            "takahashi.ganka@example.jp",
        ),
    ];
    rows.into_iter()
        .enumerate()
        .map(|(i, (kind, insurance_code, name, kana, email))| ApplicationForm {
            kind,
            institution_code: format!("13{:05}", 1000 + i),
            insurance_code,
            name: name.into(),
            kana: kana.into(),
            postal_code: "100-0005".into(),
            address: format!("東京都千代田区丸の内{}丁目{}番", 1 + i % 3, 1 + i),
            phone: format!("03-3211-{:04}", 1000 + i),
            department: "事務部".into(),
            department_number: String::new(),
            contact_name: "窓口 花子".into(),
            email: email.into(),
        })
        .collect()
}

impl DevServer {
    pub fn start(root: &Path) -> Result<DevServer> {
        let dir = root.join("target/dev-central");
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let (ca, cert, key) = certificates(&dir)?;
        let binary = root.join("target/debug/madoguchi-server");
        let database = format!("sqlite://{}", dir.join("central.db").display());
        let fresh = !dir.join("central.db").exists();
        let officer = Command::new(&binary)
            .args([
                "--database",
                &database,
                "officer",
                "add",
                "--prefecture",
                "13",
                "--name",
                "デモ担当",
            ])
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        if !officer.status.success() {
            return Err("madoguchi-server officer add failed".into());
        }
        let token = String::from_utf8_lossy(&officer.stdout).trim().to_owned();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let child = Command::new(&binary)
            .args(["--database", &database, "serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--tls-cert")
            .arg(&cert)
            .arg("--tls-key")
            .arg(&key)
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        let url = format!("https://localhost:{port}");
        let server = DevServer { child, url, ca: ca.clone(), token };
        let pem = std::fs::read(&ca).map_err(|e| e.to_string())?;
        let http = reqwest::blocking::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).map_err(|e| e.to_string())?)
            .build()
            .map_err(|e| e.to_string())?;
        let up = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(100));
            http.get(format!("{}/v1/health", server.url))
                .send()
                .is_ok_and(|r| r.status().is_success())
        });
        if !up {
            return Err(format!("the development server at {} did not come up", server.url));
        }
        if fresh {
            for form in demo_forms() {
                let r = http
                    .post(format!("{}/v1/applications", server.url))
                    .json(&form)
                    .send()
                    .map_err(|e| e.to_string())?;
                if !r.status().is_success() {
                    return Err(format!(
                        "demo application refused: {}",
                        r.text().unwrap_or_default()
                    ));
                }
            }
        }
        eprintln!(
            "xtask: central server {} (SQLite {}, demo officer of 13)",
            server.url,
            dir.display()
        );
        Ok(server)
    }
}
