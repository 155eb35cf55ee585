//! カバー状況: where each institution of the prefecture's registry stands with G-MIS — an
//! account, an application in review, one returned and not yet resubmitted, or nothing — and
//! the counts by 機関区分 and municipality. The prefecture's aim is every institution reporting
//! each year; those without an account are the first to reach.

use serde::{Deserialize, Serialize};

use crate::application::ApplicationStatus;
use crate::institution::InstitutionKind;

/// An institution's standing, ordered the furthest along first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// アカウントあり: an account is known (imported or approved).
    Account,
    /// 申請中: an application waits for the prefecture.
    Applying,
    /// 差戻し中: returned for correction, not yet resubmitted.
    Returned,
    /// 未申請
    NotApplied,
}

impl Standing {
    pub const ALL: [Standing; 4] =
        [Self::Account, Self::Applying, Self::Returned, Self::NotApplied];

    pub fn name_ja(self) -> &'static str {
        match self {
            Self::Account => "アカウントあり",
            Self::Applying => "申請中",
            Self::Returned => "差戻し中",
            Self::NotApplied => "未申請",
        }
    }

    /// From what the desk holds of the institution: an account (or an approval) wins, then an
    /// application waiting, then one returned; a rejected or superseded one counts as nothing.
    pub fn of(has_account: bool, statuses: impl IntoIterator<Item = ApplicationStatus>) -> Self {
        use ApplicationStatus::*;
        let mut standing = if has_account { Self::Account } else { Self::NotApplied };
        for status in statuses {
            let this = match status {
                ApprovedNewAccount | ApprovedExistingAccount => Self::Account,
                Submitted | InReview => Self::Applying,
                ReturnedForCorrection => Self::Returned,
                Rejected | Resubmitted => Self::NotApplied,
            };
            standing = standing.min(this);
        }
        standing
    }
}

/// How many institutions stand where.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct StandingCounts {
    pub account: i64,
    pub applying: i64,
    pub returned: i64,
    pub not_applied: i64,
}

impl StandingCounts {
    pub fn add(&mut self, standing: Standing) {
        *match standing {
            Standing::Account => &mut self.account,
            Standing::Applying => &mut self.applying,
            Standing::Returned => &mut self.returned,
            Standing::NotApplied => &mut self.not_applied,
        } += 1;
    }

    pub fn total(&self) -> i64 {
        self.account + self.applying + self.returned + self.not_applied
    }

    /// Institutions with an account, per thousand (0 of none).
    pub fn account_per_mille(&self) -> i64 {
        match self.total() {
            0 => 0,
            total => self.account * 1000 / total,
        }
    }
}

/// One line of a breakdown: its key (for the list behind it), its label, its counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CoverageRow {
    pub key: String,
    pub label: String,
    pub counts: StandingCounts,
}

/// The prefecture's coverage.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
pub struct Coverage {
    pub total: StandingCounts,
    /// By 機関区分 (as the registry tells it: a 厚生局 医科 list does not tell 病院 from 診療所).
    pub by_kind: Vec<CoverageRow>,
    /// By municipality (its code; its name as the registry's addresses spell it).
    pub by_municipality: Vec<CoverageRow>,
}

/// The 機関区分 a registry row is counted under: its kind where the list tells it, else what
/// its insurance code's 点数表番号 says (1 医科, 3 歯科, 4 調剤).
pub fn class_of(
    kind: Option<InstitutionKind>,
    insurance_code: Option<&str>,
) -> (&'static str, &'static str) {
    match kind {
        Some(InstitutionKind::Hospital) => ("hospital", "病院"),
        Some(InstitutionKind::Clinic) => ("clinic", "診療所"),
        Some(InstitutionKind::DentalClinic) => ("dental_clinic", "歯科診療所"),
        Some(InstitutionKind::MaternityHome) => ("maternity_home", "助産所"),
        Some(InstitutionKind::Pharmacy) => ("pharmacy", "薬局"),
        None => match insurance_code.and_then(|c| c.chars().nth(2)) {
            Some('1') => ("medical", "病院・診療所（医科）"),
            Some('3') => ("dental_clinic", "歯科診療所"),
            Some('4') => ("pharmacy", "薬局"),
            _ => ("unknown", "区分不明"),
        },
    }
}

