//! 郵便番号: seven digits, written 123-4567.

use crate::Code;
use serde::{Deserialize, Serialize};

use crate::error::Coded;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PostalCode([u8; 7]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostalCodeError {
    #[error("postal code must be 7 digits: {0:?}")]
    Malformed(String),
}

impl Coded for PostalCodeError {
    fn code(&self) -> Code {
        Code::PostalFormat
    }
    fn message_ja(&self) -> String {
        let Self::Malformed(s) = self;
        format!("郵便番号「{s}」は7桁の数字（例: 100-8916）で入力してください。")
    }
}

impl PostalCode {
    /// The plain seven digits.
    pub fn digits(&self) -> String {
        crate::text::digit_string(&self.0)
    }

    /// The written form, `100-8916`.
    pub fn display(&self) -> String {
        let d = self.digits();
        format!("{}-{}", &d[..3], &d[3..])
    }
}

impl std::str::FromStr for PostalCode {
    type Err = PostalCodeError;

    /// Accepts `1008916`, `100-8916`, `〒100-8916`, full-width digits and dashes.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || PostalCodeError::Malformed(s.trim().to_owned());
        let d = crate::text::digits_only(s).map_err(|_| malformed())?;
        let d: [u8; 7] = d.try_into().map_err(|_| malformed())?;
        Ok(Self(d))
    }
}

crate::text::serde_as_string!(PostalCode, digits);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_forms() {
        for s in ["1008916", "100-8916", "〒100-8916", "１００－８９１６", " 100 8916 "] {
            assert_eq!(s.parse::<PostalCode>().unwrap().display(), "100-8916", "{s}");
        }
        for s in ["100-891", "100-89166", "1OO-8916", ""] {
            let e = s.parse::<PostalCode>().unwrap_err();
            assert_eq!(e.code(), "E-POSTAL-FORMAT");
        }
    }
}
