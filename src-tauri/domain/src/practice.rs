//! 都道府県の運用: what each prefecture decides for itself about the schemes — which of the
//! three its window serves, each one's 定期報告期間 and what follows its deadline, whether a
//! paper report is accepted, its 保健所 and the questions they take, its self-check sheet —
//! and what the tree says and offers because of it. The national tree names these as facts
//! (`{報告期限}` …) and marks the answers that only some prefectures give (`when`).

use serde::{Deserialize, Serialize};

use crate::contact::WindowContact;
use crate::Code;

/// The three schemes a prefecture's window runs on G-MIS.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// 医療機能情報提供制度 (病院・診療所・助産所)
    Medical,
    /// 薬局機能情報提供制度
    Pharmacy,
    /// かかりつけ医機能報告制度 (医療法第30条の18の4; 病院・診療所, the same accounts)
    Kakaritsuke,
}

impl Scheme {
    pub const ALL: [Scheme; 3] = [Self::Medical, Self::Pharmacy, Self::Kakaritsuke];

    /// The report's short name, as a deadline is said: 医療機能情報は…
    pub fn report_ja(self) -> &'static str {
        match self {
            Self::Medical => "医療機能情報",
            Self::Pharmacy => "薬局機能情報",
            Self::Kakaritsuke => "かかりつけ医機能報告",
        }
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            Self::Medical => "医療機能情報提供制度",
            Self::Pharmacy => "薬局機能情報提供制度",
            Self::Kakaritsuke => "かかりつけ医機能報告制度",
        }
    }
}

/// The questions a prefecture may send to its 保健所 first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// ログインID・パスワードの確認
    Login,
    /// 機関コード一覧の配布・照会
    Codes,
}

impl Topic {
    pub const ALL: [Topic; 2] = [Self::Login, Self::Codes];

    pub fn name_ja(self) -> &'static str {
        match self {
            Self::Login => "ログインID・パスワードの確認",
            Self::Codes => "機関コードの照会",
        }
    }
}

/// A 保健所: its contact and the municipalities it covers, as the address names them
/// (千代田区, 八王子市, 西多摩郡奥多摩町; a 政令市 by its name covers all its wards).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthCentre {
    pub contact: WindowContact,
    pub municipalities: Vec<String>,
}

impl HealthCentre {
    /// How the tree names it to a caller: 名称（電話 …、受付 …）.
    pub fn said(&self) -> String {
        let c = &self.contact;
        let mut how = Vec::new();
        if !c.phone.trim().is_empty() {
            how.push(format!("電話 {}", c.phone.trim()));
        }
        if !c.hours.trim().is_empty() {
            how.push(format!("受付 {}", c.hours.trim()));
        }
        if how.is_empty() && !c.email.trim().is_empty() {
            how.push(c.email.trim().to_owned());
        }
        match how.is_empty() {
            true => c.name.trim().to_owned(),
            false => format!("{}（{}）", c.name.trim(), how.join("、")),
        }
    }

    /// How many characters of `address` (after its prefecture) a municipality of this
    /// 保健所 matches, the longest: 横浜市鶴見区 is matched by 横浜市鶴見区 before 横浜市.
    fn covers(&self, address: &str) -> Option<usize> {
        area_match(&self.municipalities, address)
    }
}

/// Whether `address` lies in one of `municipalities` (a 保健所's area, as its names are set).
pub fn in_area(municipalities: &[String], address: &str) -> bool {
    area_match(municipalities, address).is_some()
}

/// The length of the longest of `municipalities` that `address` (after its prefecture) starts
/// with, if any.
fn area_match(municipalities: &[String], address: &str) -> Option<usize> {
    let address = address.trim();
    let place = crate::prefecture::Prefecture::from_address_prefix(address)
        .and_then(|p| address.strip_prefix(p.name_ja()))
        .unwrap_or(address);
    municipalities
        .iter()
        .map(|m| m.trim())
        .filter(|m| !m.is_empty() && place.starts_with(m))
        .map(str::len)
        .max()
}

/// One scheme's 定期報告期間, where it differs from the prefecture's common one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchemePeriod {
    pub scheme: Scheme,
    pub window: ReportingWindow,
}

