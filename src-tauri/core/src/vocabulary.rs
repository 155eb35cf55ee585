//! 用語: the Japanese words for the domain's keys, sent to the window so its labels come from
//! the same source as the rules.

use madoguchi_domain::triage::Outcome;
use madoguchi_domain::{
    ApplicationStatus, InstitutionKind, Prefecture, RejectReason, ReturnReason,
};
use serde::Serialize;

/// Each key (sent as its wire name) with its Japanese word.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Vocabulary {
    pub statuses: Vec<(ApplicationStatus, &'static str)>,
    pub kinds: Vec<(InstitutionKind, &'static str)>,
    pub return_reasons: Vec<(ReturnReason, &'static str)>,
    /// The same reasons as a pharmacy's 差戻し names them (保険薬局コードの誤り).
    pub pharmacy_return_reasons: Vec<(ReturnReason, &'static str)>,
    pub reject_reasons: Vec<(RejectReason, &'static str)>,
    /// How a call ended: 解決, 再申請案内 …
    pub outcomes: Vec<(Outcome, &'static str)>,
}

/// A prefecture for the pickers: its code and name.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PrefectureView {
    pub code: String,
    pub name: &'static str,
}

/// 都道府県の一覧, in code order.
pub fn prefectures() -> Vec<PrefectureView> {
    Prefecture::all().map(|p| PrefectureView { code: p.code(), name: p.name_ja() }).collect()
}

pub fn vocabulary() -> Vocabulary {
    Vocabulary {
        statuses: ApplicationStatus::ALL.iter().map(|s| (*s, s.name_ja())).collect(),
        kinds: InstitutionKind::ALL.iter().map(|k| (*k, k.name_ja())).collect(),
        return_reasons: ReturnReason::ALL.iter().map(|r| (*r, r.name_ja())).collect(),
        pharmacy_return_reasons: ReturnReason::ALL
            .iter()
            .map(|r| (*r, r.name_for(InstitutionKind::Pharmacy)))
            .collect(),
        reject_reasons: RejectReason::ALL.iter().map(|r| (*r, r.name_ja())).collect(),
        outcomes: Outcome::ALL.iter().map(|o| (*o, o.name_ja())).collect(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_the_wire_names() {
        let v = serde_json::to_value(super::vocabulary()).unwrap();
        assert_eq!(v["statuses"][0], serde_json::json!(["submitted", "申請受付"]));
        assert_eq!(v["return_reasons"].as_array().unwrap().len(), 9);
        assert_eq!(
            v["return_reasons"][1],
            serde_json::json!(["insurance_code_wrong", "保険医療機関コードの誤り"])
        );
        assert_eq!(
            v["pharmacy_return_reasons"][1],
            serde_json::json!(["insurance_code_wrong", "保険薬局コードの誤り"])
        );
        let kinds = v["kinds"].as_array().unwrap();
        assert!(kinds.iter().any(|k| *k == serde_json::json!(["dental_clinic", "歯科診療所"])));
        assert_eq!(v["outcomes"][0], serde_json::json!(["resolved", "解決"]));
        let prefectures = super::prefectures();
        assert_eq!((prefectures.len(), prefectures[12].code.as_str()), (47, "13"));
    }
}
