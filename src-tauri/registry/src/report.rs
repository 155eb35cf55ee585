//! 報告状況ファイル: who has reported, as the prefecture downloads it from G-MIS and the desk
//! reads it. A header row names the columns, in any order:
//!
//! | column | also read as | holds |
//! |---|---|---|
//! | 機関コード | — | the G-MIS 機関コード (a 助産所 has only this) |
//! | 保険医療機関コード | 医療機関コード, 保険薬局コード | the 10-digit insurance code |
//! | 制度 | — | 医療機能情報提供制度 / 薬局機能情報提供制度 / かかりつけ医機能報告 (or 医療, 薬局 …) |
//! | 状況 | 報告状況 | 報告済 / 未報告 (提出済, 一時保存 …) |
//! | 報告日 | 報告年月日 | 2027-02-10, 2027/2/10 or 20270210; empty if not reported |
//!
//! At least one of the two codes per row. Shift_JIS or UTF-8, told by content as the registry's
//! lists are. Every bad row is reported by its line; the caller imports nothing if any is bad.

use std::io::{BufReader, Read};

use chrono::NaiveDate;
use madoguchi_domain::practice::Scheme;
use madoguchi_domain::{CodeContext, InsuranceCode};

use crate::source::{decoded_csv, ImportError};

/// What one row says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub line: u64,
    pub insurance_code: Option<InsuranceCode>,
    pub institution_code: Option<String>,
    pub scheme: Scheme,
    pub reported: bool,
    pub reported_on: Option<NaiveDate>,
}

/// A row that cannot be read, with its line and the reason in Japanese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ReportRowError {
    pub line: u64,
    pub message: String,
}

impl ReportRowError {
    pub fn message_ja(&self) -> String {
        format!("{}行目: {}", self.line, self.message)
    }
}

/// The rows of one file and the encoding it was read in.
#[derive(Debug)]
pub struct ReportFile {
    pub encoding: &'static str,
    pub rows: Vec<Result<ReportRow, ReportRowError>>,
}

/// The header's names for each column the desk reads.
const CODE: &[&str] = &["機関コード"];
const INSURANCE: &[&str] = &["保険医療機関コード", "医療機関コード", "保険薬局コード"];
const SCHEME: &[&str] = &["制度"];
const STATUS: &[&str] = &["状況", "報告状況"];
const DATE: &[&str] = &["報告日", "報告年月日"];

/// Reads a whole 報告状況 file (the caller bounds its size).
pub fn read_reports(inner: impl Read) -> Result<ReportFile, ImportError> {
    let (mut reader, encoding) = decoded_csv(BufReader::with_capacity(1 << 16, inner))?;
    let mut header = csv::StringRecord::new();
    let unknown = |why: String| ImportError::UnknownFormat(why);
    if !reader.read_record(&mut header).map_err(|e| unknown(e.to_string()))? {
        return Err(unknown("empty file".into()));
    }
    let names: Vec<String> =
        header.iter().map(|h| h.trim_start_matches('\u{feff}').trim().to_owned()).collect();
    let find = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_str()));
    let (code, insurance) = (find(CODE), find(INSURANCE));
    let (Some(scheme), Some(status), date) = (find(SCHEME), find(STATUS), find(DATE)) else {
        return Err(unknown(format!("報告状況 header {names:?}")));
    };
    if code.is_none() && insurance.is_none() {
        return Err(unknown(format!("報告状況 header without a code column {names:?}")));
    }
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                if let csv::ErrorKind::Io(_) = e.kind() {
                    return Err(ImportError::Io(std::io::Error::other(e.to_string())));
                }
                rows.push(Err(ReportRowError {
                    line,
                    message: format!("CSVとして読めません（{e}）"),
                }));
                continue;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).map(str::trim).unwrap_or("");
        let row = if record.iter().any(|f| f.contains('\u{FFFD}')) {
            Err("文字化けしています（文字コードが壊れています）".to_owned())
        } else {
            row(
                line,
                cell(code),
                cell(insurance),
                cell(Some(scheme)),
                cell(Some(status)),
                cell(date),
            )
        };
        rows.push(row.map_err(|message| ReportRowError { line, message }));
    }
    Ok(ReportFile { encoding: encoding.name(), rows })
}

