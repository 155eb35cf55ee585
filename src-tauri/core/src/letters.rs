//! 郵送文書: letters for the institutions the window cannot mail (no address known, or its
//! mail bounced) — one A4 page each, the address block where a 窓付き封筒 (長3) shows it
//! (〒・住所・機関名・ご担当者様), the date in 令和, the prefecture's window as letterhead, and
//! the reminder's text — as one PDF with the Japanese font embedded as a subset, so any PC
//! prints it; and the same list as .xlsx for Word's 差込印刷.
//!
//! The font is the PC's own: Windows' Yu Gothic, Meiryo or MS Gothic, or on Linux Noto Sans
//! CJK JP / IPAex Gothic (a path set in 設定 first).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use krilla::geom::Point;
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};
use krilla::Document;
use madoguchi_domain::contact::WindowContact;
use madoguchi_domain::era::wareki;
use madoguchi_domain::reminder::Filled;
use madoguchi_domain::{Code, Coded};
use serde::Serialize;

use crate::export::{write_whole, ExportError};

/// One institution a letter goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressee {
    /// Seven digits, if the registry knows it.
    pub postal_code: Option<String>,
    /// With the prefecture's name.
    pub address: String,
    pub name: String,
    pub insurance_code: Option<String>,
    pub phone: Option<String>,
    /// Why it is written to (the 要連絡 reason).
    pub reason: String,
}