/// Where a tree's answer is offered only in some prefectures: a choice with `when` is shown
/// where the prefecture's practice holds it (and the nodes behind it are reached only so).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum When {
    /// The window serves hospitals and clinics (医療機能情報提供制度).
    Medical,
    /// The window serves pharmacies.
    Pharmacy,
    /// The window runs かかりつけ医機能報告.
    Kakaritsuke,
    /// Login questions go to the 保健所 first.
    LoginAtHealthCentre,
    /// The 保健所 hands out and answers the 機関コード.
    CodesAtHealthCentre,
    /// The window answers code questions itself.
    CodesAtWindow,
    /// A paper report (紙の調査票) is accepted.
    PaperAccepted,
    /// Only G-MIS reports are accepted.
    PaperRefused,
    /// The prefecture publishes a self-check sheet or flowchart.
    SelfCheck,
}

/// 都道府県の運用: what a prefecture sets about how it runs the schemes (synced with its
/// settings); every field left empty is the seed's practice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct Practice {
    /// The schemes its window serves; none listed is all three.
    pub schemes: Vec<Scheme>,
    /// A scheme's own 定期報告期間 (医療機能情報 and 薬局機能情報 often differ).
    pub periods: Vec<SchemePeriod>,
    /// What the window says follows its deadline (延長の有無・督促・公表), read out after it.
    #[cfg_attr(feature = "openapi", schema(max_length = 300))]
    pub after_deadline: String,
    /// Whether an institution with no internet may report on paper (書面・紙の調査票).
    pub paper_accepted: bool,
    /// How the paper form is obtained (窓口から郵送, the prefecture's page …).
    #[cfg_attr(feature = "openapi", schema(max_length = 300))]
    pub paper_how: String,
    /// 保健所, with the municipalities each covers.
    pub health_centres: Vec<HealthCentre>,
    /// The questions sent to the 保健所 first.
    pub routed: Vec<Topic>,
    /// The prefecture's self-check sheet or flowchart (https://…), offered first.
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub self_check_url: String,
    /// 要連絡: when institutions are listed for the window to contact.
    pub outreach: Timing,
}

/// What is wrong with a practice as set, each said for the officer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the prefecture's practice has problems: {}", .0.join("; "))]
pub struct PracticeError(pub Vec<String>);

impl crate::Coded for PracticeError {
    fn code(&self) -> Code {
        Code::PrefPractice
    }
    fn message_ja(&self) -> String {
        format!("{}（{}）", self.code().message_ja(), self.0.join("、"))
    }
}

/// The facts the practice fills in, beyond those the tree's file carries.
pub const PRACTICE_FACTS: [&str; 5] =
    ["報告期限", "期限後の扱い", "紙の調査票の入手方法", "セルフチェック", "管轄の保健所"];

impl Practice {
    /// The schemes its window serves.
    pub fn schemes(&self) -> Vec<Scheme> {
        match self.schemes.is_empty() {
            true => Scheme::ALL.to_vec(),
            false => Scheme::ALL.into_iter().filter(|s| self.schemes.contains(s)).collect(),
        }
    }

    pub fn serves(&self, scheme: Scheme) -> bool {
        self.schemes.is_empty() || self.schemes.contains(&scheme)
    }

    /// A scheme's 定期報告期間, if set.
    pub fn period(&self, scheme: Scheme) -> Option<ReportingWindow> {
        self.periods.iter().find(|p| p.scheme == scheme).map(|p| p.window)
    }

    /// The practice in force: each served scheme without its own period takes the
    /// prefecture's common one (what a prefecture set before periods were per scheme).
    pub fn in_force(mut self, common: Option<ReportingWindow>) -> Self {
        for scheme in self.schemes() {
            if let (None, Some(window)) = (self.period(scheme), common) {
                self.periods.push(SchemePeriod { scheme, window });
            }
        }
        self
    }

    /// Whether a `when` answer is offered here.
    pub fn holds(&self, when: When) -> bool {
        let at_centre = |t| self.routed.contains(&t) && !self.health_centres.is_empty();
        match when {
            When::Medical => self.serves(Scheme::Medical),
            When::Pharmacy => self.serves(Scheme::Pharmacy),
            When::Kakaritsuke => self.serves(Scheme::Kakaritsuke),
            When::LoginAtHealthCentre => at_centre(Topic::Login),
            When::CodesAtHealthCentre => at_centre(Topic::Codes),
            When::CodesAtWindow => !at_centre(Topic::Codes),
            When::PaperAccepted => self.paper_accepted,
            When::PaperRefused => !self.paper_accepted,
            When::SelfCheck => !self.self_check_url.trim().is_empty(),
        }
    }

