//! 要連絡: the institutions the prefecture should contact, each for one fact — a notice that
//! bounced or failed, an application returned and not resubmitted, no application before the
//! 定期報告期間, no report close to its deadline — and 連絡記録, what its desks did about it
//! (synced, so two officers never call the same institution unknowingly).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::delivery::BounceCategory;
use crate::practice::Scheme;
use crate::prefecture::Prefecture;

/// How the window reached (or tried to reach) the institution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContactChannel {
    /// 電話
    Phone,
    /// メール
    Mail,
    /// 郵送
    Post,
}

impl ContactChannel {
    pub fn name_ja(self) -> &'static str {
        match self {
            Self::Phone => "電話",
            Self::Mail => "メール",
            Self::Post => "郵送",
        }
    }
}

/// What came of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContactOutcome {
    /// 伝えた: the institution heard what it needed to.
    Reached,
    /// 対応を約束: it will apply, report or free its mailbox.
    Promised,
    /// 送付済み: a mail or letter went out.
    Sent,
    /// 不在・応答なし: to try again.
    NoAnswer,
    /// 連絡先不明: the number is wrong or gone; a letter is next.
    Unreachable,
}

impl ContactOutcome {
    pub fn name_ja(self) -> &'static str {
        match self {
            Self::Reached => "伝えた",
            Self::Promised => "対応を約束",
            Self::Sent => "送付済み",
            Self::NoAnswer => "不在・応答なし",
            Self::Unreachable => "連絡先不明",
        }
    }

    /// Whether the entry is 連絡済 with it (a missed call leaves it to be tried again).
    pub fn closes(self) -> bool {
        matches!(self, Self::Reached | Self::Promised | Self::Sent)
    }
}

/// One contact made or tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactAttempt {
    pub at: String,
    pub desk: String,
    pub channel: ContactChannel,
    pub outcome: ContactOutcome,
    /// What was said or agreed, for the next officer (no personal data beyond the work).
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub note: String,
    /// The 対応記録 of the call, when the contact was a call logged on a desk.
    pub call_id: Option<String>,
}

/// 連絡記録: one 要連絡 entry as every desk of the prefecture sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactRecord {
    /// The entry's key ([`Reason::entry_id`]): the same on every desk.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 64, pattern = "^[a-z0-9-]+$")
    )]
    pub id: String,
    pub prefecture: Prefecture,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub institution_name: String,
    pub insurance_code: Option<String>,
    /// 対応中: the desk that took the entry to contact it, and since when.
    pub taken_by: Option<String>,
    pub taken_at: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_items = 100))]
    pub attempts: Vec<ContactAttempt>,
    pub updated_at: String,
    /// As [`crate::api::CallRecord::version`].
    #[serde(default)]
    pub version: i64,
}

/// Attempts kept per entry: a few calls and a letter, not a diary.
pub const MAX_ATTEMPTS: usize = 100;

impl ContactRecord {
    /// 連絡済: a contact closed it.
    pub fn done(&self) -> bool {
        self.attempts.iter().any(|a| a.outcome.closes())
    }

    /// Whether it is one the server can keep: a key as [`Reason::entry_id`] makes them, and
    /// nothing overlong.
    pub fn is_well_formed(&self) -> bool {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        id_ok
            && self.institution_name.chars().count() <= 200
            && self.attempts.len() <= MAX_ATTEMPTS
            && self.attempts.iter().all(|a| a.note.chars().count() <= 500 && a.desk.len() <= 100)
    }

    /// This desk's change made again on `theirs` (the server's newer copy): every attempt of
    /// both, in time order, each once; whoever took the entry first keeps it (a desk that
    /// took it meanwhile learns another already had).
    pub fn merged_onto(&self, theirs: &ContactRecord) -> ContactRecord {
        let mut attempts = theirs.attempts.clone();
        for a in &self.attempts {
            if !attempts.contains(a) {
                attempts.push(a.clone());
            }
        }
        attempts.sort_by(|a, b| a.at.cmp(&b.at));
        attempts.truncate(MAX_ATTEMPTS);
        let (taken_by, taken_at) = match &theirs.taken_by {
            Some(_) => (theirs.taken_by.clone(), theirs.taken_at.clone()),
            None if self.done() && !theirs.done() => (None, None),
            None => (self.taken_by.clone(), self.taken_at.clone()),
        };
        ContactRecord { attempts, taken_by, taken_at, version: theirs.version, ..self.clone() }
    }
}

