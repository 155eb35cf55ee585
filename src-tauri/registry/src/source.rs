//! 取り込み元ファイル: the regional health bureaus' code list and the ナビイ open-data facility
//! files, read as a stream of records with bad rows reported by line.
//!
//! Encoding is told by content: a BOM or valid UTF-8 is UTF-8, anything else is Shift_JIS
//! (Excel's CSV export on a Japanese Windows). Files are never loaded whole.

use madoguchi_domain::Code;
use std::cell::Cell;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;

use encoding_rs::{Encoding, SHIFT_JIS, UTF_8};
use encoding_rs_io::{DecodeReaderBytes, DecodeReaderBytesBuilder};
use madoguchi_domain::{
    CodeContext, CodeError, Coded, InstitutionKind, InsuranceCode, PostalCode, Prefecture,
    ScoreTable,
};
use serde::Serialize;

/// Which list a record came from; keys are unique within a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// 地方厚生局 コード内容別医療機関一覧表: keyed by the 10-digit insurance code.
    CodeList,
    /// 医療情報ネット（ナビイ）オープンデータ: keyed by the facility ID.
    Navii,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CodeList => "code_list",
            Self::Navii => "navii",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::CodeList, Self::Navii].into_iter().find(|x| x.as_str() == s)
    }
}

/// One institution as a list prints it (display text unfolded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstitutionRecord {
    pub source: Source,
    /// Unique within the source: the 10-digit code, or the ナビイ ID.
    pub key: String,
    pub insurance_code: Option<InsuranceCode>,
    pub kind: Option<InstitutionKind>,
    pub name: String,
    pub kana: Option<String>,
    pub prefecture: Prefecture,
    pub municipality_code: Option<String>,
    pub postal_code: Option<PostalCode>,
    /// Without the prefecture, as the lists print it.
    pub address: String,
    /// Line in the file, for reports.
    pub line: u64,
}

