//! 都道府県システムからのデータ移行: the prefecture's existing G-MIS accounts, from an export of
//! G-MIS or of the old prefecture system (CSV with a header row, UTF-8 or Shift_JIS), so that
//! 承認（既存アカウント）, the existing-account flag and login-ID disclosure know the many
//! institutions that had an account before Madoguchi. Read here; checked against what the
//! server holds and written in one transaction by [`crate::Storage::import_accounts`].

use std::collections::HashMap;

use madoguchi_domain::{CodeContext, InsuranceCode, Prefecture};

/// One account row as read, with its line in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLine {
    pub line: u64,
    pub institution_code: String,
    /// 10 digits, check digit verified; a 助産所 has none.
    pub insurance_code: Option<String>,
    pub institution_name: String,
    pub login_id: String,
}

/// A row not taken, with its line and why, in Japanese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub line: u64,
    pub message: String,
}

/// What the file says and what it may not say.
#[derive(Debug, Default)]
pub struct Read {
    pub rows: Vec<AccountLine>,
    pub conflicts: Vec<Conflict>,
}

/// The columns, by the names the exports use.
const INSTITUTION_CODE: &[&str] = &["機関コード"];
const INSURANCE_CODE: &[&str] = &["保険医療機関コード", "保険薬局コード"];
const NAME: &[&str] = &["機関名", "名称"];
const PREFECTURE: &[&str] = &["都道府県コード"];
const LOGIN_ID: &[&str] = &["ログインID"];

/// Whether a login ID looks like one (letters, digits, `-_.`, at most 64).
fn login_id_ok(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// Reads `bytes` (UTF-8, with or without BOM, or Shift_JIS) for `prefecture`: rows of other
/// prefectures, codes that fail their check, malformed login IDs and duplicates are conflicts.
pub fn read(bytes: &[u8], prefecture: Prefecture) -> Result<Read, String> {
    let encoding = madoguchi_registry::source::encoding_of(&bytes[..bytes.len().min(64 * 1024)]);
    let (text, _, _) = encoding.decode(bytes);
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let header = csv.headers().map_err(|e| format!("見出し行を読めません: {e}"))?.clone();
    let find = |names: &[&str]| {
        header.iter().position(|h| names.contains(&h.trim().trim_start_matches('\u{feff}')))
    };
    let column = |names: &[&str]| {
        find(names)
            .ok_or_else(|| format!("見出し行に「{}」の列がありません。", names.join("」か「")))
    };
    let (code_col, name_col) = (column(INSTITUTION_CODE)?, column(NAME)?);
    let (pref_col, login_col) = (column(PREFECTURE)?, column(LOGIN_ID)?);
    let insurance_col = find(INSURANCE_CODE);
    let mut read = Read::default();
    let mut by_login: HashMap<String, u64> = HashMap::new();
    let mut by_institution: HashMap<String, (u64, String)> = HashMap::new();
    for (i, record) in csv.records().enumerate() {
        let line = i as u64 + 2;
        let mut conflict = |message: String| read.conflicts.push(Conflict { line, message });
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                conflict(format!("{line}行目: 読み取れません（{e}）"));
                continue;
            }
        };
        let cell = |i: usize| record.get(i).unwrap_or("").trim().to_owned();
        let (institution_code, institution_name) = (cell(code_col), cell(name_col));
        let (pref, login_id) = (cell(pref_col), cell(login_col));
        if institution_code.is_empty() || institution_name.is_empty() {
            conflict(format!("{line}行目: 機関コードか機関名が空です。"));
            continue;
        }
        if institution_name.chars().count() > 200 || institution_code.len() > 20 {
            conflict(format!("{line}行目: 機関コードか機関名が長すぎます。"));
            continue;
        }
        match pref.parse::<Prefecture>() {
            Ok(p) if p == prefecture => {}
            Ok(p) => {
                conflict(format!(
                    "{line}行目: {}の行です（取り込むのは{}の分だけです）。",
                    p.name_ja(),
                    prefecture.name_ja()
                ));
                continue;
            }
            Err(_) => {
                conflict(format!("{line}行目: 都道府県コード「{pref}」が正しくありません。"));
                continue;
            }
        }
        if !login_id_ok(&login_id) {
            conflict(format!("{line}行目: ログインIDの形式が正しくありません。"));
            continue;
        }
        let insurance = insurance_col.map(&cell).filter(|c| !c.is_empty());
        let insurance_code = match insurance.as_deref().map(|c| {
            InsuranceCode::parse(c, CodeContext { prefecture: Some(prefecture), table: None })
        }) {
            None => None,
            Some(Ok(code)) => Some(code.digits()),
            Some(Err(e)) => {
                let shown = insurance.unwrap_or_default();
                conflict(format!(
                    "{line}行目: 保険医療機関コード「{shown}」が正しくありません（{e}）。"
                ));
                continue;
            }
        };
        if let Some(first) = by_login.insert(login_id.clone(), line) {
            conflict(format!("{line}行目: このログインIDは{first}行目にもあります。"));
            continue;
        }
        let institution = insurance_code.clone().unwrap_or_else(|| institution_code.clone());
        if let Some((first, other)) = by_institution.get(&institution) {
            if *other != login_id {
                conflict(format!(
                    "{line}行目: 同じ機関が{first}行目に別のログインIDで載っています。"
                ));
                continue;
            }
        }
        by_institution.insert(institution, (line, login_id.clone()));
        read.rows.push(AccountLine {
            line,
            institution_code,
            insurance_code,
            institution_name,
            login_id,
        });
    }
    Ok(read)
}

/// What an import did, or (dry run) would do.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub added: Vec<AccountLine>,
    pub unchanged: usize,
    /// Institutions with an insurance code the registry does not list (added all the same).
    pub unknown_to_registry: Vec<u64>,
    pub conflicts: Vec<Conflict>,
}

impl Outcome {
    /// The report the officer reads, in Japanese (login IDs are not repeated).
    pub fn report_ja(&self, applied: bool) -> String {
        let verb = if applied {
            "追加しました"
        } else {
            "追加します（試行のため、まだ何も変えていません）"
        };
        let mut out = format!(
            "{}件を{verb}。{}件は登録済みで変わりません。取り込めない行: {}件。\n",
            self.added.len(),
            self.unchanged,
            self.conflicts.len()
        );
        for c in &self.conflicts {
            out.push_str(&format!("  {}\n", c.message));
        }
        for line in &self.unknown_to_registry {
            out.push_str(&format!(
                "  {line}行目: 保険医療機関コードが台帳にありません（確認してください）。\n"
            ));
        }
        out
    }
}
