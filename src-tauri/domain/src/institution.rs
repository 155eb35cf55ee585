//! 報告機関の区分 and the 点数表番号 of insurance codes.

use serde::{Deserialize, Serialize};

/// 機関区分: the kinds of reporting institution under the two schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InstitutionKind {
    /// 病院
    Hospital,
    /// 診療所
    Clinic,
    /// 歯科診療所
    DentalClinic,
    /// 助産所
    MaternityHome,
    /// 薬局
    Pharmacy,
}

impl InstitutionKind {
    pub const ALL: [InstitutionKind; 5] =
        [Self::Hospital, Self::Clinic, Self::DentalClinic, Self::MaternityHome, Self::Pharmacy];

    /// The stable key used in storage and JSON (the serde name).
    pub fn key(self) -> &'static str {
        match self {
            Self::Hospital => "hospital",
            Self::Clinic => "clinic",
            Self::DentalClinic => "dental_clinic",
            Self::MaternityHome => "maternity_home",
            Self::Pharmacy => "pharmacy",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            Self::Hospital => "病院",
            Self::Clinic => "診療所",
            Self::DentalClinic => "歯科診療所",
            Self::MaternityHome => "助産所",
            Self::Pharmacy => "薬局",
        }
    }

    /// What its insurance code is called: a pharmacy's is a 保険薬局コード.
    pub fn code_name_ja(self) -> &'static str {
        match self {
            Self::Pharmacy => "保険薬局コード",
            _ => "保険医療機関コード",
        }
    }

    /// The 点数表 under which this kind bills, i.e. the table digit its insurance code should
    /// carry. A hospital or clinic with a dental department may also hold a 歯科 code, and a
    /// 助産所 bills no insurance at all.
    pub fn expected_tables(self) -> &'static [ScoreTable] {
        match self {
            Self::Hospital | Self::Clinic => &[ScoreTable::Medical, ScoreTable::Dental],
            Self::DentalClinic => &[ScoreTable::Dental],
            Self::Pharmacy => &[ScoreTable::Pharmacy],
            Self::MaternityHome => &[],
        }
    }
}

/// 点数表番号: the third digit of a 10-digit insurance code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreTable {
    /// 1: 医科
    Medical,
    /// 3: 歯科
    Dental,
    /// 4: 調剤 (保険薬局)
    Pharmacy,
}

impl ScoreTable {
    pub const ALL: [ScoreTable; 3] = [Self::Medical, Self::Dental, Self::Pharmacy];

    pub fn digit(self) -> u8 {
        match self {
            Self::Medical => 1,
            Self::Dental => 3,
            Self::Pharmacy => 4,
        }
    }

    pub fn from_digit(d: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.digit() == d)
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            Self::Medical => "医科",
            Self::Dental => "歯科",
            Self::Pharmacy => "調剤",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_digits_round_trip() {
        for t in ScoreTable::ALL {
            assert_eq!(ScoreTable::from_digit(t.digit()), Some(t));
        }
        assert_eq!(ScoreTable::from_digit(2), None);
    }

    #[test]
    fn keys_are_the_serde_names() {
        for k in InstitutionKind::ALL {
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{}\"", k.key()));
            assert_eq!(InstitutionKind::from_key(k.key()), Some(k));
        }
    }

    #[test]
    fn kinds_bill_under_their_tables() {
        assert!(InstitutionKind::Pharmacy.expected_tables().contains(&ScoreTable::Pharmacy));
        assert!(!InstitutionKind::DentalClinic.expected_tables().contains(&ScoreTable::Medical));
        assert!(InstitutionKind::MaternityHome.expected_tables().is_empty());
    }
}