/// Why an institution is on the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// A notice did not arrive: it bounced (with the receiving side's reason) or the relay
    /// refused it for good.
    NoticeUndelivered {
        notice_id: i64,
        /// A reminder (報告依頼・督促…), not a decision's notice.
        reminder: bool,
        bounced: bool,
        category: Option<BounceCategory>,
        diagnostic: Option<String>,
    },
    /// An application came, but its 疎通確認 was never confirmed before the link expired.
    Unconfirmed { application_id: i64, lapsed_on: NaiveDate },
    /// The applicant told the window from the status page (申請状況の確認) that the mail did
    /// not arrive; one entry per day they said it.
    MailMissing { application_id: i64, asked_on: NaiveDate },
    /// 差戻し and not resubmitted after the prefecture's days.
    Returned { application_id: i64, returned_on: NaiveDate, days: i64 },
    /// 未申請: no account and no application, with the 定期報告期間 near or open.
    NotApplied { period_starts: NaiveDate },
    /// 未報告 with the deadline near.
    NotReported { scheme: Scheme, deadline: NaiveDate, days_left: i64 },
}

impl Reason {
    /// The entry's key on every desk: the fact, and for the registry's facts the institution
    /// ([`institution_key`]). Lowercase ASCII, digits and `-`, at most 64 bytes.
    pub fn entry_id(&self, institution: &str) -> String {
        match self {
            Self::NoticeUndelivered { notice_id, .. } => format!("notice-{notice_id}"),
            Self::Returned { application_id, .. } => format!("returned-{application_id}"),
            Self::Unconfirmed { application_id, .. } => format!("unconfirmed-{application_id}"),
            Self::MailMissing { application_id, asked_on } => {
                format!("mail-missing-{application_id}-{asked_on}")
            }
            Self::NotApplied { period_starts } => {
                format!("not-applied-{period_starts}-{institution}")
            }
            Self::NotReported { scheme, deadline, .. } => {
                format!("not-reported-{}-{deadline}-{institution}", scheme_short(*scheme))
            }
        }
    }

    /// The reason as the list says it.
    pub fn said(&self) -> String {
        match self {
            Self::NoticeUndelivered { reminder, bounced, category, .. } => {
                let what = if *reminder {
                    "お知らせメール（報告依頼など）"
                } else {
                    "通知メール"
                };
                match bounced {
                    true => format!(
                        "{what}が届いていません（{}）",
                        category.unwrap_or(BounceCategory::Other).name_ja()
                    ),
                    false => format!("{what}を送信できませんでした（送信サーバーが拒否）"),
                }
            }
            Self::Returned { days, .. } => format!("差戻しから{days}日、再申請がありません"),
            Self::Unconfirmed { .. } => {
                "申請がありましたが、メールアドレスの確認（疎通確認）が期限までにされませんでした"
                    .into()
            }
            Self::NotApplied { .. } => "G-MISのアカウントがなく、申請もありません".into(),
            Self::MailMissing { .. } => {
                "申請者が状況確認ページから「メールが届いていない」と伝えてきました".into()
            }
            Self::NotReported { scheme, days_left, .. } => {
                format!("{}が未報告です（期限まであと{days_left}日）", scheme.report_ja())
            }
        }
    }
}

fn scheme_short(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::Medical => "med",
        Scheme::Pharmacy => "ph",
        Scheme::Kakaritsuke => "kk",
    }
}