/// The city, ward, town or village an address (without its prefecture) begins with:
/// 「札幌市南区川沿…」→「札幌市」, 「千代田区丸の内…」→「千代田区」, 「虻田郡倶知安町…」→「虻田郡倶知安町」.
pub fn municipality_of(address: &str) -> String {
    let chars: Vec<char> = address.trim().chars().collect();
    let cut = |from: usize, marks: &[char]| {
        chars.iter().skip(from).position(|c| marks.contains(c)).map(|i| from + i + 1)
    };
    let end = match cut(0, &['郡']) {
        Some(gun) if gun <= 5 => cut(gun, &['町', '村']),
        _ => cut(0, &['市', '区', '町', '村']).filter(|&e| e <= 6),
    };
    chars[..end.unwrap_or(0)].iter().collect()
}

/// Counts `rows` — (class key, class label, municipality code, municipality name, standing) —
/// into a coverage: each breakdown in the order of its largest group first.
pub fn tally<'a>(
    rows: impl IntoIterator<Item = (&'a str, &'a str, String, String, Standing)>,
) -> Coverage {
    use std::collections::BTreeMap;
    let mut total = StandingCounts::default();
    let mut kinds: BTreeMap<&str, (&str, StandingCounts)> = BTreeMap::new();
    let mut places: BTreeMap<String, (String, StandingCounts)> = BTreeMap::new();
    for (key, label, code, name, standing) in rows {
        total.add(standing);
        kinds.entry(key).or_insert((label, StandingCounts::default())).1.add(standing);
        let place = places.entry(code).or_insert((String::new(), StandingCounts::default()));
        if place.0.is_empty() {
            place.0 = name;
        }
        place.1.add(standing);
    }
    let rows = |v: Vec<CoverageRow>| {
        let mut v = v;
        v.sort_by_key(|r| (std::cmp::Reverse(r.counts.total()), r.key.clone()));
        v
    };
    Coverage {
        total,
        by_kind: rows(
            kinds
                .into_iter()
                .map(|(k, (l, c))| CoverageRow { key: k.into(), label: l.into(), counts: c })
                .collect(),
        ),
        by_municipality: rows(
            places
                .into_iter()
                .map(|(k, (l, c))| {
                    let label = if l.is_empty() { "市区町村不明".to_owned() } else { l };
                    CoverageRow { key: k, label, counts: c }
                })
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationStatus::*;

    #[test]
    fn an_account_wins_then_a_waiting_application_then_a_returned_one() {
        assert_eq!(Standing::of(true, [ReturnedForCorrection]), Standing::Account);
        assert_eq!(Standing::of(false, [Rejected, InReview]), Standing::Applying);
        assert_eq!(Standing::of(false, [Resubmitted, ReturnedForCorrection]), Standing::Returned);
        assert_eq!(Standing::of(false, [ApprovedExistingAccount]), Standing::Account);
        assert_eq!(Standing::of(false, [Rejected]), Standing::NotApplied);
        assert_eq!(Standing::of(false, []), Standing::NotApplied);
    }

    #[test]
    fn classes_and_municipalities_as_the_registry_tells_them() {
        assert_eq!(class_of(None, Some("1310112345")).0, "medical");
        assert_eq!(class_of(None, Some("1340112345")).1, "薬局");
        assert_eq!(class_of(Some(InstitutionKind::Hospital), Some("1310112345")).1, "病院");
        assert_eq!(municipality_of("札幌市南区川沿１３条２丁目"), "札幌市");
        assert_eq!(municipality_of("千代田区丸の内１丁目"), "千代田区");
        assert_eq!(municipality_of("虻田郡倶知安町北１条東"), "虻田郡倶知安町");
        assert_eq!(municipality_of("八王子市元本郷町"), "八王子市");
        let c = tally([
            ("medical", "医科", "13101".into(), "千代田区".into(), Standing::Account),
            ("medical", "医科", "13101".into(), "千代田区".into(), Standing::NotApplied),
            ("pharmacy", "薬局", "13102".into(), "中央区".into(), Standing::Applying),
        ]);
        assert_eq!((c.total.total(), c.total.account_per_mille()), (3, 333));
        assert_eq!(c.by_kind[0].key, "medical");
        assert_eq!(c.by_municipality[0].label, "千代田区");
    }
}