/// A row that was skipped, with the file line to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct RowError {
    pub line: u64,
    pub problem: RowProblem,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RowProblem {
    #[error("{found} columns, expected {expected}")]
    ColumnCount { found: usize, expected: usize },
    #[error("undecodable bytes (broken encoding)")]
    Encoding,
    #[error("invalid insurance code {value:?}: {reason}")]
    Code { value: String, reason: String },
    #[error("invalid postal code {value:?}")]
    Postal { value: String },
    #[error("invalid prefecture {value:?}")]
    Prefecture { value: String },
    #[error("empty {field}")]
    Empty { field: &'static str },
    #[error("{field} of {length} characters (at most {max})")]
    TooLong { field: &'static str, length: usize, max: usize },
    #[error("unreadable row: {message}")]
    Csv { message: String },
}

impl RowError {
    /// The reason in Japanese, for the import report the officer reads.
    pub fn message_ja(&self) -> String {
        let what = match &self.problem {
            RowProblem::ColumnCount { found, expected } => {
                format!("列の数が{found}です（{expected}列のはずです）")
            }
            RowProblem::Encoding => "文字化けしています（文字コードが壊れています）".into(),
            RowProblem::Code { value, reason } => {
                format!("保険医療機関コード「{value}」が正しくありません（{reason}）")
            }
            RowProblem::Postal { value } => format!("郵便番号「{value}」が7桁ではありません"),
            RowProblem::Prefecture { value } => format!("都道府県コード「{value}」がありません"),
            RowProblem::Empty { field } => format!("{field}が空です"),
            RowProblem::TooLong { field, length, max } => {
                format!("{field}が長すぎます（{length}文字。{max}文字までです）")
            }
            RowProblem::Csv { message } => format!("CSVとして読めません（{message}）"),
        };
        format!("{}行目: {what}", self.line)
    }
}

/// A file that cannot be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("unrecognised file: {0}")]
    UnknownFormat(String),
    /// A 医療情報ネット file whose kind neither its name nor its header tells (renamed after
    /// download): the officer is told how to name it.
    #[error("a ナビイ file whose kind is not told by its name {0:?} or its header")]
    NaviiKind(String),
    #[error("no valid row in the file")]
    NoValidRows,
}

impl Coded for ImportError {
    fn code(&self) -> Code {
        match self {
            Self::Io(_) => Code::ImportRead,
            Self::UnknownFormat(_) => Code::ImportFormat,
            Self::NaviiKind(_) => Code::ImportNaviiKind,
            Self::NoValidRows => Code::ImportEmpty,
        }
    }
}

/// Words in a ナビイ file's name and the kind each names: the downloaded names
/// (`01-1_hospital_…`, `03-1_dental_…`) and what an officer leaves when renaming one (歯科
/// before 診療所, dental before clinic: a 歯科診療所's file names both).
const KIND_WORDS: &[(&str, InstitutionKind)] = &[
    ("hospital", InstitutionKind::Hospital),
    ("dental", InstitutionKind::DentalClinic),
    ("clinic", InstitutionKind::Clinic),
    ("maternity", InstitutionKind::MaternityHome),
    ("pharmacy", InstitutionKind::Pharmacy),
    ("病院", InstitutionKind::Hospital),
    ("歯科", InstitutionKind::DentalClinic),
    ("診療所", InstitutionKind::Clinic),
    ("助産", InstitutionKind::MaternityHome),
    ("薬局", InstitutionKind::Pharmacy),
];

/// The kind a ナビイ file lists: by its header where the header tells, else by a word in its
/// name (the name is a hint an officer may have changed; the header is the file's own).
fn navii_kind(base: &str, header: &csv::StringRecord) -> Option<InstitutionKind> {
    let lower = base.to_lowercase();
    kind_by_header(header)
        .or_else(|| KIND_WORDS.iter().find(|(word, _)| lower.contains(word)).map(|(_, k)| *k))
}

/// Beds only a hospital may have (医療法: 精神・結核・感染症病床); a clinic's file lists
/// 一般・療養 beds and their total.
const HOSPITAL_BEDS: [&str; 3] = ["精神病床", "結核病床", "感染症病床"];
const ANY_BEDS: [&str; 2] = ["一般病床", "合計病床数"];
/// The facility header's columns up to 「その他の休診日」: ID … 案内用ホームページアドレス (13),
/// the closing days by weekday (7) and by week (35), holidays and others (2). A 歯科診療所's
/// file ends there; a 助産所's goes on with its working and reception hours.
const FACILITY_COLUMNS: usize = 57;

/// The kind the header of a downloaded ナビイ file tells: the pharmacy file heads its names
/// 名称 (the others 正式名称); a hospital's lists 精神・結核・感染症病床, a clinic's only
/// 一般・療養; of the files without beds, the 歯科診療所's ends with the closing days and the
/// 助産所's goes on with its hours. None for a header cut short (only the name can tell).
fn kind_by_header(header: &csv::StringRecord) -> Option<InstitutionKind> {
    let names: Vec<&str> = header.iter().map(|h| h.trim().trim_start_matches('\u{feff}')).collect();
    let has = |name: &str| names.contains(&name);
    if has("名称") && !has("正式名称") {
        return Some(InstitutionKind::Pharmacy);
    }
    if HOSPITAL_BEDS.iter().any(|b| has(b)) {
        return Some(InstitutionKind::Hospital);
    }
    if ANY_BEDS.iter().any(|b| has(b)) {
        return Some(InstitutionKind::Clinic);
    }
    // Only a header whole to its closing days says what it lacks.
    if !has("正式名称") || !has("祝日に休診") {
        return None;
    }
    match names.len() > FACILITY_COLUMNS {
        true => Some(InstitutionKind::MaternityHome),
        false => Some(InstitutionKind::DentalClinic),
    }
}

/// Column positions in a ナビイ header, found by name (the pharmacy file says 名称/フリガナ).
#[derive(Debug, Clone, Copy)]
struct NaviiColumns {
    id: usize,
    name: usize,
    kana: Option<usize>,
    prefecture: usize,
    municipality: Option<usize>,
    address: usize,
    width: usize,
}

impl NaviiColumns {
    fn from_header(header: &csv::StringRecord) -> Option<Self> {
        let find = |names: &[&str]| {
            header.iter().position(|h| names.contains(&h.trim().trim_start_matches('\u{feff}')))
        };
        Some(Self {
            id: find(&["ID"])?,
            name: find(&["正式名称", "名称"])?,
            kana: find(&["正式名称（フリガナ）", "フリガナ", "名称（フリガナ）"]),
            prefecture: find(&["都道府県コード"])?,
            municipality: find(&["市区町村コード"]),
            address: find(&["所在地"])?,
            width: header.len(),
        })
    }
}

#[derive(Debug, Clone, Copy)]
enum Format {
    CodeList,
    Navii { kind: InstitutionKind, columns: NaviiColumns },
}

/// Counts the bytes taken from the underlying file, for progress bars.
struct Counting<R> {
    inner: R,
    read: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

/// Tells the encoding from the first bytes: a BOM, or text that is mostly valid UTF-8, is
/// UTF-8 (a few broken bytes are bad rows, not another encoding); anything else is Shift_JIS.
pub fn encoding_of(head: &[u8]) -> &'static Encoding {
    if head.starts_with(b"\xEF\xBB\xBF") {
        return UTF_8;
    }
    let (mut valid_multibyte, mut invalid) = (0usize, 0usize);
    let mut rest = head;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                valid_multibyte += s.chars().filter(|c| !c.is_ascii()).count();
                break;
            }
            Err(e) => {
                let (good, after) = rest.split_at(e.valid_up_to());
                valid_multibyte += std::str::from_utf8(good)
                    .map_or(0, |s| s.chars().filter(|c| !c.is_ascii()).count());
                // A character cut off at the end of the sample is not an error.
                let Some(len) = e.error_len() else { break };
                invalid += 1;
                rest = &after[len..];
            }
        }
    }
    // Shift_JIS read as UTF-8 is almost all errors; UTF-8 with a damaged row is almost none.
    if invalid == 0 || valid_multibyte > invalid * 2 {
        UTF_8
    } else {
        SHIFT_JIS
    }
}

