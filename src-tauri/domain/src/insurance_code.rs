//! 保険医療機関コード / 保険薬局コード and their 検証番号.
//!
//! Ten digits: prefecture (2) + 点数表番号 (1) + 郡市区番号 (2) + 医療機関番号 (4) + 検証番号 (1).
//! The check digit is Luhn over the body. In most prefectures the body is the first nine digits;
//! in 11 埼玉, 12 千葉, 13 東京 and 14 神奈川 it is 郡市区番号 + 医療機関番号 alone, as the
//! regional health bureaus publish them.
//!
//! People type these codes in many shapes (a bureau list's `02,7075,1`, the 9-digit pref+7
//! form, full-width digits from Excel); [`InsuranceCode::parse`] folds all of them into one value.

use crate::Code;
use serde::{Deserialize, Serialize};

use crate::error::Coded;
use crate::institution::{InstitutionKind, ScoreTable};
use crate::prefecture::Prefecture;

/// A valid 10-digit insurance code. Construction checks the prefecture, the 点数表番号 and
/// the 検証番号, so holding one means all three are right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InsuranceCode([u8; 10]);

/// What the officer already knows when a short form is typed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeContext {
    /// Used for the 7- and 8-digit forms, which do not carry the prefecture.
    pub prefecture: Option<Prefecture>,
    /// Used for the 7- and 9-digit forms; when absent it is inferred from the check digit.
    pub table: Option<ScoreTable>,
}

/// One valid code that a single typing slip away from the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    pub code: InsuranceCode,
    pub edit: Edit,
}

/// The slip that turns the typed code into the suggestion. Positions count from 0 at the left
/// of the 10-digit form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Edit {
    /// Digits at `position` and `position + 1` were swapped.
    Transposition { position: usize },
    /// The digit at `position` was mistyped.
    Substitution { position: usize, typed: u8, correct: u8 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("empty code")]
    Empty,
    #[error("invalid character {0:?}")]
    InvalidCharacter(char),
    #[error("{0} digits; expected 10, 9, 8 or 7")]
    WrongLength(usize),
    #[error("a {0}-digit code needs a prefecture")]
    PrefectureRequired(usize),
    #[error("prefecture {0:02} does not exist")]
    UnknownPrefecture(u8),
    #[error("score table digit {0} is not 1, 3 or 4")]
    UnknownTable(u8),
    #[error("check digit of {typed} is {found}, expected {expected}")]
    CheckDigit {
        /// The 10 digits as typed (or completed from the context).
        typed: String,
        found: u8,
        expected: u8,
        /// Valid codes one slip away, transpositions first.
        suggestions: Vec<Suggestion>,
    },
}

impl Coded for CodeError {
    fn code(&self) -> Code {
        match self {
            Self::Empty => Code::CodeEmpty,
            Self::InvalidCharacter(_) => Code::CodeChar,
            Self::WrongLength(_) => Code::CodeLength,
            Self::PrefectureRequired(_) => Code::CodePrefRequired,
            Self::UnknownPrefecture(_) => Code::CodePref,
            Self::UnknownTable(_) => Code::CodeTable,
            Self::CheckDigit { .. } => Code::CodeCheck,
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::Empty => self.code().message_ja().into(),
            Self::InvalidCharacter(c) => format!(
                "コードに使えない文字「{c}」が含まれています。数字と区切り（- , 空白）だけで入力してください。"
            ),
            Self::WrongLength(n) => format!(
                "数字が{n}桁です。保険医療機関コードは10桁（都道府県2桁＋点数表番号1桁＋7桁）、9桁（都道府県＋7桁）または7桁で入力してください。"
            ),
            Self::PrefectureRequired(n) => {
                format!("{n}桁のコードには都道府県の指定が必要です。都道府県を選んでから確認してください。")
            }
            Self::UnknownPrefecture(p) => {
                format!("先頭2桁「{p:02}」は都道府県コード（01〜47）ではありません。")
            }
            Self::UnknownTable(t) => format!(
                "点数表番号「{t}」は使えません（1 医科・3 歯科・4 調剤）。10桁の3桁目をご確認ください。"
            ),
            // Said where no list of near codes is shown (the application page) as well.
            Self::CheckDigit { found, expected, .. } => format!(
                "検証番号（最後の1桁）が合いません。入力は「{found}」ですが、この番号なら「{expected}」になります。入力の誤りがないかご確認ください。"
            ),
        }
    }
}

