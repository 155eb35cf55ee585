//! 郵送文書 for 要連絡 entries of 東京都's real list: the PDF reads back (pdftotext) with each
//! institution's 〒, address and name in Japanese, the font embedded as a subset (pdffonts),
//! one A4 page each; the 差込印刷 list holds the same rows; nothing is made without the
//! window's contact.

use std::process::Command;

use chrono::{Days, Utc};
use madoguchi_core::outreach::worklist::{ReasonKind, WorklistFilter};
use madoguchi_core::prefecture::PrefectureDraft;
use madoguchi_core::settings::DeskSettings;
use madoguchi_domain::contact::WindowContact;
use madoguchi_domain::practice::{ReportingWindow, JST};
use madoguchi_domain::reminder::ReminderKind;
use madoguchi_domain::Coded;

mod support;
use support::{import, snapshot};

fn run(program: &str, args: &[&str]) -> String {
    let out =
        Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(out.status.success(), "{program}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn letters_read_back_with_each_name_and_address() {
    let dir = tempfile::tempdir().unwrap();
    let desk = madoguchi_core::Desk::open(&dir.path().join("madoguchi.db"), false).await.unwrap();
    let settings = DeskSettings { prefecture: Some("13".parse().unwrap()), ..Default::default() };
    desk.save_settings(&settings).await.unwrap();
    let csv = snapshot("2025-08.csv");
    let tokyo: Vec<&[u8]> =
        csv.split(|&b| b == b'\n').filter(|l| l.starts_with(b"13")).take(5).collect();
    import(desk.store(), tokyo.join(&b'\n'), "tokyo.csv").await.unwrap();
    let today = Utc::now().with_timezone(&JST).date_naive();
    let window = ReportingWindow::new(today, today + Days::new(60));
    desk.save_prefecture_settings(PrefectureDraft { window, ..Default::default() }).await.unwrap();
    let filter = WorklistFilter { reason: Some(ReasonKind::NotApplied), ..Default::default() };
    let entries = desk.worklist(&filter).await.unwrap().entries;
    assert_eq!(entries.len(), 5);
    let ids: Vec<String> = entries.iter().map(|e| e.id.clone()).collect();
    let pdf = dir.path().join("letters.pdf");

    let err = desk.make_letters(&ids, ReminderKind::ApplyRequest, &pdf).await.unwrap_err();
    assert_eq!(err.code(), "E-LETTER-CONTACT", "the letter names the window: it must be set");
    let contact = WindowContact {
        name: "東京都保健医療局 医療政策部 医療政策課".into(),
        phone: "03-5320-4444".into(),
        hours: "平日 9時〜17時".into(),
        email: String::new(),
    };
    let draft = PrefectureDraft { window, contact: Some(contact), ..Default::default() };
    desk.save_prefecture_settings(draft).await.unwrap();

    let report = desk.make_letters(&ids[..3], ReminderKind::ApplyRequest, &pdf).await.unwrap();
    assert_eq!((report.letters, report.without_postal_code), (3, 0));
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    // Read back with poppler where the suites run on Linux (the Windows suites under Wine
    // make the same file; poppler is not there).
    if !cfg!(windows) {
        read_back_letters(&pdf, &entries[..3], &tokyo);
    }

    let xlsx = dir.path().join("差込印刷.xlsx");
    let report = desk.make_mail_merge(&ids, &xlsx).await.unwrap();
    assert_eq!(report.letters, 5);
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"), "an .xlsx is a zip");
    if !cfg!(windows) {
        read_back_merge(&xlsx, &tokyo);
    }
}

fn read_back_letters(
    pdf: &std::path::Path,
    entries: &[madoguchi_core::outreach::worklist::WorkEntry],
    tokyo: &[&[u8]],
) {
    let info = run("pdfinfo", &[pdf.to_str().unwrap()]);
    let field = |name: &str| {
        let line = info.lines().find(|l| l.starts_with(name)).unwrap_or_default();
        line[name.len()..].trim().to_owned()
    };
    assert_eq!(field("Pages:"), "3", "{info}");
    assert!(field("Page size:").ends_with("(A4)"), "{info}");
    let fonts = run("pdffonts", &[pdf.to_str().unwrap()]);
    let font = fonts.lines().nth(2).expect("one font");
    assert!(font.contains("yes yes yes"), "embedded, subset, with a Unicode map: {fonts}");
    // Each page is the chosen entry's institution, as the real list prints it.
    let lines: Vec<String> =
        tokyo.iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect();
    for (page, entry) in entries[..3].iter().enumerate() {
        let line =
            lines.iter().find(|l| l.split(',').nth(2) == Some(entry.institution_name.as_str()));
        let fields: Vec<&str> = line.expect("a listed institution").trim_end().split(',').collect();
        let n = (page + 1).to_string();
        let text = run("pdftotext", &["-f", &n, "-l", &n, pdf.to_str().unwrap(), "-"]);
        let postal = format!("〒{}-{}", &fields[3][..3], &fields[3][3..]);
        assert!(text.contains(&postal), "page {n}: {postal} in {text}");
        assert!(text.contains(&format!("東京都{}", fields[4])), "page {n}: the address in {text}");
        // The name, then ご担当者様 (on its line, or the next when the name fills it).
        let compact = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        let addressed = format!("{}ご担当者様", compact(fields[2]));
        assert!(compact(&text).contains(&addressed), "page {n}: {addressed} in {text}");
        assert!(text.contains("G-MISアカウントの申請のお願い") && text.contains("令和"), "{text}");
        assert!(text.contains("電話：03-5320-4444（平日 9時〜17時）"), "{text}");
    }

    // The first page as it prints, for a person to look at.
    let artifacts = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/e2e/artifacts");
    std::fs::create_dir_all(artifacts).unwrap();
    let png = format!("{artifacts}/letters_page1");
    run(
        "pdftoppm",
        &["-f", "1", "-l", "1", "-r", "80", "-png", "-singlefile", pdf.to_str().unwrap(), &png],
    );
}

fn read_back_merge(xlsx: &std::path::Path, tokyo: &[&[u8]]) {
    let strings = run("unzip", &["-p", xlsx.to_str().unwrap(), "xl/sharedStrings.xml"]);
    for line in tokyo {
        let line = String::from_utf8_lossy(line);
        let name = line.split(',').nth(2).unwrap();
        assert!(strings.contains(name), "{name} in the 差込印刷 list");
    }
    assert!(strings.contains("郵便番号") && strings.contains("ご担当者様"));
}
