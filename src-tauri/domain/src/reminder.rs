//! 報告依頼・督促・申請のお願い: what the prefecture sends institutions unasked — a mail
//! through the server, or a printed letter — from its own templates (都道府県の設定) or the
//! national wording here, with the window's contact and the scheme's deadline filled in.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::contact::WindowContact;
use crate::era::wareki;
use crate::practice::Scheme;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    /// 報告依頼: the period is open, please report.
    ReportRequest,
    /// 督促: the deadline is near (or past) and no report is seen.
    Dunning,
    /// 申請のお願い: no G-MIS account; please apply.
    ApplyRequest,
}

impl ReminderKind {
    pub const ALL: [ReminderKind; 3] = [Self::ReportRequest, Self::Dunning, Self::ApplyRequest];

    pub fn name_ja(self) -> &'static str {
        match self {
            Self::ReportRequest => "報告依頼",
            Self::Dunning => "督促",
            Self::ApplyRequest => "申請のお願い",
        }
    }

    /// The national wording: subject and body, with the facts as `{名前}`.
    pub fn national(self) -> (&'static str, &'static str) {
        match self {
            Self::ReportRequest => (
                "【{窓口名}】{報告}の定期報告のお願い",
                "{機関名} ご担当者様\n\n\
                 日頃より{制度}の運営にご協力いただき、ありがとうございます。\n\
                 {報告}の定期報告の期間になりました。\n\
                 医療機関等情報支援システム（G-MIS）から、{報告期限}までにご報告ください。\n\n\
                 ご不明な点は、下記の窓口までお問い合わせください。\n\
                 {窓口名}\n{窓口の連絡先}",
            ),
            Self::Dunning => (
                "【{窓口名}】{報告}の定期報告について（お願い）",
                "{機関名} ご担当者様\n\n\
                 日頃より{制度}の運営にご協力いただき、ありがとうございます。\n\
                 {報告}の定期報告の期限（{報告期限}）が近づいていますが、\n\
                 貴施設からのご報告がまだ確認できていません。\n\
                 お手数ですが、医療機関等情報支援システム（G-MIS）からご報告をお願いします。\n\
                 既にご報告いただいている場合は、行き違いをご容赦ください。\n\n\
                 ご不明な点は、下記の窓口までお問い合わせください。\n\
                 {窓口名}\n{窓口の連絡先}",
            ),
            Self::ApplyRequest => (
                "【{窓口名}】G-MISアカウントの申請のお願い",
                "{機関名} ご担当者様\n\n\
                 日頃より{制度}の運営にご協力いただき、ありがとうございます。\n\
                 {制度}に基づく定期報告は、医療機関等情報支援システム（G-MIS）で行います。\n\
                 貴施設のG-MISアカウントの申請がまだ確認できていません。\n\
                 お手数ですが、G-MISの新規ユーザ登録申請をお願いします。\n\
                 今年度の{報告}の報告期限は{報告期限}です。\n\n\
                 ご不明な点は、下記の窓口までお問い合わせください。\n\
                 {窓口名}\n{窓口の連絡先}",
            ),
        }
    }
}

/// A prefecture's own wording of one kind (都道府県の設定; none set is the national one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReminderTemplate {
    pub kind: ReminderKind,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub subject: String,
    #[cfg_attr(feature = "openapi", schema(max_length = 4000))]
    pub body: String,
}

/// The facts a template may name.
pub const FACTS: [&str; 6] = ["機関名", "制度", "報告", "報告期限", "窓口名", "窓口の連絡先"];

impl ReminderTemplate {
    /// Nothing overlong, and every `{…}` one of [`FACTS`].
    pub fn is_valid(&self) -> bool {
        let names_ok = |s: &str| {
            s.split('{')
                .skip(1)
                .all(|rest| rest.split_once('}').is_some_and(|(name, _)| FACTS.contains(&name)))
        };
        self.subject.chars().count() <= 200
            && self.body.chars().count() <= 4000
            && !self.subject.trim().is_empty()
            && !self.body.trim().is_empty()
            && names_ok(&self.subject)
            && names_ok(&self.body)
    }
}

/// What one institution's reminder is filled with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderFacts<'a> {
    pub institution_name: &'a str,
    pub scheme: Scheme,
    pub deadline: Option<NaiveDate>,
    pub contact: &'a WindowContact,
}

/// Reminders a desk asks the server to mail at once, at most.
pub const MAX_REMINDERS: usize = 500;

