//! 全国地方公共団体コード: five digits (prefecture 2 + municipality 3) and a check digit.

use crate::Code;
use serde::{Deserialize, Serialize};

use crate::error::Coded;
use crate::prefecture::Prefecture;

/// A 6-digit municipality code whose check digit is right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MunicipalityCode([u8; 6]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MunicipalityCodeError {
    #[error("municipality code must be 5 or 6 digits: {0:?}")]
    Malformed(String),
    #[error("prefecture {0:02} does not exist")]
    UnknownPrefecture(u8),
    #[error("check digit {found}, expected {expected}")]
    CheckDigit { found: u8, expected: u8 },
}

impl Coded for MunicipalityCodeError {
    fn code(&self) -> Code {
        match self {
            Self::Malformed(_) => Code::MuniFormat,
            Self::UnknownPrefecture(_) => Code::MuniPref,
            Self::CheckDigit { .. } => Code::MuniCheck,
        }
    }
    fn message_ja(&self) -> String {
        match self {
            Self::Malformed(s) => {
                format!("全国地方公共団体コード「{s}」は6桁（検査数字なしなら5桁）の数字で入力してください。")
            }
            Self::UnknownPrefecture(p) => format!("先頭2桁「{p:02}」は都道府県コードではありません。"),
            Self::CheckDigit { found, expected } => format!(
                "全国地方公共団体コードの検査数字が合いません（入力「{found}」、正しくは「{expected}」）。"
            ),
        }
    }
}

/// 検査数字: weights 6, 5, 4, 3, 2; the last digit of 11 minus the sum's remainder mod 11.
fn check_digit(d: &[u8]) -> u8 {
    let sum: u32 = d.iter().zip([6u32, 5, 4, 3, 2]).map(|(&d, w)| u32::from(d) * w).sum();
    ((11 - sum % 11) % 10) as u8
}

impl MunicipalityCode {
    pub fn prefecture(&self) -> Prefecture {
        Prefecture::from_number(self.0[0] * 10 + self.0[1]).expect("validated at construction")
    }

    pub fn digits(&self) -> String {
        crate::text::digit_string(&self.0)
    }
}

impl std::str::FromStr for MunicipalityCode {
    type Err = MunicipalityCodeError;

    /// Takes 6 digits (checked) or 5 digits (the check digit is added).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || MunicipalityCodeError::Malformed(s.trim().to_owned());
        let d = crate::text::digits_only(s).map_err(|_| malformed())?;
        if d.len() != 5 && d.len() != 6 {
            return Err(malformed());
        }
        let pref = d[0] * 10 + d[1];
        Prefecture::from_number(pref)
            .map_err(|_| MunicipalityCodeError::UnknownPrefecture(pref))?;
        let expected = check_digit(&d[..5]);
        if let Some(&found) = d.get(5) {
            if found != expected {
                return Err(MunicipalityCodeError::CheckDigit { found, expected });
            }
        }
        let mut out = [0u8; 6];
        out[..5].copy_from_slice(&d[..5]);
        out[5] = expected;
        Ok(Self(out))
    }
}

crate::text::serde_as_string!(MunicipalityCode, digits);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_validate() {
        // 札幌市, 千代田区, 大阪市, 那覇市 as published by 総務省.
        for code in ["011002", "131016", "271004", "472018"] {
            let c: MunicipalityCode = code.parse().unwrap();
            assert_eq!(c.digits(), code);
        }
        assert_eq!("13101".parse::<MunicipalityCode>().unwrap().digits(), "131016");
        assert_eq!("131016".parse::<MunicipalityCode>().unwrap().prefecture().code(), "13");
    }

    #[test]
    fn wrong_codes_are_refused() {
        assert_eq!(
            "131017".parse::<MunicipalityCode>(),
            Err(MunicipalityCodeError::CheckDigit { found: 7, expected: 6 })
        );
        assert_eq!(
            "481016".parse::<MunicipalityCode>(),
            Err(MunicipalityCodeError::UnknownPrefecture(48))
        );
        assert!(matches!(
            "1310".parse::<MunicipalityCode>(),
            Err(MunicipalityCodeError::Malformed(_))
        ));
    }
}