    /// The 保健所 that covers `address`, if one does.
    pub fn health_centre_for(&self, address: &str) -> Option<&HealthCentre> {
        let covering = self.health_centres.iter().filter_map(|c| c.covers(address).map(|n| (n, c)));
        covering.max_by_key(|(n, _)| *n).map(|(_, c)| c)
    }

    /// Everything wrong with it: a 保健所 without a usable contact or area, questions routed
    /// to 保健所 none is set for, a period set twice or for a scheme not served, a link that
    /// is not https, overlong words.
    pub fn check(&self) -> Result<(), PracticeError> {
        let mut problems = Vec::new();
        for centre in &self.health_centres {
            let name = centre.contact.name.trim();
            if !centre.contact.is_usable() {
                problems.push(format!("保健所「{name}」の名称と電話番号（またはメールアドレス）"));
            }
            if centre.municipalities.iter().all(|m| m.trim().is_empty()) {
                problems.push(format!("保健所「{name}」の管轄の市区町村"));
            }
        }
        if !self.routed.is_empty() && self.health_centres.is_empty() {
            problems.push("保健所へ案内する用件がありますが、保健所が登録されていません".into());
        }
        if !self.outreach.is_valid() {
            problems.push("要連絡に載せる日数（1〜365日）".into());
        }
        for (i, p) in self.periods.iter().enumerate() {
            if p.window.check().is_err() {
                problems.push(format!(
                    "{}の定期報告期間（開始日が終了日より後）",
                    p.scheme.report_ja()
                ));
            }
            if self.periods[..i].iter().any(|q| q.scheme == p.scheme) {
                problems.push(format!("{}の定期報告期間が二つ", p.scheme.report_ja()));
            }
            if !self.serves(p.scheme) {
                problems.push(format!("扱わない{}の定期報告期間", p.scheme.report_ja()));
            }
        }
        let url = self.self_check_url.trim();
        if !url.is_empty() && (!url.starts_with("https://") || url.contains(char::is_whitespace)) {
            problems.push("セルフチェックのURL（https:// で始まるもの）".into());
        }
        let long = |s: &str, n: usize| s.chars().count() > n || s.chars().any(char::is_control);
        if long(&self.after_deadline, 300) || long(&self.paper_how, 300) || long(url, 500) {
            problems.push("長すぎる文（300字まで）".into());
        }
        match problems.is_empty() {
            true => Ok(()),
            false => Err(PracticeError(problems)),
        }
    }

    /// The facts of [`PRACTICE_FACTS`] as said to `caller` (at `address`, when known): the
    /// deadline of their scheme (of every scheme served while it is not known), the words
    /// after it, how the paper form is had, the self-check link, their 保健所.
    pub fn facts(&self, caller: Caller, address: Option<&str>) -> Vec<(&'static str, String)> {
        let reports: Vec<Scheme> = match caller.scheme() {
            Some(scheme) if self.serves(scheme) => vec![scheme],
            _ => self.schemes().into_iter().filter(|s| *s != Scheme::Kakaritsuke).collect(),
        };
        let dated: Vec<(Scheme, ReportingWindow)> =
            reports.iter().filter_map(|s| self.period(*s).map(|w| (*s, w))).collect();
        let deadline = match dated.as_slice() {
            [] => "都道府県からのご案内にある期限".to_owned(),
            [(_, w)] => crate::era::wareki(w.ends),
            several => several
                .iter()
                .map(|(s, w)| format!("{}は{}", s.report_ja(), crate::era::wareki(w.ends)))
                .collect::<Vec<_>>()
                .join("、"),
        };
        let after = match self.after_deadline.trim() {
            "" => "期限を過ぎてからのご報告の方法を確認いたしまして、こちらから折り返しご連絡いたします。",
            own => own,
        };
        let paper = match self.paper_how.trim() {
            "" => "窓口にお電話いただきましたら、調査票をお送りいたします。",
            own => own,
        };
        let centre = address
            .and_then(|a| self.health_centre_for(a))
            .map(HealthCentre::said)
            .unwrap_or_else(|| {
                let names: Vec<&str> =
                    self.health_centres.iter().map(|c| c.contact.name.trim()).collect();
                match names.as_slice() {
                    [] => "管轄の保健所".to_owned(),
                    _ => format!("管轄の保健所（{}）", names.join("・")),
                }
            });
        vec![
            ("報告期限", deadline),
            ("期限後の扱い", after.to_owned()),
            ("紙の調査票の入手方法", paper.to_owned()),
            ("セルフチェック", self.self_check_url.trim().to_owned()),
            ("管轄の保健所", centre),
        ]
    }