/// One reminder to mail: to the address of application `application_id` (the institution's
/// latest the desk holds), with the text the officer previewed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReminderItem {
    /// The 要連絡 entry it is for (the key desks make).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64))]
    pub entry_id: String,
    pub application_id: i64,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub subject: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 4000))]
    pub body: String,
}

/// A desk's reminders, under a key of its own: sent again (an answer lost), the same mails
/// are not queued twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReminderBatch {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64))]
    pub batch_id: String,
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 500))]
    pub items: Vec<ReminderItem>,
}

impl ReminderBatch {
    /// Within the bounds the server keeps.
    pub fn is_well_formed(&self) -> bool {
        let short = |s: &str, n: usize| !s.trim().is_empty() && s.chars().count() <= n;
        short(&self.batch_id, 64)
            && !self.items.is_empty()
            && self.items.len() <= MAX_REMINDERS
            && self.items.iter().all(|i| {
                short(&i.entry_id, 64)
                    && short(&i.subject, 200)
                    && short(&i.body, 4000)
                    && !i.subject.contains(['\r', '\n'])
            })
    }
}

/// What became of one reminder: queued as notice `notice_id`, or refused with `code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReminderQueued {
    pub entry_id: String,
    pub notice_id: Option<i64>,
    /// The error code (E-APP-NOT-FOUND …) of one not queued.
    pub code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReminderAnswer {
    pub results: Vec<ReminderQueued>,
}

/// A reminder as the institution reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Filled {
    pub subject: String,
    pub body: String,
}

/// `kind`'s text for one institution, in the prefecture's wording where it set one.
pub fn fill(kind: ReminderKind, own: &[ReminderTemplate], facts: &ReminderFacts) -> Filled {
    let (subject, body) = match own.iter().find(|t| t.kind == kind) {
        Some(t) => (t.subject.as_str(), t.body.as_str()),
        None => kind.national(),
    };
    let c = facts.contact;
    let mut reach = Vec::new();
    if !c.phone.trim().is_empty() {
        let hours = c.hours.trim();
        reach.push(match hours.is_empty() {
            true => format!("電話：{}", c.phone.trim()),
            false => format!("電話：{}（{hours}）", c.phone.trim()),
        });
    }
    if !c.email.trim().is_empty() {
        reach.push(format!("メール：{}", c.email.trim()));
    }
    let deadline = facts.deadline.map(wareki).unwrap_or_else(|| "定期報告期間の終わり".into());
    let said = |text: &str| {
        text.replace("{機関名}", facts.institution_name.trim())
            .replace("{制度}", facts.scheme.name_ja())
            .replace("{報告}", facts.scheme.report_ja())
            .replace("{報告期限}", &deadline)
            .replace("{窓口名}", c.name.trim())
            .replace("{窓口の連絡先}", &reach.join("\n"))
    };
    Filled { subject: said(subject), body: said(body) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_national_wording_filled_with_the_prefectures_facts() {
        let contact = WindowContact {
            name: "東京都保健医療局 医療政策課".into(),
            phone: "03-5320-4444".into(),
            hours: "平日 9時〜17時".into(),
            email: String::new(),
        };
        let facts = ReminderFacts {
            institution_name: "浜田病院",
            scheme: Scheme::Medical,
            deadline: NaiveDate::from_ymd_opt(2027, 3, 31),
            contact: &contact,
        };
        let f = fill(ReminderKind::Dunning, &[], &facts);
        assert_eq!(
            f.subject,
            "【東京都保健医療局 医療政策課】医療機能情報の定期報告について（お願い）"
        );
        assert!(f.body.starts_with("浜田病院 ご担当者様\n"), "{}", f.body);
        assert!(f.body.contains("期限（令和9年3月31日）"));
        assert!(f.body.ends_with("医療政策課\n電話：03-5320-4444（平日 9時〜17時）"), "{}", f.body);
        assert!(!f.body.contains('{'));
        let own = ReminderTemplate {
            kind: ReminderKind::Dunning,
            subject: "督促 {機関名}".into(),
            body: "{報告期限}まで".into(),
        };
        assert!(own.is_valid());
        assert_eq!(fill(ReminderKind::Dunning, &[own], &facts).subject, "督促 浜田病院");
        let unknown = ReminderTemplate {
            kind: ReminderKind::Dunning,
            subject: "{院長名}".into(),
            body: "x".into(),
        };
        assert!(!unknown.is_valid());
        for kind in ReminderKind::ALL {
            let (subject, body) = kind.national();
            assert!(
                ReminderTemplate { kind, subject: subject.into(), body: body.into() }.is_valid()
            );
        }
    }
}
