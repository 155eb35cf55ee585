//! 用語: the Japanese words for the domain's keys, sent to the window so its labels come from
//! the same source as the rules.

use madoguchi_domain::{ApplicationStatus, InstitutionKind, RejectReason, ReturnReason};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Vocabulary {
    pub statuses: Vec<(String, &'static str)>,
    pub kinds: Vec<(String, &'static str)>,
    pub return_reasons: Vec<(String, &'static str)>,
    pub reject_reasons: Vec<(String, &'static str)>,
}

fn key<T: Serialize>(v: T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

pub fn vocabulary() -> Vocabulary {
    Vocabulary {
        statuses: ApplicationStatus::ALL
            .iter()
            .map(|s| (s.key().to_owned(), s.name_ja()))
            .collect(),
        kinds: InstitutionKind::ALL.iter().map(|k| (k.key().to_owned(), k.name_ja())).collect(),
        return_reasons: ReturnReason::ALL.iter().map(|r| (key(r), r.name_ja())).collect(),
        reject_reasons: RejectReason::ALL.iter().map(|r| (key(r), r.name_ja())).collect(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_the_wire_names() {
        let v = super::vocabulary();
        assert_eq!(v.statuses[0], ("submitted".to_owned(), "申請受付"));
        assert_eq!(v.return_reasons.len(), 9);
        assert!(v.kinds.iter().any(|(k, ja)| k == "dental_clinic" && *ja == "歯科診療所"));
    }
}