/// Who writes: the prefecture's window, and the date printed.
#[derive(Debug, Clone)]
pub struct Letterhead {
    pub prefecture: String,
    pub contact: WindowContact,
    pub date: NaiveDate,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct LetterReport {
    pub path: String,
    pub letters: usize,
    /// Letters whose 〒 is blank: the registry's list has no postal code for them.
    pub without_postal_code: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum LetterError {
    #[error("no Japanese font found (looked at {0})")]
    NoFont(String),
    #[error("font {0} unusable")]
    Font(String),
    #[error("PDF not made: {0}")]
    Pdf(String),
    #[error("xlsx not made: {0}")]
    Xlsx(String),
    #[error(transparent)]
    Write(#[from] ExportError),
    #[error("no institution chosen")]
    Empty,
}

impl Coded for LetterError {
    fn code(&self) -> Code {
        match self {
            Self::NoFont(_) | Self::Font(_) => Code::LetterFont,
            Self::Pdf(_) | Self::Xlsx(_) => Code::LetterMake,
            Self::Write(e) => e.code(),
            Self::Empty => Code::LetterEmpty,
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::Write(e) => e.message_ja(),
            _ => self.code().message_ja().to_owned(),
        }
    }
}

/// The fonts looked for, in order: the one set in 設定, then the system's Japanese fonts (a
/// TrueType collection's first face is its Japanese one).
fn candidates(configured: Option<&Path>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = configured.map(Path::to_path_buf).into_iter().collect();
    if let Some(windir) = std::env::var_os("WINDIR") {
        let fonts = PathBuf::from(windir).join("Fonts");
        out.extend(["YuGothM.ttc", "meiryo.ttc", "msgothic.ttc"].map(|f| fonts.join(f)));
    }
    out.extend(
        [
            "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
            "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
            "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
        ]
        .map(PathBuf::from),
    );
    out
}

/// The first Japanese font found.
pub fn find_font(configured: Option<&Path>) -> Result<Font, LetterError> {
    let looked = candidates(configured);
    let path = looked.iter().find(|p| p.is_file()).ok_or_else(|| {
        let said: Vec<String> = looked.iter().map(|p| p.display().to_string()).collect();
        LetterError::NoFont(said.join(", "))
    })?;
    let data =
        std::fs::read(path).map_err(|e| LetterError::Font(format!("{}: {e}", path.display())))?;
    Font::new(Arc::new(data).into(), 0).ok_or_else(|| LetterError::Font(path.display().to_string()))
}

const MM: f32 = 72.0 / 25.4;
const A4: (f32, f32) = (210.0 * MM, 297.0 * MM);
/// 長3 窓付き封筒's window: 23 mm from the left, 13 mm from the top, 90 × 45 mm.
const WINDOW: (f32, f32, f32) = (25.0 * MM, 20.0 * MM, 85.0 * MM);
const MARGIN: f32 = 20.0 * MM;

/// Breaks `text` into lines no wider than `width` (in ems: a full-width character is one, a
/// narrow one about half), keeping closing marks off a line's start (禁則).
fn wrap(text: &str, width: f32) -> Vec<String> {
    const NO_START: &str = "、。，．）」』】〕・ー…！？";
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let (mut line, mut used) = (String::new(), 0.0);
        for c in paragraph.chars() {
            let w = ems(c);
            if used + w > width && !line.is_empty() && !NO_START.contains(c) {
                lines.push(std::mem::take(&mut line));
                used = 0.0;
            }
            line.push(c);
            used += w;
        }
        lines.push(line);
    }
    lines
}

fn ems(c: char) -> f32 {
    if c.is_ascii() || ('\u{FF61}'..='\u{FF9F}').contains(&c) {
        0.6
    } else {
        1.0
    }
}

fn width_of(text: &str, size: f32) -> f32 {
    text.chars().map(ems).sum::<f32>() * size
}

/// 1010062 → 101-0062 (blank when the registry has none).
fn postal(code: Option<&str>) -> String {
    let code = code.and_then(|c| c.parse::<madoguchi_domain::PostalCode>().ok());
    code.map(|c| c.display()).unwrap_or_default()
}

/// Writes one letter per addressee, each with its filled text, to `path` (whole or not at all).
pub fn write_letters(
    letters: &[(Addressee, Filled)],
    head: &Letterhead,
    font: &Font,
    path: &Path,
) -> Result<LetterReport, LetterError> {
    if letters.is_empty() {
        return Err(LetterError::Empty);
    }
    let mut doc = Document::new();
    let page_size = PageSettings::from_wh(A4.0, A4.1).expect("A4 is a valid page");
    for (to, filled) in letters {
        let mut page = doc.start_page_with(page_size.clone());
        let mut s = page.surface();
        let mut text = |x: f32, y: f32, size: f32, line: &str| {
            s.draw_text(Point::from_xy(x, y), font.clone(), size, line, false, TextDirection::Auto);
        };
        // The address block, inside the envelope's window.
        let (x, mut y, width) = WINDOW;
        text(x, y, 10.5, &format!("〒{}", postal(to.postal_code.as_deref())));
        for line in wrap(&to.address, width / 10.5).into_iter().take(3) {
            y += 15.0;
            text(x, y, 10.5, &line);
        }
        // The name, and ご担当者様 after it (on a line of its own when the name fills one).
        y += 8.0;
        let mut lines = wrap(to.name.trim(), width / 12.0);
        let last = lines.last_mut().expect("wrap gives a line");
        if width_of(last, 12.0) + width_of("　ご担当者様", 12.0) <= width {
            last.push_str("　ご担当者様");
        } else {
            lines.push("ご担当者様".into());
        }
        for line in lines {
            y += 17.0;
            text(x, y, 12.0, &line);
        }
        // The date and the letterhead, right-aligned.
        let right = A4.0 - MARGIN;
        let mut y = WINDOW.1;
        let date = wareki(head.date);
        for line in [date.as_str(), head.prefecture.as_str(), head.contact.name.trim()] {
            text(right - width_of(line, 10.5), y, 10.5, line);
            y += 15.0;
        }
        // The title (the mail's subject without its 【…】 sender) and the text.
        let title = filled.subject.split_once('】').map_or(filled.subject.as_str(), |(_, t)| t);
        let y = 82.0 * MM;
        text((A4.0 - width_of(title, 14.0)) / 2.0, y, 14.0, title.trim());
        let body_width = (A4.0 - 2.0 * MARGIN) / 10.5;
        for (i, line) in wrap(&filled.body, body_width).iter().enumerate() {
            text(MARGIN, y + 30.0 + i as f32 * 17.0, 10.5, line);
        }
        s.finish();
        page.finish();
    }
    let pdf = doc.finish().map_err(|e| LetterError::Pdf(format!("{e:?}")))?;
    write_whole(&pdf, path)?;
    Ok(LetterReport {
        path: path.display().to_string(),
        letters: letters.len(),
        without_postal_code: letters.iter().filter(|(a, _)| a.postal_code.is_none()).count(),
    })
}

/// The list for 差込印刷: one row per addressee, every cell text (a code keeps its zeros).
pub fn write_mail_merge(
    addressees: &[Addressee],
    path: &Path,
) -> Result<LetterReport, LetterError> {
    use rust_xlsxwriter::{Format, Workbook};
    if addressees.is_empty() {
        return Err(LetterError::Empty);
    }
    let xlsx = |e: rust_xlsxwriter::XlsxError| LetterError::Xlsx(e.to_string());
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("差込印刷").map_err(xlsx)?;
    let bold = Format::new().set_bold();
    let header = ["郵便番号", "住所", "機関名", "宛名", "保険医療機関コード", "電話番号", "理由"];
    for (col, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *h, &bold).map_err(xlsx)?;
    }
    for (i, a) in addressees.iter().enumerate() {
        let row = i as u32 + 1;
        let cells = [
            postal(a.postal_code.as_deref()),
            a.address.clone(),
            a.name.clone(),
            format!("{}　ご担当者様", a.name.trim()),
            a.insurance_code.clone().unwrap_or_default(),
            a.phone.clone().unwrap_or_default(),
            a.reason.clone(),
        ];
        for (col, cell) in cells.iter().enumerate() {
            sheet.write_string(row, col as u16, cell).map_err(xlsx)?;
        }
    }
    for (col, width) in [10.0, 48.0, 36.0, 40.0, 18.0, 15.0, 40.0].iter().enumerate() {
        sheet.set_column_width(col as u16, *width).map_err(xlsx)?;
    }
    let bytes = book.save_to_buffer().map_err(xlsx)?;
    write_whole(&bytes, path)?;
    Ok(LetterReport {
        path: path.display().to_string(),
        letters: addressees.len(),
        without_postal_code: addressees.iter().filter(|a| a.postal_code.is_none()).count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_break_by_width_and_keep_closing_marks_off_the_start() {
        assert_eq!(wrap("あいうえお", 3.0), ["あいう", "えお"]);
        assert_eq!(wrap("あいう。えお", 3.0), ["あいう。", "えお"], "。 stays on its line");
        assert_eq!(wrap("一行目\n二行目", 10.0), ["一行目", "二行目"]);
        assert_eq!(wrap("ABCDEFGHIJ", 3.0).len(), 2, "narrow characters fit more");
        assert_eq!(postal(Some("1010062")), "101-0062");
    }
}
