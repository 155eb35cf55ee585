//! 都道府県: the 47 prefectures by their JIS X 0401 codes.

use crate::Code;
use serde::{Deserialize, Serialize};

use crate::error::Coded;

const NAMES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

/// A prefecture, 01 (北海道) to 47 (沖縄県). Serialised as its two-digit code.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(try_from = "String", into = "String")]
#[ts(type = "string")]
pub struct Prefecture(u8);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefectureError {
    #[error("prefecture code {0:?} is not 01..47")]
    Unknown(String),
}

impl Coded for PrefectureError {
    fn code(&self) -> Code {
        Code::PrefUnknown
    }
    fn message_ja(&self) -> String {
        match self {
            Self::Unknown(s) => format!(
                "都道府県コード「{s}」はありません。01（北海道）〜47（沖縄県）で指定してください。"
            ),
        }
    }
}

impl Prefecture {
    /// Every prefecture in code order.
    pub fn all() -> impl Iterator<Item = Prefecture> {
        (1..=47).map(Prefecture)
    }

    pub fn from_number(n: u8) -> Result<Self, PrefectureError> {
        if (1..=47).contains(&n) {
            Ok(Self(n))
        } else {
            Err(PrefectureError::Unknown(format!("{n:02}")))
        }
    }

    /// The JIS code as a number, 1..=47.
    pub fn number(self) -> u8 {
        self.0
    }

    /// The two-digit JIS code, e.g. `"01"`.
    pub fn code(self) -> String {
        format!("{:02}", self.0)
    }

    /// The Japanese name with its suffix, e.g. `"東京都"`.
    pub fn name_ja(self) -> &'static str {
        NAMES[usize::from(self.0) - 1]
    }

    /// Finds the prefecture an address starts with (`"東京都千代田区…"` → 13).
    pub fn from_address_prefix(address: &str) -> Option<Prefecture> {
        let address = address.trim_start();
        Prefecture::all().find(|p| address.starts_with(p.name_ja()))
    }
}

impl std::str::FromStr for Prefecture {
    type Err = PrefectureError;

    /// Accepts `"13"`, `"１３"`, `"3"`, or a name with or without its suffix (`"東京都"`, `"東京"`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let unknown = || PrefectureError::Unknown(t.to_owned());
        if let Ok(digits) = crate::text::digits_only(t) {
            if digits.is_empty() || digits.len() > 2 {
                return Err(unknown());
            }
            let n = digits.iter().fold(0u8, |acc, d| acc * 10 + d);
            return Prefecture::from_number(n).map_err(|_| unknown());
        }
        Prefecture::all()
            .find(|p| {
                let name = p.name_ja();
                // 北海道 keeps its 道: nobody says 北海.
                name == t || name.strip_suffix(['都', '府', '県']) == Some(t)
            })
            .ok_or_else(unknown)
    }
}

crate::text::serde_as_string!(Prefecture, code);

/// In the API description a prefecture is its two-digit JIS code.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Prefecture {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^(0[1-9]|[1-3][0-9]|4[0-7])$"))
            .description(Some("都道府県コード (JIS X 0401)"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Prefecture {}

impl std::fmt::Display for Prefecture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name_ja())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names() {
        assert_eq!(Prefecture::all().count(), 47);
        assert_eq!("13".parse::<Prefecture>().unwrap().name_ja(), "東京都");
        assert_eq!("０１".parse::<Prefecture>().unwrap().name_ja(), "北海道");
        assert_eq!("大阪".parse::<Prefecture>().unwrap().code(), "27");
        assert_eq!("北海道".parse::<Prefecture>().unwrap().code(), "01");
        assert_eq!("京都".parse::<Prefecture>().unwrap().code(), "26");
        assert!("京".parse::<Prefecture>().is_err());
        assert_eq!("47".parse::<Prefecture>().unwrap().name_ja(), "沖縄県");
        assert!("48".parse::<Prefecture>().is_err());
        assert!("00".parse::<Prefecture>().is_err());
        assert!("東京市".parse::<Prefecture>().is_err());
    }

    #[test]
    fn address_prefix_prefers_the_whole_name() {
        assert_eq!(Prefecture::from_address_prefix("京都府京都市").unwrap().code(), "26");
        assert_eq!(Prefecture::from_address_prefix("東京都新宿区").unwrap().code(), "13");
        assert_eq!(Prefecture::from_address_prefix("札幌市"), None);
    }

    #[test]
    fn serialises_as_code() {
        let p: Prefecture = "27".parse().unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"27\"");
        assert_eq!(serde_json::from_str::<Prefecture>("\"27\"").unwrap(), p);
        assert!(serde_json::from_str::<Prefecture>("\"99\"").is_err());
    }
}
