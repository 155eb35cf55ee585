//! What a 機関検索 answers: the institutions found, why each matched, and the code check.

use serde::Serialize;

use crate::code_check::CodeCheck;

/// An institution as the lookup lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, ts_rs::TS)]
pub struct InstitutionRow {
    pub id: i64,
    pub source: String,
    pub source_key: String,
    pub insurance_code: Option<String>,
    pub kind: Option<String>,
    pub name: String,
    pub kana: Option<String>,
    pub prefecture: String,
    pub postal_code: Option<String>,
    pub address: String,
    pub phone: Option<String>,
    /// No longer in the latest list of its source (廃止・休止, or moved out).
    pub closed: bool,
}

impl InstitutionRow {
    /// The columns of `institutions` a row is read from.
    pub(crate) const COLUMNS: &'static str = "id, source, source_key, insurance_code, kind, name,
        kana, prefecture, postal_code, address, phone, closed_import_id IS NOT NULL AS closed";
}

/// Why a row matched, best first; the UI shows `label_ja`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MatchReason {
    Code,
    CodeSevenDigits,
    CodeSlip { edit: String },
    PostalCode,
    Phone,
    NameStart,
    Name,
    Kana,
    CorporateName,
    Address,
}

impl MatchReason {
    pub fn label_ja(&self) -> String {
        match self {
            Self::Code => "保険医療機関コードが一致".into(),
            Self::CodeSevenDigits => "7桁コードが一致".into(),
            Self::CodeSlip { edit } => format!("コードの打ち間違い？（{edit}）"),
            Self::PostalCode => "郵便番号が一致".into(),
            Self::Phone => "電話番号が一致".into(),
            Self::NameStart => "名称の先頭が一致".into(),
            Self::Name => "名称に含む".into(),
            Self::Kana => "フリガナに含む".into(),
            Self::CorporateName => "法人名に含む".into(),
            Self::Address => "所在地に含む".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Hit {
    pub institution: InstitutionRow,
    /// 病院・診療所 … for the stored kind.
    pub kind_ja: Option<&'static str>,
    pub reason: MatchReason,
    pub reason_ja: String,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SearchResult {
    pub hits: Vec<Hit>,
    /// Institutions in the index searched, so the window notices a registry that changed.
    pub indexed: usize,
    /// Present when the query is a code: its canonical form, or the check error.
    pub code_check: Option<CodeCheck>,
}

#[derive(Debug, Clone, Copy)]
pub struct SearchContext {
    /// How many hits to return.
    pub limit: usize,
}

impl Default for SearchContext {
    fn default() -> Self {
        Self { limit: 20 }
    }
}