fn row(
    line: u64,
    code: &str,
    insurance: &str,
    scheme: &str,
    status: &str,
    date: &str,
) -> Result<ReportRow, String> {
    let insurance_code = match insurance {
        "" => None,
        typed => Some(InsuranceCode::parse(typed, CodeContext::default()).map_err(|e| {
            format!(
                "保険医療機関コード「{typed}」が正しくありません（{}）",
                madoguchi_domain::Coded::message_ja(&e)
            )
        })?),
    };
    let institution_code = match code {
        "" => None,
        c if c.chars().all(|ch| ch.is_ascii_alphanumeric()) && c.len() <= 20 => Some(c.to_owned()),
        c => return Err(format!("機関コード「{c}」は半角英数字ではありません")),
    };
    if insurance_code.is_none() && institution_code.is_none() {
        return Err("機関コードも保険医療機関コードも空です".into());
    }
    let scheme = scheme_named(scheme).ok_or_else(|| match scheme {
        "" => "制度が空です".to_owned(),
        s => format!(
            "制度「{s}」が分かりません（医療機能情報・薬局機能情報・かかりつけ医機能報告のどれか）"
        ),
    })?;
    let reported = status_named(status).ok_or_else(|| match status {
        "" => "状況が空です".to_owned(),
        s => format!("状況「{s}」が分かりません（報告済 か 未報告）"),
    })?;
    let reported_on = match date {
        "" => None,
        d => Some(date_named(d).ok_or_else(|| format!("報告日「{d}」が日付として読めません"))?),
    };
    Ok(ReportRow { line, insurance_code, institution_code, scheme, reported, reported_on })
}

/// The scheme a 制度 cell names, in G-MIS's words or short.
fn scheme_named(s: &str) -> Option<Scheme> {
    if s.contains("かかりつけ") {
        Some(Scheme::Kakaritsuke)
    } else if s.contains("薬局") {
        Some(Scheme::Pharmacy)
    } else if ["医療", "病院", "診療所", "助産所"].iter().any(|w| s.contains(w)) {
        Some(Scheme::Medical)
    } else {
        None
    }
}

/// Whether a 状況 cell says reported: G-MIS's 報告済 and the words prefectures use for it.
fn status_named(s: &str) -> Option<bool> {
    match s.trim_end_matches('み') {
        "報告済" | "提出済" | "報告完了" | "完了" | "済" => Some(true),
        "未報告" | "未提出" | "一時保存" | "作成中" | "未" => Some(false),
        _ => None,
    }
}

fn date_named(s: &str) -> Option<NaiveDate> {
    let s = s.split([' ', 'T']).next().unwrap_or(s);
    ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_columns_by_their_names_in_either_encoding() {
        let text = "報告日,制度,保険医療機関コード,状況,機関コード\r\n\
                    2027/2/10,医療機能情報提供制度,1310112342,報告済,\r\n\
                    ,薬局機能情報提供制度,,未報告,A123\r\n\
                    \r\n\
                    2027-02-30,医療,1310112342,報告済,\r\n\
                    ,介護,,未報告,B9\r\n\
                    ,医療,,済み,\r\n";
        for bytes in [text.as_bytes().to_vec(), encoding_rs::SHIFT_JIS.encode(text).0.into_owned()]
        {
            let file = read_reports(&bytes[..]).unwrap();
            let rows: Vec<_> = file.rows.iter().collect();
            assert_eq!(rows.len(), 5, "the blank line is no row");
            let first = rows[0].as_ref().unwrap();
            assert_eq!(first.insurance_code.unwrap().digits(), "1310112342");
            assert_eq!((first.scheme, first.reported), (Scheme::Medical, true));
            assert_eq!(first.reported_on, NaiveDate::from_ymd_opt(2027, 2, 10));
            let second = rows[1].as_ref().unwrap();
            assert_eq!(
                (second.institution_code.as_deref(), second.reported),
                (Some("A123"), false)
            );
            let bad: Vec<String> =
                rows[2..].iter().map(|r| r.as_ref().unwrap_err().message_ja()).collect();
            assert_eq!(bad[0], "5行目: 報告日「2027-02-30」が日付として読めません");
            assert!(bad[1].starts_with("6行目: 制度「介護」"), "{bad:?}");
            assert_eq!(bad[2], "7行目: 機関コードも保険医療機関コードも空です");
        }
    }

    #[test]
    fn a_file_without_the_columns_is_not_a_report_file() {
        assert!(read_reports("機関コード,名称\r\nA1,x\r\n".as_bytes()).is_err());
        assert!(read_reports("制度,状況\r\n医療,報告済\r\n".as_bytes()).is_err());
        assert!(read_reports(&b""[..]).is_err());
    }
}
