//! `madoguchi-server demo`: a server to try the desk against — a certificate authority and a
//! localhost certificate made in a folder (once), an officer of 東京都 whose token is printed,
//! and on an empty database a sample registry (千代田区's public code list) and nine
//! 新規ユーザ登録申請 of every kind, entered as the intake enters them. `cargo xtask run` uses it.

use std::path::{Path, PathBuf};

use madoguchi_domain::api::SubmittedBy;
use madoguchi_domain::{ApplicationForm, InstitutionKind, InsuranceCode, Prefecture, ValidForm};

use crate::storage::{AddressCheck, Storage};

type Error = Box<dyn std::error::Error>;

/// What the demo made, for the desk to be pointed at.
pub struct Demo {
    pub certificates: Certificates,
    pub token: String,
    /// Applications entered now (none when the database already had some).
    pub submitted: usize,
    /// Rows of the sample registry imported now (none but on the first run).
    pub registry_rows: usize,
    /// The sample registry as a file in the demo's folder, for a desk to import.
    pub registry_path: PathBuf,
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
    write_private(&made.key_path, server_key.serialize_pem().as_bytes())?;
    Ok(made)
}

/// A private key: readable by its owner only (on Windows, the user profile's folder ACL).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

/// The certificates of `dir`, made the first time.
fn certificates(dir: &Path) -> Result<Certificates, Error> {
    let ca_path = dir.join("ca.pem");
    match std::fs::read_to_string(&ca_path) {
        Ok(ca_pem) if dir.join("server.pem").exists() && dir.join("server.key").exists() => {
            let (cert_path, key_path) = (dir.join("server.pem"), dir.join("server.key"));
            // A key an earlier version wrote readable by all is closed now.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600))?;
            }
            Ok(Certificates { ca_path, ca_pem, cert_path, key_path })
        }
        _ => make_certificates(dir),
    }
}

/// A valid code of 東京都 for table `table` and institution number `n`: for the demo's
/// institutions that the sample registry does not list.
fn code(table: u8, n: u32) -> String {
    (0..10)
        .map(|c| format!("13{table}01{n:04}{c}"))
        .find(|c| c.parse::<InsuranceCode>().is_ok())
        .expect("a check digit fits")
}

/// 東京都千代田区's rows of the 地方厚生局's コード内容別医療機関一覧表 (医科), August 2025:
/// a public list, shipped so that a first run has a registry to search (demo/README.md).
const SAMPLE_REGISTRY: &[u8] = include_bytes!("../demo/registry-13-chiyoda-2025-08.csv");
const SAMPLE_REGISTRY_NAME: &str = "registry-13-chiyoda-2025-08.csv";

/// The sample registry's rows, read by the importer the desks use.
pub fn sample_registry() -> Result<Vec<madoguchi_registry::InstitutionRecord>, Error> {
    let records = madoguchi_registry::Records::open(SAMPLE_REGISTRY, SAMPLE_REGISTRY_NAME)?;
    Ok(records.collect::<Result<Vec<_>, _>>()?)
}

/// One demo application: what the institution typed, in the order of the form.
struct Typed {
    kind: InstitutionKind,
    insurance_code: Option<String>,
    name: &'static str,
    kana: &'static str,
    postal_code: &'static str,
    address: &'static str,
    email: &'static str,
}

