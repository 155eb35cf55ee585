//! カバー状況: where each institution of the prefecture's registry stands with G-MIS — an
//! account, an application in review, one returned and not yet resubmitted, or nothing — and
//! the counts by 機関区分 and municipality. The prefecture's aim is every institution reporting
//! each year; those without an account are the first to reach.

use serde::{Deserialize, Serialize};

use crate::application::ApplicationStatus;
use crate::institution::InstitutionKind;
use crate::practice::{Practice, Scheme};

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

    /// Its place in the order, as the store's queries compute it (0 the furthest along).
    pub fn rank(self) -> i64 {
        self as i64
    }

    pub fn from_rank(rank: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.rank() == rank)
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Applying => "applying",
            Self::Returned => "returned",
            Self::NotApplied => "not_applied",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

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

/// How many institutions stand where, and how many of them reported for the current period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct StandingCounts {
    pub account: i64,
    pub applying: i64,
    pub returned: i64,
    pub not_applied: i64,
    /// 報告済 (of all four): known once a 報告状況 file is imported for the period.
    pub reported: i64,
}

impl StandingCounts {
    pub fn add(&mut self, standing: Standing, reported: bool, count: i64) {
        *match standing {
            Standing::Account => &mut self.account,
            Standing::Applying => &mut self.applying,
            Standing::Returned => &mut self.returned,
            Standing::NotApplied => &mut self.not_applied,
        } += count;
        if reported {
            self.reported += count;
        }
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

/// One week of the trend: the counts as they stood when the desk last looked that week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CoverageWeek {
    /// ISO week, 2027-W03.
    pub week: String,
    pub counts: StandingCounts,
}

/// The prefecture's coverage.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
pub struct Coverage {
    pub total: StandingCounts,
    /// By 機関区分 (as the registry tells it: a 厚生局 医科 list does not tell 病院 from 診療所).
    pub by_kind: Vec<CoverageRow>,
    /// By municipality (its name as the registry's addresses begin).
    pub by_municipality: Vec<CoverageRow>,
    /// By 保健所 area, as the prefecture's practice sets them (the rest under 「管轄未設定」).
    pub by_health_centre: Vec<CoverageRow>,
    /// Whether a 報告状況 is imported for the current period of any scheme: until then
    /// `reported` counts nothing and the window says so.
    pub reports_known: bool,
    /// Up to the last 26 weeks, oldest first.
    pub trend: Vec<CoverageWeek>,
}

/// A breakdown key that names no 保健所 (the area is not set in the practice).
pub const NO_HEALTH_CENTRE: &str = "";

/// Every 機関区分 a registry row may be counted under, key and label; the store keeps a row's
/// by its position here.
pub const CLASSES: [(&str, &str); 7] = [
    ("hospital", "病院"),
    ("clinic", "診療所"),
    ("dental_clinic", "歯科診療所"),
    ("maternity_home", "助産所"),
    ("pharmacy", "薬局"),
    ("medical", "病院・診療所（医科）"),
    ("unknown", "区分不明"),
];

/// The 機関区分 a registry row is counted under: its kind where the list tells it, else what
/// its insurance code's 点数表番号 says (1 医科, 3 歯科, 4 調剤).
pub fn class_of(
    kind: Option<InstitutionKind>,
    insurance_code: Option<&str>,
) -> (&'static str, &'static str) {
    let key = match kind {
        Some(InstitutionKind::Hospital) => "hospital",
        Some(InstitutionKind::Clinic) => "clinic",
        Some(InstitutionKind::DentalClinic) => "dental_clinic",
        Some(InstitutionKind::MaternityHome) => "maternity_home",
        Some(InstitutionKind::Pharmacy) => "pharmacy",
        None => match insurance_code.and_then(|c| c.chars().nth(2)) {
            Some('1') => "medical",
            Some('3') => "dental_clinic",
            Some('4') => "pharmacy",
            _ => "unknown",
        },
    };
    CLASSES[class_number(key)]
}

/// A class's position in [`CLASSES`] (the last, 区分不明, for a key not there).
pub fn class_number(key: &str) -> usize {
    CLASSES.iter().position(|c| c.0 == key).unwrap_or(CLASSES.len() - 1)
}

/// The scheme an institution of class `key` reports under each year: a pharmacy 薬局機能情報,
/// the rest 医療機能情報 (かかりつけ医機能報告 is counted on its own where a prefecture runs it).
pub fn scheme_of(class_key: &str) -> Scheme {
    match class_key {
        "pharmacy" => Scheme::Pharmacy,
        _ => Scheme::Medical,
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

/// One group of institutions as the store counts them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub class: (&'static str, &'static str),
    /// The municipality as the store keys it, and its name.
    pub place_key: String,
    pub place_name: String,
    pub standing: Standing,
    pub reported: bool,
    pub count: i64,
}

/// Counts groups into a coverage: each breakdown in the order of its largest group first; a
/// municipality's 保健所 is the one `practice` sets for it.
pub fn tally(groups: impl IntoIterator<Item = Counted>, practice: &Practice) -> Coverage {
    use std::collections::BTreeMap;
    type Groups = BTreeMap<String, (String, StandingCounts)>;
    fn add(into: &mut Groups, key: &str, label: &str, g: &Counted) {
        let entry = into.entry(key.to_owned()).or_insert((String::new(), Default::default()));
        if entry.0.is_empty() {
            entry.0 = label.to_owned();
        }
        entry.1.add(g.standing, g.reported, g.count);
    }
    fn rows(groups: Groups, unnamed: &str) -> Vec<CoverageRow> {
        let mut v: Vec<CoverageRow> = groups
            .into_iter()
            .map(|(key, (label, counts))| {
                let label = if label.is_empty() { unnamed.to_owned() } else { label };
                CoverageRow { key, label, counts }
            })
            .collect();
        v.sort_by_key(|r| (std::cmp::Reverse(r.counts.total()), r.key.clone()));
        v
    }
    let (mut total, mut kinds, mut places, mut centres) =
        (StandingCounts::default(), Groups::new(), Groups::new(), Groups::new());
    for g in groups {
        total.add(g.standing, g.reported, g.count);
        add(&mut kinds, g.class.0, g.class.1, &g);
        add(&mut places, &g.place_key, &g.place_name, &g);
        let centre = practice.health_centre_for(&g.place_name).map(|c| c.contact.name.trim());
        add(&mut centres, centre.unwrap_or(NO_HEALTH_CENTRE), centre.unwrap_or_default(), &g);
    }
    Coverage {
        total,
        by_kind: rows(kinds, "区分不明"),
        by_municipality: rows(places, "市区町村不明"),
        by_health_centre: rows(centres, "管轄未設定"),
        ..Default::default()
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
        let group = |class, code: &str, name: &str, standing, reported, count| Counted {
            class,
            place_key: code.into(),
            place_name: name.into(),
            standing,
            reported,
            count,
        };
        let medical = ("medical", "医科");
        let mut practice = Practice::default();
        practice.health_centres.push(crate::practice::HealthCentre {
            contact: crate::contact::WindowContact {
                name: "千代田保健所".into(),
                ..Default::default()
            },
            municipalities: vec!["千代田区".into()],
        });
        let c = tally(
            [
                group(medical, "13101", "千代田区", Standing::Account, true, 2),
                group(medical, "13101", "千代田区", Standing::NotApplied, false, 2),
                group(("pharmacy", "薬局"), "13102", "中央区", Standing::Applying, false, 2),
            ],
            &practice,
        );
        assert_eq!((c.total.total(), c.total.account_per_mille(), c.total.reported), (6, 333, 2));
        assert_eq!(c.by_kind[0].key, "medical");
        assert_eq!(c.by_municipality[0].label, "千代田区");
        let centres: Vec<_> =
            c.by_health_centre.iter().map(|r| (r.label.as_str(), r.counts.total())).collect();
        assert_eq!(centres, [("千代田保健所", 4), ("管轄未設定", 2)]);
        assert_eq!(scheme_of("pharmacy"), Scheme::Pharmacy);
        assert_eq!(CLASSES[class_number("medical")].1, "病院・診療所（医科）");
        assert_eq!(class_of(None, None), ("unknown", "区分不明"));
        assert_eq!(Standing::from_rank(Standing::Returned.rank()), Some(Standing::Returned));
    }
}