/// Luhn check digit: weights 2, 1, 2, … from the rightmost body digit, digits of products summed.
fn luhn(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let v = u32::from(d) * if i % 2 == 0 { 2 } else { 1 };
            v / 10 + v % 10
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// The prefectures whose bureaus compute the check digit over 郡市区番号 + 医療機関番号 only.
fn short_body(prefecture: u8) -> bool {
    (11..=14).contains(&prefecture)
}

/// The check digit the first nine digits call for.
fn expected_check(d: &[u8; 10]) -> u8 {
    if short_body(d[0] * 10 + d[1]) {
        luhn(&d[3..9])
    } else {
        luhn(&d[..9])
    }
}

/// Prefecture and table are real, check digit matches: the whole definition of "valid".
fn is_valid(d: &[u8; 10]) -> bool {
    Prefecture::from_number(d[0] * 10 + d[1]).is_ok()
        && ScoreTable::from_digit(d[2]).is_some()
        && expected_check(d) == d[9]
}

impl InsuranceCode {
    /// Reads any form an officer may type or paste.
    ///
    /// Digits may be full-width and separated by spaces, hyphens, commas or dots. By count:
    /// 10 is the full code; 9 is prefecture + 7 (the bureau's list key); 8 is 点数表番号 + 7;
    /// 7 is 郡市区番号 + 医療機関番号 + 検証番号. Missing parts come from `ctx`; a missing
    /// 点数表番号 is the one of 医科・歯科・調剤 whose check digit matches (医科 by default).
    pub fn parse(input: &str, ctx: CodeContext) -> Result<Self, CodeError> {
        let digits = crate::text::digits_only(input).map_err(CodeError::InvalidCharacter)?;
        let (prefecture, table, seven): (u8, Option<u8>, &[u8]) = match digits.len() {
            0 => return Err(CodeError::Empty),
            10 => (digits[0] * 10 + digits[1], Some(digits[2]), &digits[3..]),
            9 => (digits[0] * 10 + digits[1], None, &digits[2..]),
            n @ (7 | 8) => {
                let p = ctx.prefecture.ok_or(CodeError::PrefectureRequired(n))?;
                let table = (n == 8).then(|| digits[0]);
                (p.number(), table, &digits[n - 7..])
            }
            n => return Err(CodeError::WrongLength(n)),
        };
        Prefecture::from_number(prefecture)
            .map_err(|_| CodeError::UnknownPrefecture(prefecture))?;
        let tables: Vec<u8> = match table.or(ctx.table.map(ScoreTable::digit)) {
            Some(t) => {
                ScoreTable::from_digit(t).ok_or(CodeError::UnknownTable(t))?;
                vec![t]
            }
            None => ScoreTable::ALL.iter().map(|t| t.digit()).collect(),
        };
        let candidates: Vec<[u8; 10]> = tables
            .iter()
            .map(|&t| {
                let mut d = [0u8; 10];
                d[0] = prefecture / 10;
                d[1] = prefecture % 10;
                d[2] = t;
                d[3..].copy_from_slice(seven);
                d
            })
            .collect();
        if let Some(valid) = candidates.iter().find(|d| is_valid(d)) {
            return Ok(Self(*valid));
        }
        let typed = candidates[0];
        let mut suggestions = Vec::new();
        for d in &candidates {
            for s in nearest_valid(d) {
                if !suggestions.contains(&s) {
                    suggestions.push(s);
                }
            }
        }
        suggestions.sort_by_key(|s| matches!(s.edit, Edit::Substitution { .. }));
        Err(CodeError::CheckDigit {
            typed: crate::text::digit_string(&typed),
            found: typed[9],
            expected: expected_check(&typed),
            suggestions,
        })
    }

    /// Reads the code an institution of `kind` typed on its form. A form without its 点数表番号
    /// (7 or 9 digits) takes the kind's own 点数表 first (調剤 for a 薬局, 歯科 for a 歯科診療所),
    /// then any whose check digit fits: in 埼玉・千葉・東京・神奈川 the 検証番号 covers only the
    /// six digits, so every 点数表 fits and the check alone would make a pharmacy's code 医科.
    pub fn parse_for(
        input: &str,
        kind: InstitutionKind,
        prefecture: Option<Prefecture>,
    ) -> Result<Self, CodeError> {
        kind.expected_tables()
            .iter()
            .find_map(|t| Self::parse(input, CodeContext { prefecture, table: Some(*t) }).ok())
            .map_or_else(|| Self::parse(input, CodeContext { prefecture, table: None }), Ok)
    }

    pub fn prefecture(&self) -> Prefecture {
        Prefecture::from_number(self.0[0] * 10 + self.0[1]).expect("validated at construction")
    }

    pub fn table(&self) -> ScoreTable {
        ScoreTable::from_digit(self.0[2]).expect("validated at construction")
    }

    /// 郡市区番号, two digits.
    pub fn district(&self) -> String {
        self.slice(3..5)
    }

    /// 医療機関番号, four digits.
    pub fn number(&self) -> String {
        self.slice(5..9)
    }

    /// 検証番号.
    pub fn check_digit(&self) -> u8 {
        self.0[9]
    }

    /// The seven digits the bureaus list: 郡市区番号 + 医療機関番号 + 検証番号.
    pub fn seven(&self) -> String {
        self.slice(3..10)
    }

    /// The plain ten digits, for storage and copying.
    pub fn digits(&self) -> String {
        self.slice(0..10)
    }

    /// The parts separated for reading aloud: `13 1 02 7075 1`.
    pub fn display_parts(&self) -> String {
        format!(
            "{} {} {} {} {}",
            self.slice(0..2),
            self.0[2],
            self.district(),
            self.number(),
            self.0[9]
        )
    }

    fn slice(&self, r: std::ops::Range<usize>) -> String {
        crate::text::digit_string(&self.0[r])
    }
}

/// Every digit string one slip from `digits`: two neighbours swapped (first), then one digit
/// changed. The registry uses it on whatever form was typed to find existing codes.
pub fn one_slip_variants(digits: &[u8]) -> impl Iterator<Item = (Vec<u8>, Edit)> + '_ {
    let swaps = (0..digits.len().saturating_sub(1))
        .filter(move |&p| digits[p] != digits[p + 1])
        .map(move |position| {
            let mut c = digits.to_vec();
            c.swap(position, position + 1);
            (c, Edit::Transposition { position })
        });
    let changes = (0..digits.len()).flat_map(move |position| {
        (0..10u8).filter(move |&d| d != digits[position]).map(move |correct| {
            let mut c = digits.to_vec();
            c[position] = correct;
            (c, Edit::Substitution { position, typed: digits[position], correct })
        })
    });
    swaps.chain(changes)
}