/// The demo's applications. Four are of institutions the sample registry lists, as they
/// typed them (渡辺 for the list's 渡邊, one with a mistyped mail domain); one gives the code
/// of a listed clinic under another name; one hospital's code is not listed (opened after the
/// list); the dental clinic, the pharmacy and the 助産所 are of lists the sample lacks. All but
/// the 助産所's confirmed their address (疎通確認).
pub fn forms() -> Vec<ApplicationForm> {
    use InstitutionKind::*;
    let listed = |seven: &str| Some(format!("131{seven}"));
    let typed = [
        Typed {
            kind: Hospital,
            insurance_code: listed("0110049"),
            name: "医療法人財団 小畑会 浜田病院",
            kana: "イリョウホウジンザイダン オバタカイ ハマダビョウイン",
            postal_code: "101-0062",
            address: "東京都千代田区神田駿河台二丁目５番地",
            email: "jimu@hamada-hp.example.jp",
        },
        Typed {
            kind: Clinic,
            insurance_code: listed("0125799"),
            name: "有楽町電気ビルクリニック",
            kana: "ユウラクチョウデンキビルクリニック",
            postal_code: "100-0006",
            address: "東京都千代田区有楽町一丁目７番１号",
            email: "info@yurakucho-denki-cl.example.jp",
        },
        Typed {
            kind: Clinic,
            insurance_code: listed("0127175"),
            name: "広川眼科",
            kana: "ヒロカワガンカ",
            postal_code: "101-0044",
            address: "東京都千代田区鍛冶町二丁目２番９号",
            email: "hirokawa.ganka@gmial.com",
        },
        Typed {
            kind: Clinic,
            insurance_code: listed("0132639"),
            name: "医療法人社団 渡辺内科",
            kana: "イリョウホウジンシャダン ワタナベナイカ",
            postal_code: "100-0004",
            address: "東京都千代田区大手町一丁目７番２号",
            email: "uketsuke@watanabe-naika.example.jp",
        },
        Typed {
            kind: Clinic,
            insurance_code: listed("0128140"),
            name: "淡路町ファミリークリニック",
            kana: "アワジチョウファミリークリニック",
            postal_code: "101-0063",
            address: "東京都千代田区神田淡路町一丁目９番地１",
            email: "awajicho-fc@example.jp",
        },
        Typed {
            kind: Hospital,
            insurance_code: Some(code(1, 606)),
            name: "東京臨海総合病院",
            kana: "トウキョウリンカイソウゴウビョウイン",
            postal_code: "100-0005",
            address: "東京都千代田区丸の内一丁目６番",
            email: "soumu@rinkai-hp.example.jp",
        },
        Typed {
            kind: DentalClinic,
            insurance_code: Some(code(3, 404)),
            name: "日本橋デンタルオフィス",
            kana: "ニホンバシデンタルオフィス",
            postal_code: "103-0027",
            address: "東京都中央区日本橋二丁目４番",
            email: "desk@nihonbashi-dental.example.jp",
        },
        Typed {
            kind: Pharmacy,
            insurance_code: Some(code(4, 505)),
            name: "有限会社 ひかり薬局 八重洲店",
            kana: "ユウゲンガイシャ ヒカリヤッキョク ヤエステン",
            postal_code: "104-0028",
            address: "東京都中央区八重洲二丁目５番",
            email: "yaesu@hikari-ph.example.jp",
        },
        Typed {
            kind: MaternityHome,
            insurance_code: None,
            name: "みどり助産院",
            kana: "ミドリジョサンイン",
            postal_code: "102-0083",
            address: "東京都千代田区麹町四丁目８番",
            email: "midori.josan@example.jp",
        },
    ];
    typed
        .into_iter()
        .enumerate()
        .map(|(i, t)| ApplicationForm {
            kind: t.kind,
            institution_code: format!("13{:05}", 1000 + i),
            insurance_code: t.insurance_code,
            name: t.name.into(),
            kana: t.kana.into(),
            postal_code: t.postal_code.into(),
            address: t.address.into(),
            building: String::new(),
            phone: format!("03-3211-{:04}", 1000 + i),
            department: "事務部".into(),
            department_number: String::new(),
            contact_name: "窓口 花子".into(),
            email: t.email.into(),
        })
        .collect()
}

/// Enters a demo application as the public page does — unconfirmed, then its 疎通確認 link
/// opened — except the 助産所's, entered by the prefecture for it (代理申請, so unverified).
async fn enter(
    storage: &dyn Storage,
    form: &ApplicationForm,
    valid: &ValidForm,
) -> Result<(), Error> {
    let now = crate::clock::now();
    if form.kind == InstitutionKind::MaternityHome {
        storage.submit(form, valid, SubmittedBy::Prefecture, &now).await?;
        return Ok(());
    }
    let check = AddressCheck::new("https://localhost");
    let held = storage.submit_unconfirmed(form, valid, &check, None, &now).await?;
    if !matches!(held, crate::storage::Held::Held(_)) {
        return Err(format!("demo form not held: {held:?}").into());
    }
    storage.confirm_address(&check.token_hash, &now).await?;
    Ok(())
}

/// The demo's officer: its name marks a database the demo made.
const DEMO_OFFICER: &str = "デモ担当";

/// The demo adds a year-long officer: only to a database it made (its officer is there) or
/// an empty one — never to a prefecture's real one it was pointed at by mistake.
async fn refuse_a_real_database(storage: &dyn Storage) -> Result<(), Error> {
    let officers = storage.officers(None).await?;
    let ours = officers.iter().any(|o| o.name == DEMO_OFFICER);
    let empty =
        officers.is_empty() && storage.changes(PREFECTURE.parse()?, 0, 1).await?.changes.is_empty();
    if ours || empty {
        return Ok(());
    }
    Err("このデータベースはデモが作ったものではありません（デモ以外の担当者がいます）。デモは空のデータベースか、デモが作ったものにだけ使えます".into())
}

/// Makes the certificates in `dir`, an officer of 東京都, and (on an empty database) the
/// demo applications, validated as the intake validates them.
pub async fn prepare(storage: &dyn Storage, dir: &Path, token: String) -> Result<Demo, Error> {
    refuse_a_real_database(storage).await?;
    std::fs::create_dir_all(dir)?;
    let certificates = certificates(dir)?;
    let registry_path = dir.join(SAMPLE_REGISTRY_NAME);
    std::fs::write(&registry_path, SAMPLE_REGISTRY)?;
    let prefecture: Prefecture = PREFECTURE.parse()?;
    let expires = crate::tokens::token_expiry(crate::tokens::TOKEN_DAYS);
    storage
        .create_officer(prefecture, DEMO_OFFICER, &crate::tokens::token_hash(&token), &expires)
        .await?;
    let (mut submitted, mut registry_rows) = (0, 0);
    if storage.changes(prefecture, 0, 1).await?.changes.is_empty() {
        for form in forms() {
            let valid = form.validate().map_err(|e| format!("demo form refused: {e:?}"))?;
            enter(storage, &form, &valid).await?;
            submitted += 1;
        }
        let sample = sample_registry()?;
        storage.import_registry(&sample).await?;
        registry_rows = sample.len();
    }
    Ok(Demo { certificates, token, submitted, registry_rows, registry_path })
}