type Decoded<R> = DecodeReaderBytes<BufReader<Counting<R>>, Vec<u8>>;

pub(crate) type DecodedCsv<B> = csv::Reader<DecodeReaderBytes<B, Vec<u8>>>;

/// A CSV reader over `buffered` decoded from the encoding its first bytes tell, every row
/// read (headers too), fields trimmed, rows of any length.
pub(crate) fn decoded_csv<B: BufRead>(
    mut buffered: B,
) -> std::io::Result<(DecodedCsv<B>, &'static Encoding)> {
    let encoding = encoding_of(buffered.fill_buf()?);
    let decoded = DecodeReaderBytesBuilder::new().encoding(Some(encoding)).build(buffered);
    // Records end at LF: with CRLF as one terminator the csv crate counts a record's line
    // from its predecessor's CR, one short; the CR left on the last field is trimmed.
    let reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .trim(csv::Trim::All)
        .from_reader(decoded);
    Ok((reader, encoding))
}

/// The records of one file, in order; bad rows come as `Err` and reading goes on.
pub struct Records<R: Read> {
    reader: csv::Reader<Decoded<R>>,
    format: Format,
    /// The code list has no header: its first row, read to tell the format, is data.
    pending: Option<csv::StringRecord>,
    record: csv::StringRecord,
    read: Rc<Cell<u64>>,
    encoding: &'static Encoding,
    /// A read failure ends the records; the importer must not take a cut file as complete.
    failure: Option<std::io::Error>,
}

impl<R: Read> std::fmt::Debug for Records<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records")
            .field("format", &self.format)
            .field("encoding", &self.encoding.name())
            .finish()
    }
}

impl<R: Read> Records<R> {
    /// Opens a list; `file_name` tells the ナビイ files apart (their kind is in the name).
    pub fn open(inner: R, file_name: &str) -> Result<Self, ImportError> {
        let read = Rc::new(Cell::new(0));
        let buffered = BufReader::with_capacity(1 << 16, Counting { inner, read: read.clone() });
        let (mut reader, encoding) = decoded_csv(buffered)?;
        let mut first = csv::StringRecord::new();
        let unknown = |why: String| ImportError::UnknownFormat(why);
        if !reader.read_record(&mut first).map_err(|e| unknown(e.to_string()))? {
            return Err(unknown("empty file".into()));
        }
        let (format, pending) =
            if first.get(0).map(|h| h.trim_start_matches('\u{feff}').trim()) == Some("ID") {
                let base = std::path::Path::new(file_name)
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or(file_name);
                let kind = navii_kind(base, &first)
                    .ok_or_else(|| ImportError::NaviiKind(base.to_owned()))?;
                let columns = NaviiColumns::from_header(&first).ok_or_else(|| {
                    unknown("ナビイ header lacks ID/名称/都道府県コード/所在地".into())
                })?;
                (Format::Navii { kind, columns }, None)
            } else if first.len() == 5
                && first[0].len() == 9
                && first[0].bytes().all(|b| b.is_ascii_digit())
            {
                (Format::CodeList, Some(first))
            } else {
                let shown: Vec<&str> = first.iter().take(5).collect();
                return Err(unknown(format!("first row {shown:?}")));
            };
        Ok(Self {
            reader,
            format,
            pending,
            record: csv::StringRecord::new(),
            read,
            encoding,
            failure: None,
        })
    }

    /// The read error that ended the records early, if one did. Check it after the last record.
    pub fn take_failure(&mut self) -> Option<std::io::Error> {
        self.failure.take()
    }

    /// Bytes of the file consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.read.get()
    }

    pub fn encoding_name(&self) -> &'static str {
        self.encoding.name()
    }

    pub fn source(&self) -> Source {
        match self.format {
            Format::CodeList => Source::CodeList,
            Format::Navii { .. } => Source::Navii,
        }
    }
}

