//! 保険医療機関コードの確認: what the officer sees after typing or pasting a code.

use madoguchi_domain::insurance_code::Edit;
use madoguchi_domain::{CodeContext, CodeError, InsuranceCode, Prefecture};
use serde::Serialize;

use crate::error::UiError;

/// How many "did you mean" candidates the window lists; the registry will rank them later.
const MAX_SUGGESTIONS: usize = 12;

/// A code as the UI shows it: parts visible, digits copyable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CodeView {
    /// The plain ten digits.
    pub digits: String,
    /// `13 1 02 7075 1`
    pub parts: String,
    pub prefecture_code: String,
    pub prefecture_name: String,
    /// 医科・歯科・調剤
    pub table_name: String,
}

impl From<InsuranceCode> for CodeView {
    fn from(c: InsuranceCode) -> Self {
        Self {
            digits: c.digits(),
            parts: c.display_parts(),
            prefecture_code: c.prefecture().code(),
            prefecture_name: c.prefecture().name_ja().to_owned(),
            table_name: c.table().name_ja().to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SuggestionView {
    pub code: CodeView,
    /// The slip in words, e.g. `8桁目と9桁目の入れ替え`.
    pub edit: String,
}

/// The answer to one check: the canonical code, or the error and the nearest valid codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CodeCheck {
    Valid { code: CodeView },
    Invalid { error: UiError, suggestions: Vec<SuggestionView> },
}

/// The slip in words, as the officer reads it.
pub fn describe(edit: Edit) -> String {
    match edit {
        Edit::Transposition { position } => {
            format!("{}桁目と{}桁目の入れ替え", position + 1, position + 2)
        }
        Edit::Substitution { position, typed, correct } => {
            format!("{}桁目「{typed}」→「{correct}」", position + 1)
        }
    }
}

/// Checks `input` in any typed form; `prefecture` completes the 7- and 8-digit forms.
pub fn check(input: &str, prefecture: Option<Prefecture>) -> CodeCheck {
    match InsuranceCode::parse(input, CodeContext { prefecture, table: None }) {
        Ok(code) => CodeCheck::Valid { code: code.into() },
        Err(e) => {
            log::debug!("code check {input:?}: {e}");
            let suggestions = match &e {
                CodeError::CheckDigit { suggestions, .. } => suggestions
                    .iter()
                    .take(MAX_SUGGESTIONS)
                    .map(|s| SuggestionView { code: s.code.into(), edit: describe(s.edit) })
                    .collect(),
                _ => Vec::new(),
            };
            CodeCheck::Invalid { error: UiError::quiet(&e), suggestions }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bureau_form_becomes_the_canonical_code() {
        let CodeCheck::Valid { code } = check("02,7075,1", Some("13".parse().unwrap())) else {
            panic!()
        };
        assert_eq!(code.digits, "1310270751");
        assert_eq!(code.parts, "13 1 02 7075 1");
        assert_eq!(code.prefecture_name, "東京都");
        assert_eq!(code.table_name, "医科");
    }

    #[test]
    fn a_slip_gives_the_error_code_and_the_slip_in_words() {
        let CodeCheck::Invalid { error, suggestions } = check("0110112849", None) else { panic!() };
        assert_eq!(error.code, "E-CODE-CHECK");
        let fix = suggestions.iter().find(|s| s.code.digits == "0110112489").unwrap();
        assert_eq!(fix.edit, "8桁目と9桁目の入れ替え");
        assert!(suggestions.len() <= MAX_SUGGESTIONS);
    }

    #[test]
    fn a_short_form_without_a_prefecture_asks_for_one() {
        let CodeCheck::Invalid { error, suggestions } = check("0112489", None) else { panic!() };
        assert_eq!(error.code, "E-CODE-PREF-REQUIRED");
        assert!(suggestions.is_empty());
        let json = serde_json::to_value(check("0112489", None)).unwrap();
        assert_eq!(json["status"], "invalid");
        assert_eq!(json["error"]["code"], "E-CODE-PREF-REQUIRED");
    }
}