/// Every valid code one slip from `d`.
fn nearest_valid(d: &[u8; 10]) -> Vec<Suggestion> {
    one_slip_variants(d)
        .filter_map(|(c, edit)| {
            let c: [u8; 10] = c.try_into().ok()?;
            is_valid(&c).then_some(Suggestion { code: InsuranceCode(c), edit })
        })
        .collect()
}

impl std::str::FromStr for InsuranceCode {
    type Err = CodeError;
    /// Parses a full 10-digit code (separators allowed), with no context.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match crate::text::digits_only(s) {
            Ok(d) if d.len() != 10 && !d.is_empty() => Err(CodeError::WrongLength(d.len())),
            _ => Self::parse(s, CodeContext::default()),
        }
    }
}

crate::text::serde_as_string!(InsuranceCode, digits);

impl std::fmt::Display for InsuranceCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.digits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(p: &str) -> CodeContext {
        CodeContext { prefecture: Some(p.parse().unwrap()), table: None }
    }

    #[test]
    fn luhn_matches_a_published_code() {
        // 医療法人 愛全病院, 北海道: 01 + 0112489.
        let c = InsuranceCode::parse("010112489", CodeContext::default()).unwrap();
        assert_eq!(c.digits(), "0110112489");
        assert_eq!(c.display_parts(), "01 1 01 1248 9");
        assert_eq!(c.table(), ScoreTable::Medical);
    }

    #[test]
    fn every_typed_form_gives_one_value() {
        let full = InsuranceCode::parse("0110112489", CodeContext::default()).unwrap();
        for form in [
            "0110112489",
            "01 1 01 1248 9",
            "０１１０１１２４８９",
            "010112489",
            "01-1-01-1248-9",
            "01,1248,9",
            "01-12489",
            "１０１１２４８９",
        ] {
            assert_eq!(InsuranceCode::parse(form, ctx("01")), Ok(full), "{form}");
        }
    }

    #[test]
    fn tokyo_body_skips_prefecture_and_table() {
        // 6-digit body: 02 7075 → check 1, whatever the table.
        let c = InsuranceCode::parse("02,7075,1", ctx("13")).unwrap();
        assert_eq!(c.digits(), "1310270751");
        let dental = InsuranceCode::parse(
            "0270751",
            CodeContext { table: Some(ScoreTable::Dental), ..ctx("13") },
        )
        .unwrap();
        assert_eq!(dental.digits(), "1330270751");
    }

    #[test]
    fn table_is_inferred_from_the_check_digit() {
        // 0110112489 is valid as 医科; the same seven digits with table 3 need another check digit.
        let dental_check = expected_check(&[0, 1, 3, 0, 1, 1, 2, 4, 8, 0]);
        let c = InsuranceCode::parse(&format!("01011248{dental_check}"), CodeContext::default())
            .unwrap();
        assert_eq!(c.table(), ScoreTable::Dental);
    }

    #[test]
    fn structural_errors_have_codes() {
        let none = CodeContext::default();
        assert_eq!(InsuranceCode::parse("  ", none), Err(CodeError::Empty));
        assert_eq!(InsuranceCode::parse("01a", none), Err(CodeError::InvalidCharacter('a')));
        assert_eq!(InsuranceCode::parse("12345", none), Err(CodeError::WrongLength(5)));
        assert_eq!(InsuranceCode::parse("0112489", none), Err(CodeError::PrefectureRequired(7)));
        assert_eq!(InsuranceCode::parse("4810112489", none), Err(CodeError::UnknownPrefecture(48)));
        assert_eq!(InsuranceCode::parse("0120112489", none), Err(CodeError::UnknownTable(2)));
        for e in [CodeError::Empty, CodeError::WrongLength(5), CodeError::UnknownTable(2)] {
            assert!(e.code().as_str().starts_with("E-CODE-"));
            assert!(!e.message_ja().is_empty());
        }
    }

    #[test]
    fn check_failure_suggests_the_slip() {
        // Swap 4 and 8 in 0110112489.
        let err = InsuranceCode::parse("0110112849", CodeContext::default()).unwrap_err();
        let CodeError::CheckDigit { suggestions, found, expected, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(*found, 9);
        assert_ne!(found, expected);
        assert_eq!(err.code(), "E-CODE-CHECK");
        assert!(suggestions
            .iter()
            .any(|s| s.code.digits() == "0110112489"
                && s.edit == Edit::Transposition { position: 7 }));
        // Transpositions come first, and every suggestion is itself valid.
        let first_sub =
            suggestions.iter().position(|s| matches!(s.edit, Edit::Substitution { .. }));
        assert!(suggestions[..first_sub.unwrap()]
            .iter()
            .all(|s| matches!(s.edit, Edit::Transposition { .. })));
        for s in suggestions {
            assert_eq!(s.code.digits().parse::<InsuranceCode>(), Ok(s.code));
        }
    }

    #[test]
    fn serde_round_trip_validates() {
        let c: InsuranceCode = "0110112489".parse().unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, "\"0110112489\"");
        assert_eq!(serde_json::from_str::<InsuranceCode>(&json).unwrap(), c);
        assert!(serde_json::from_str::<InsuranceCode>("\"0110112480\"").is_err());
        assert!("010112489".parse::<InsuranceCode>().is_err(), "FromStr takes the full form only");
    }
}