    /// {貴院} and {制度} for `caller`: while it is not known, the words of the one kind of
    /// institution a window serves if it serves one.
    pub fn words(&self, caller: Caller) -> (&'static str, &'static str) {
        let caller = match caller {
            Caller::Unknown if !self.serves(Scheme::Pharmacy) => Caller::Medical,
            Caller::Unknown
                if !self.serves(Scheme::Medical) && !self.serves(Scheme::Kakaritsuke) =>
            {
                Caller::Pharmacy
            }
            known => known,
        };
        caller.words()
    }

    /// The 定期報告 answer for `caller`'s scheme (while it is not known, the first served
    /// one with a period) against `today`.
    pub fn reporting_answer(
        &self,
        caller: Caller,
        today: chrono::NaiveDate,
    ) -> (Option<Scheme>, ReportingAnswer) {
        let scheme = caller.scheme().filter(|s| self.serves(*s)).or_else(|| {
            let dated = self.schemes().into_iter().find(|s| self.period(*s).is_some());
            dated.or_else(|| self.schemes().first().copied())
        });
        (scheme, ReportingAnswer::of(scheme.and_then(|s| self.period(s)), today))
    }
}

/// Who is on the line, as far as the desk knows: it chooses {貴院} and {制度}.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Caller {
    /// No institution linked yet: words that fit any.
    #[default]
    Unknown,
    /// A hospital, clinic or midwifery home (医療機能情報提供制度).
    Medical,
    /// A pharmacy (薬局機能情報提供制度).
    Pharmacy,
}

impl Caller {
    /// The caller's 貴院 and their scheme's name.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Self::Unknown => ("そちら様", "医療機能情報提供制度（薬局の方は薬局機能情報提供制度）"),
            Self::Medical => ("貴院", "医療機能情報提供制度"),
            Self::Pharmacy => ("貴局", "薬局機能情報提供制度"),
        }
    }

    /// The scheme the caller reports under, once known.
    pub fn scheme(self) -> Option<Scheme> {
        match self {
            Self::Unknown => None,
            Self::Medical => Some(Scheme::Medical),
            Self::Pharmacy => Some(Scheme::Pharmacy),
        }
    }

    /// The caller an insurance code points to (its 点数表: 4 is 調剤, a pharmacy).
    pub fn of_code(code: &crate::InsuranceCode) -> Self {
        match code.table() {
            crate::ScoreTable::Pharmacy => Self::Pharmacy,
            _ => Self::Medical,
        }
    }
}

/// Japan's time, for the dates the office counts by (no daylight saving).
pub const JST: chrono::FixedOffset = match chrono::FixedOffset::east_opt(9 * 3600) {
    Some(offset) => offset,
    None => panic!("a valid offset"),
};

/// The 定期報告 window a prefecture sets (dates inclusive, in JST).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportingWindow {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date, example = "2027-01-04"))]
    pub starts: chrono::NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date, example = "2027-03-31"))]
    pub ends: chrono::NaiveDate,
}

/// 要連絡: when the prefecture lists institutions for its window to contact (each left unset
/// is the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct Timing {
    /// 差戻し: listed this many days after the return without a resubmission.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 365))]
    pub returned_after_days: u32,
    /// 未申請: listed from this many days before the 定期報告期間 opens until it ends.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 365))]
    pub not_applied_days_before: u32,
    /// 未報告: listed in the last this many days before the deadline.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 365))]
    pub not_reported_days_before: u32,
}

