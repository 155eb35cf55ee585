//! CSV出力: tables the officer takes to Excel — UTF-8 with a BOM (so Excel reads it as UTF-8)
//! or Shift_JIS on request, cells that Excel would run as formulas defused, and the file
//! written whole or not at all.

use madoguchi_domain::Code;
use std::io::Write;
use std::path::Path;

use madoguchi_domain::Coded;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum CsvEncoding {
    /// UTF-8 with BOM: every character survives.
    #[default]
    Utf8Bom,
    /// For older Excel and tools that only take Shift_JIS; characters it lacks become 〓.
    ShiftJis,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
}

impl Coded for ExportError {
    fn code(&self) -> Code {
        Code::ExportWrite
    }
    fn message_ja(&self) -> String {
        let Self::Write { path, .. } = self;
        format!("「{path}」に保存できませんでした。ファイルが Excel などで開かれていないか、保存先の権限を確認してください。")
    }
}

/// What was written, for the officer's confirmation line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ExportReport {
    pub path: String,
    pub rows: usize,
    /// Characters Shift_JIS could not hold, written as 〓.
    pub replaced: usize,
}

/// A table to export: a header and rows of text cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

/// A cell Excel would evaluate (=, +, -, @, tab, CR at the start) is prefixed with ' so it
/// stays text: an institution's name must never become a formula on the officer's PC.
fn defuse(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// The table as CSV text (CRLF line ends, as Excel writes them).
fn to_csv(table: &Table) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    w.write_record(&table.header).expect("writes to memory");
    for row in &table.rows {
        w.write_record(row.iter().map(|c| defuse(c).into_owned())).expect("writes to memory");
    }
    String::from_utf8(w.into_inner().expect("writes to memory")).expect("CSV of strings is UTF-8")
}

/// Encodes `text`; for Shift_JIS, counts what had to become 〓.
pub fn encode(text: &str, encoding: CsvEncoding) -> (Vec<u8>, usize) {
    match encoding {
        CsvEncoding::Utf8Bom => ([&b"\xEF\xBB\xBF"[..], text.as_bytes()].concat(), 0),
        CsvEncoding::ShiftJis => {
            let mut encoder = encoding_rs::SHIFT_JIS.new_encoder();
            let mut out = Vec::with_capacity(text.len() + 16);
            let mut rest = text;
            let mut replaced = 0;
            loop {
                out.reserve(
                    encoder
                        .max_buffer_length_from_utf8_without_replacement(rest.len())
                        .unwrap_or(rest.len() * 2)
                        + 2,
                );
                let (result, read) =
                    encoder.encode_from_utf8_to_vec_without_replacement(rest, &mut out, true);
                rest = &rest[read..];
                match result {
                    encoding_rs::EncoderResult::InputEmpty => return (out, replaced),
                    encoding_rs::EncoderResult::OutputFull => {}
                    encoding_rs::EncoderResult::Unmappable(_) => {
                        out.extend_from_slice(&[0x81, 0xAC]); // 〓
                        replaced += 1;
                    }
                }
            }
        }
    }
}

/// Writes `table` to `path`: to a temporary file beside it first, renamed when complete, so
/// an old export is never left half overwritten.
pub fn write(
    table: &Table,
    encoding: CsvEncoding,
    path: &Path,
) -> Result<ExportReport, ExportError> {
    let (bytes, replaced) = encode(&to_csv(table), encoding);
    write_whole(&bytes, path)?;
    Ok(ExportReport { path: path.display().to_string(), rows: table.rows.len(), replaced })
}

/// Writes `bytes` to `path` whole or not at all: a temporary file beside it, renamed when
/// complete.
pub(crate) fn write_whole(bytes: &[u8], path: &Path) -> Result<(), ExportError> {
    let err = |source| ExportError::Write { path: path.display().to_string(), source };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut part = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    part.write_all(bytes).and_then(|_| part.as_file().sync_all()).map_err(err)?;
    part.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            header: vec!["名称", "メモ"],
            rows: vec![
                vec!["医療法人　髙島屋クリニック🏥".into(), "=HYPERLINK(\"http://x\")".into()],
                vec!["カンマ,と\"引用\"".into(), "改行\nあり".into()],
            ],
        }
    }

    #[test]
    fn utf8_has_a_bom_and_reads_back_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.csv");
        let report = write(&table(), CsvEncoding::Utf8Bom, &path).unwrap();
        assert_eq!((report.rows, report.replaced), (2, 0));
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
        let mut r = csv::Reader::from_reader(&bytes[3..]);
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(&rows[0][0], "医療法人　髙島屋クリニック🏥");
        assert_eq!(&rows[0][1], "'=HYPERLINK(\"http://x\")", "a formula stays text");
        assert_eq!(&rows[1][0], "カンマ,と\"引用\"");
        assert_eq!(&rows[1][1], "改行\nあり");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
    }

    #[test]
    fn shift_jis_round_trips_and_counts_what_it_cannot_hold() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue-sjis.csv");
        let report = write(&table(), CsvEncoding::ShiftJis, &path).unwrap();
        // 髙 (IBM extension) is in Windows' Shift_JIS; the emoji is not.
        assert_eq!(report.replaced, 1);
        let bytes = std::fs::read(&path).unwrap();
        let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
        assert!(!bad);
        assert!(text.starts_with("名称,メモ\r\n医療法人　髙島屋クリニック〓,"), "{text}");
    }

    #[test]
    fn an_unwritable_place_is_a_coded_error_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let err = write(&table(), CsvEncoding::Utf8Bom, &dir.path().join("no/such/dir/q.csv"))
            .unwrap_err();
        assert_eq!(err.code(), "E-EXPORT-WRITE");
        assert!(err.message_ja().contains("保存できませんでした"));
    }
}
