//! `madoguchi-server demo`: a server to try the desk against — a certificate authority and a
//! localhost certificate made in a folder (once), an officer of 東京都 whose token is printed,
//! and on an empty database eight 新規ユーザ登録申請 of every kind (one with a mistyped
//! mail domain), entered as the intake enters them. `cargo xtask run` uses it.

use std::path::{Path, PathBuf};

use madoguchi_domain::api::SubmittedBy;
use madoguchi_domain::{ApplicationForm, InstitutionKind, InsuranceCode, Prefecture};

use crate::storage::Storage;

type Error = Box<dyn std::error::Error>;

/// What the demo made, for the desk to be pointed at.
pub struct Demo {
    pub certificates: Certificates,
    pub token: String,
    /// Applications entered now (none when the database already had some).
    pub submitted: usize,
}

/// The demo's prefecture: its forms carry addresses and codes of 東京都.
pub const PREFECTURE: &str = "13";

/// A private CA (PEM) and the files of a localhost certificate it signed.
pub struct Certificates {
    pub ca_path: PathBuf,
    pub ca_pem: String,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
}

/// Makes a CA and a certificate for localhost / 127.0.0.1 signed by it, written to `dir`.
pub fn make_certificates(dir: &Path) -> Result<Certificates, Error> {
    let ca_key = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.distinguished_name.push(rcgen::DnType::CommonName, "Madoguchi private CA");
    let ca_cert = params.self_signed(&ca_key)?;
    let server_key = rcgen::KeyPair::generate()?;
    let leaf = rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])?;
    let server_cert = leaf.signed_by(&server_key, &ca_cert, &ca_key)?;
    let made = Certificates {
        ca_path: dir.join("ca.pem"),
        ca_pem: ca_cert.pem(),
        cert_path: dir.join("server.pem"),
        key_path: dir.join("server.key"),
    };
    std::fs::write(&made.ca_path, &made.ca_pem)?;
    std::fs::write(&made.cert_path, server_cert.pem())?;
    std::fs::write(&made.key_path, server_key.serialize_pem())?;
    Ok(made)
}

/// The certificates of `dir`, made the first time.
fn certificates(dir: &Path) -> Result<Certificates, Error> {
    let ca_path = dir.join("ca.pem");
    match std::fs::read_to_string(&ca_path) {
        Ok(ca_pem) if dir.join("server.pem").exists() && dir.join("server.key").exists() => {
            let (cert_path, key_path) = (dir.join("server.pem"), dir.join("server.key"));
            Ok(Certificates { ca_path, ca_pem, cert_path, key_path })
        }
        _ => make_certificates(dir),
    }
}

/// A valid code of 東京都 for table `table` and institution number `n`.
fn code(table: u8, n: u32) -> String {
    (0..10)
        .map(|c| format!("13{table}01{n:04}{c}"))
        .find(|c| c.parse::<InsuranceCode>().is_ok())
        .expect("a check digit fits")
}

pub fn forms() -> Vec<ApplicationForm> {
    use InstitutionKind::*;
    let rows: [(InstitutionKind, Option<String>, &str, &str, &str); 8] = [
        (
            Hospital,
            Some(code(1, 101)),
            "医療法人社団 桜会 さくら中央病院",
            "イリョウホウジンシャダン サクラカイ サクラチュウオウビョウイン",
            "jimu@sakura-hp.example.jp",
        ),
        (
            Clinic,
            Some(code(1, 202)),
            "丸の内内科クリニック",
            "マルノウチナイカクリニック",
            "info@marunouchi-naika.example.jp",
        ),
        (
            Clinic,
            Some(code(1, 303)),
            "神田こどもクリニック",
            "カンダコドモクリニック",
            "kanda.kodomo@gmial.com",
        ),
        (
            DentalClinic,
            Some(code(3, 404)),
            "日本橋デンタルオフィス",
            "ニホンバシデンタルオフィス",
            "desk@nihonbashi-dental.example.jp",
        ),
        (
            Pharmacy,
            Some(code(4, 505)),
            "有限会社 ひかり薬局 八重洲店",
            "ユウゲンガイシャ ヒカリヤッキョク ヤエステン",
            "yaesu@hikari-ph.example.jp",
        ),
        (MaternityHome, None, "みどり助産院", "ミドリジョサンイン", "midori.josan@example.jp"),
        (
            Hospital,
            Some(code(1, 606)),
            "東京臨海総合病院",
            "トウキョウリンカイソウゴウビョウイン",
            "soumu@rinkai-hp.example.jp",
        ),
        (
            Clinic,
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
            building: String::new(),
            phone: format!("03-3211-{:04}", 1000 + i),
            department: "事務部".into(),
            department_number: String::new(),
            contact_name: "窓口 花子".into(),
            email: email.into(),
        })
        .collect()
}

/// Makes the certificates in `dir`, an officer of 東京都, and (on an empty database) the
/// demo applications, validated as the intake validates them.
pub async fn prepare(storage: &dyn Storage, dir: &Path, token: String) -> Result<Demo, Error> {
    std::fs::create_dir_all(dir)?;
    let certificates = certificates(dir)?;
    let prefecture: Prefecture = PREFECTURE.parse()?;
    let expires = crate::http::token_expiry(crate::http::TOKEN_DAYS);
    storage
        .create_officer(prefecture, "デモ担当", &crate::http::token_hash(&token), &expires)
        .await?;
    let mut submitted = 0;
    if storage.changes(prefecture, 0, 1).await?.changes.is_empty() {
        for form in forms() {
            let valid = form.validate().map_err(|e| format!("demo form refused: {e:?}"))?;
            let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            storage.submit(&form, &valid, SubmittedBy::Institution, &now).await?;
            submitted += 1;
        }
    }
    Ok(Demo { certificates, token, submitted })
}