impl Default for Timing {
    fn default() -> Self {
        Self { returned_after_days: 14, not_applied_days_before: 60, not_reported_days_before: 30 }
    }
}

impl Timing {
    pub fn is_valid(&self) -> bool {
        [self.returned_after_days, self.not_applied_days_before, self.not_reported_days_before]
            .iter()
            .all(|d| (1..=365).contains(d))
    }

    /// Days since `returned_on` if it is time to list it.
    pub fn returned_due(
        &self,
        returned_on: chrono::NaiveDate,
        today: chrono::NaiveDate,
    ) -> Option<i64> {
        let days = (today - returned_on).num_days();
        (days >= i64::from(self.returned_after_days)).then_some(days)
    }

    /// Whether 未申請 institutions are listed now for `window`.
    pub fn not_applied_due(&self, window: ReportingWindow, today: chrono::NaiveDate) -> bool {
        let from = window.starts - chrono::Days::new(u64::from(self.not_applied_days_before));
        from <= today && today <= window.ends
    }

    /// Days left to the deadline if 未報告 institutions are listed now for `window`.
    pub fn not_reported_due(
        &self,
        window: ReportingWindow,
        today: chrono::NaiveDate,
    ) -> Option<i64> {
        let left = (window.ends - today).num_days();
        (today >= window.starts && (0..=i64::from(self.not_reported_days_before)).contains(&left))
            .then_some(left)
    }
}

/// What the 定期報告 branch answers from the window and today's date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ReportingAnswer {
    /// The prefecture has not set a window in 設定.
    NotSet,
    Before {
        starts: chrono::NaiveDate,
        days: i64,
    },
    Open {
        ends: chrono::NaiveDate,
        days_left: i64,
    },
    After {
        ended: chrono::NaiveDate,
    },
}

impl ReportingAnswer {
    pub fn of(window: Option<ReportingWindow>, today: chrono::NaiveDate) -> Self {
        match window {
            None => Self::NotSet,
            Some(w) if today < w.starts => {
                Self::Before { starts: w.starts, days: (w.starts - today).num_days() }
            }
            Some(w) if today > w.ends => Self::After { ended: w.ends },
            Some(w) => Self::Open { ends: w.ends, days_left: (w.ends - today).num_days() },
        }
    }

    /// The answer of the window question (1: 期間の前, 2: 期間内, 3: 過ぎた) the data points to.
    pub fn suggested_choice(self) -> Option<usize> {
        match self {
            Self::NotSet => None,
            Self::Before { .. } => Some(0),
            Self::Open { .. } => Some(1),
            Self::After { .. } => Some(2),
        }
    }

    /// What the officer tells the caller, dates in 令和 as the caller hears them.
    pub fn message_ja(self) -> String {
        let d = crate::era::wareki;
        match self {
            Self::NotSet => {
                "この都道府県の定期報告期間が設定されていません（設定で登録できます）。".into()
            }
            Self::Before { starts, days } => {
                format!("定期報告期間の前です。{}から報告できます（あと{days}日）。", d(starts))
            }
            Self::Open { ends, days_left } => {
                format!("今日は定期報告期間内です（{}まで、残り{days_left}日）。", d(ends))
            }
            // The deadline is the prefecture's own (2月10日, 3月21日 …), not the seed's 3月末;
            // what follows it is the practice's, said by the tree's ending.
            Self::After { ended } => format!(
                "定期報告期間は{}に終わりました。報告の無い機関は、医療情報ネットで最新の情報が公表されません。",
                d(ended)
            ),
        }
    }
}

impl ReportingWindow {
    /// A window must start on or before it ends.
    pub fn new(starts: chrono::NaiveDate, ends: chrono::NaiveDate) -> Option<Self> {
        (starts <= ends).then_some(Self { starts, ends })
    }

    /// The same rule for a window that arrived whole (from the window or a desk's upload).
    pub fn check(self) -> Result<Self, ReportingWindowError> {
        Self::new(self.starts, self.ends).ok_or(ReportingWindowError)
    }
}

/// A 定期報告 window that ends before it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the reporting window starts after it ends")]
pub struct ReportingWindowError;

impl crate::Coded for ReportingWindowError {
    fn code(&self) -> Code {
        Code::ReportingWindow
    }
}