impl<R: Read> Iterator for Records<R> {
    type Item = Result<InstitutionRecord, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(first) = self.pending.take() {
            self.record = first;
        } else {
            match self.reader.read_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    // A malformed row is skipped; an I/O error ends the file.
                    if !matches!(e.kind(), csv::ErrorKind::Io(_)) {
                        return Some(Err(RowError {
                            line,
                            problem: RowProblem::Csv { message: e.to_string() },
                        }));
                    }
                    if let csv::ErrorKind::Io(io) = e.into_kind() {
                        self.failure = Some(io);
                    }
                    return None;
                }
            }
        }
        let line = self.record.position().map_or(0, |p| p.line());
        let row = &self.record;
        let fail = |problem| Some(Err(RowError { line, problem }));
        if row.iter().any(|f| f.contains('\u{FFFD}')) {
            return fail(RowProblem::Encoding);
        }
        let parsed = match self.format {
            Format::CodeList => code_list_row(row, line),
            Format::Navii { kind, columns } => navii_row(row, line, kind, &columns),
        };
        Some(parsed.map_err(|problem| RowError { line, problem }))
    }
}

/// `pref+7, 7, name, postal, address` — a 医科 list; the few rows that validate only as 歯科
/// (clinics with a dental practice) keep table 3.
fn code_list_row(row: &csv::StringRecord, line: u64) -> Result<InstitutionRecord, RowProblem> {
    if row.len() != 5 {
        return Err(RowProblem::ColumnCount { found: row.len(), expected: 5 });
    }
    let key9 = row[0].trim();
    let parse =
        |table| InsuranceCode::parse(key9, CodeContext { prefecture: None, table: Some(table) });
    let code = match parse(ScoreTable::Medical) {
        Err(CodeError::CheckDigit { .. }) => parse(ScoreTable::Dental),
        other => other,
    }
    .map_err(|e| RowProblem::Code { value: key9.to_owned(), reason: e.message_ja() })?;
    if row[1].trim() != code.seven() {
        return Err(RowProblem::Code {
            value: row[1].trim().to_owned(),
            reason: "1列目と2列目の7桁が一致しません".into(),
        });
    }
    let name = non_empty(&row[2], "名称", MAX_NAME)?;
    let postal = row[3].trim();
    let postal_code = if postal.is_empty() {
        None
    } else {
        Some(postal.parse().map_err(|_| RowProblem::Postal { value: postal.to_owned() })?)
    };
    Ok(InstitutionRecord {
        source: Source::CodeList,
        key: code.digits(),
        // 医療法 §3: only a hospital may call itself 病院, so the name tells the two apart.
        kind: Some(if row[2].contains("病院") {
            InstitutionKind::Hospital
        } else {
            InstitutionKind::Clinic
        }),
        insurance_code: Some(code),
        name,
        kana: None,
        prefecture: code.prefecture(),
        municipality_code: None,
        postal_code,
        address: non_empty(&row[4], "所在地", MAX_ADDRESS)?,
        line,
    })
}

fn navii_row(
    row: &csv::StringRecord,
    line: u64,
    kind: InstitutionKind,
    c: &NaviiColumns,
) -> Result<InstitutionRecord, RowProblem> {
    if row.len() != c.width {
        return Err(RowProblem::ColumnCount { found: row.len(), expected: c.width });
    }
    let pref = row[c.prefecture].trim();
    let prefecture = pref.parse().map_err(|_| RowProblem::Prefecture { value: pref.to_owned() })?;
    let optional = |i: Option<usize>, name| match i.map(|i| row[i].trim()) {
        Some(t) if !t.is_empty() => non_empty(t, name, MAX_NAME).map(Some),
        _ => Ok(None),
    };
    Ok(InstitutionRecord {
        source: Source::Navii,
        key: non_empty(&row[c.id], "ID", MAX_ID)?,
        insurance_code: None,
        kind: Some(kind),
        name: non_empty(&row[c.name], "名称", MAX_NAME)?,
        kana: optional(c.kana, "フリガナ")?,
        prefecture,
        municipality_code: optional(c.municipality, "市区町村コード")?,
        postal_code: None,
        address: non_empty(&row[c.address], "所在地", MAX_ADDRESS)?,
        line,
    })
}

/// The longest text a field may hold: no published list comes near (the longest 名称 is
/// under 100 characters), and a longer one is a damaged or hostile file.
const MAX_ID: usize = 64;
const MAX_NAME: usize = 200;
const MAX_ADDRESS: usize = 300;

fn non_empty(field: &str, name: &'static str, max: usize) -> Result<String, RowProblem> {
    let t = field.trim();
    let length = t.chars().count();
    if t.is_empty() {
        Err(RowProblem::Empty { field: name })
    } else if length > max {
        Err(RowProblem::TooLong { field: name, length, max })
    } else {
        Ok(t.to_owned())
    }
}