/// An institution's part of an entry key: its insurance code, or for one without (助産所) a
/// digest of its name.
pub fn institution_key(insurance_code: Option<&str>, name: &str) -> String {
    match insurance_code {
        Some(code) => code.to_owned(),
        None => {
            // FNV-1a: stable across builds and platforms, unlike std's hasher.
            let digest = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
            });
            format!("n{digest:016x}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, m, d).unwrap()
    }

    #[test]
    fn each_fact_is_listed_in_its_time() {
        use crate::practice::{ReportingWindow, Timing};
        let t = Timing::default();
        let window = ReportingWindow::new(day(1, 4), day(3, 31)).unwrap();
        assert_eq!(t.returned_due(day(1, 1), day(1, 14)), None);
        assert_eq!(t.returned_due(day(1, 1), day(1, 15)), Some(14));
        assert!(!t.not_applied_due(window, NaiveDate::from_ymd_opt(2026, 11, 4).unwrap()));
        assert!(t.not_applied_due(window, NaiveDate::from_ymd_opt(2026, 11, 5).unwrap()));
        assert!(!t.not_applied_due(window, day(4, 1)));
        assert_eq!(t.not_reported_due(window, day(2, 28)), None);
        assert_eq!(t.not_reported_due(window, day(3, 1)), Some(30));
        assert_eq!(t.not_reported_due(window, day(3, 31)), Some(0));
        assert_eq!(t.not_reported_due(window, day(4, 1)), None);
    }

    #[test]
    fn keys_are_the_same_on_every_desk_and_fit_the_server() {
        let not_reported =
            Reason::NotReported { scheme: Scheme::Pharmacy, deadline: day(3, 31), days_left: 3 };
        let key = institution_key(None, "山田助産所");
        assert_eq!(key, institution_key(None, "山田助産所"));
        assert_ne!(key, institution_key(None, "田中助産所"));
        let id = not_reported.entry_id(&key);
        assert!(id.starts_with("not-reported-ph-2027-03-31-n") && id.len() <= 64, "{id}");
        let notice = Reason::NoticeUndelivered {
            notice_id: 7,
            reminder: false,
            bounced: true,
            category: Some(BounceCategory::MailboxFull),
            diagnostic: None,
        };
        assert_eq!(notice.entry_id("1310112342"), "notice-7");
        assert_eq!(notice.said(), "通知メールが届いていません（メールボックスの容量超過）");
        let asked = Reason::MailMissing { application_id: 12, asked_on: day(3, 2) };
        assert_eq!(asked.entry_id("1310112342"), "mail-missing-12-2027-03-02", "one a day");
        let record = ContactRecord {
            id,
            prefecture: "13".parse().unwrap(),
            institution_name: "山田助産所".into(),
            insurance_code: None,
            taken_by: None,
            taken_at: None,
            attempts: vec![],
            updated_at: String::new(),
            version: 0,
        };
        assert!(record.is_well_formed() && !record.done());
        // Two desks on one version: the first to take it keeps it; both attempts stay.
        let attempt = |desk: &str, at: &str, outcome| ContactAttempt {
            at: at.into(),
            desk: desk.into(),
            channel: ContactChannel::Phone,
            outcome,
            note: String::new(),
            call_id: None,
        };
        let theirs = ContactRecord {
            taken_by: Some("desk-a".into()),
            attempts: vec![attempt("desk-a", "2027-01-05T10:00:00Z", ContactOutcome::NoAnswer)],
            version: 3,
            ..record.clone()
        };
        let ours = ContactRecord {
            taken_by: Some("desk-b".into()),
            attempts: vec![attempt("desk-b", "2027-01-05T09:00:00Z", ContactOutcome::Reached)],
            version: 2,
            ..record.clone()
        };
        let merged = ours.merged_onto(&theirs);
        assert_eq!((merged.taken_by.as_deref(), merged.version), (Some("desk-a"), 3));
        assert_eq!(merged.attempts.len(), 2);
        assert_eq!(merged.attempts[0].desk, "desk-b", "in time order");
        assert!(merged.done());
        assert!(!ContactRecord { id: "Notice/7".into(), ..record }.is_well_formed());
    }
}
