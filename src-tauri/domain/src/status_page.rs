//! 申請状況の確認: what the public status page tells an applicant about their own application
//! — where it stands and what became of each mail, in the words a caller understands, with
//! what to do next. Only what the applicant typed or the prefecture decided: never a login ID,
//! never a link that acts for them.

use serde::{Deserialize, Serialize};

use crate::delivery::{BounceCategory, Delivery, DeliveryState};
use crate::ApplicationStatus;

/// The page's path on the server, named on the success page, in the 疎通確認 mail and in every
/// notice.
pub const PATH: &str = "/status";

/// What the applicant did on the status page, for the desks (it travels with the application).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct StatusPageUse {
    /// When the applicant last read the page (RFC 3339, UTC).
    pub looked_at: Option<String>,
    /// When the applicant last told the window, from the page, that the mail did not arrive
    /// (at most once a day).
    pub mail_missing_at: Option<String>,
}

/// The line a mail adds so the applicant can look before calling.
pub fn mail_line(page: &str) -> String {
    format!("申請の状況とメールの送信結果は、次のページで確認できます（申請番号とメールアドレスを入力）。\n{page}")
}

/// Where an application stands, as the page says it. `confirmed`: its 疎通確認 was done (or
/// it never needed one).
pub fn standing(status: ApplicationStatus, confirmed: bool) -> &'static str {
    use ApplicationStatus as S;
    if !confirmed {
        return "メールアドレスの確認待ち";
    }
    match status {
        S::Submitted => "受付済み・確認待ち",
        S::InReview => "審査中",
        S::ApprovedNewAccount | S::ApprovedExistingAccount => "承認済み",
        S::ReturnedForCorrection => "差戻し",
        S::Rejected => "却下",
        S::Resubmitted => "差戻し（再申請済み）",
    }
}

/// What the applicant can do while the application stands so; `within` is the waiting time
/// the prefecture set (発行までの期間).
pub fn standing_advice(status: ApplicationStatus, confirmed: bool, within: &str) -> String {
    use ApplicationStatus as S;
    if !confirmed {
        return "確認のメールに書かれたURLを開き、表示されるボタンを押してください。押すまで申請は窓口に届きません。".into();
    }
    match status {
        S::Submitted | S::InReview => {
            format!("窓口で審査しています。結果はメールでお知らせします。目安は{within}です。")
        }
        S::ApprovedNewAccount | S::ApprovedExistingAccount => {
            "承認しました。ログインIDは、お知らせのメールでのみお伝えしています。".into()
        }
        S::ReturnedForCorrection => {
            "修正が必要な点があります。差戻しのメールに書かれたURLから、修正して再申請してください。".into()
        }
        S::Rejected => "アカウントは発行されませんでした。理由は次のとおりです。".into(),
        S::Resubmitted => "修正した申請を受け付けました。新しい申請番号で状況をご確認ください。".into(),
    }
}

/// The 差戻し mail's resubmission link, as the page may speak of it (never the link itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResubmitLink {
    /// Usable until this date (as the page prints it).
    Open {
        until: String,
    },
    Expired,
    /// Used: the corrected application replaced this one.
    Used,
}

impl ResubmitLink {
    pub fn words(&self) -> String {
        match self {
            Self::Open { until } => format!("再申請用のURLは{until}まで使えます（一度だけ）。"),
            Self::Expired => "再申請用のURLは期限が過ぎました。新規ユーザ登録申請の画面から、もう一度申請してください。".into(),
            Self::Used => "再申請用のURLは使用済みです（再申請を受け付けました）。".into(),
        }
    }
}

/// A mail's fate in the caller's words, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailWords {
    pub state: &'static str,
    pub advice: String,
}

/// What became of a mail with `delivery`, for an applicant whose notices come from `sender`.
pub fn mail_words(delivery: &Delivery, sender: &str) -> MailWords {
    use BounceCategory as B;
    use DeliveryState as D;
    let words = |state, advice: String| MailWords { state, advice };
    match (delivery.state, delivery.category) {
        (D::Queued, _) => words(
            "送信待ち",
            "まもなく送信されます。しばらくしてから、もう一度ご確認ください。".into(),
        ),
        (D::Sent | D::Delivered, _) => words(
            "送信済み",
            format!("迷惑メールフォルダをご確認ください。{sender} からのメールを受け取れるよう、受信を許可する差出人に加えてください。"),
        ),
        (D::Deferred, _) => words(
            "遅延",
            "受け取る側のメールサーバーが受け取りを保留しています。多くは数時間から1日ほどで届きます。2日たっても届かないときは、窓口にご連絡ください。".into(),
        ),
        (D::Bounced | D::Failed, Some(B::MailboxFull)) => words(
            "不達（容量超過）",
            "メールボックスの容量がいっぱいで届きませんでした。不要なメールを削除して容量を空けてから、窓口にご連絡ください。".into(),
        ),
        (D::Bounced | D::Failed, Some(B::NoSuchUser)) => words(
            "不達（アドレス誤り）",
            "このメールアドレスには届きませんでした（アドレスが存在しません）。窓口にご連絡ください。".into(),
        ),
        (D::Bounced | D::Failed, Some(B::Rejected)) => words(
            "不達（受信拒否）",
            format!("受け取る側で拒否されました。{sender} からのメールを受け取れるよう設定してから、窓口にご連絡ください。"),
        ),
        (D::Bounced | D::Failed, _) => {
            words("不達", "届きませんでした。窓口にご連絡ください。".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DeliveryEvent;

    fn delivery(state: DeliveryState, category: Option<BounceCategory>) -> Delivery {
        let mut d = Delivery::queued("t0");
        d.apply(DeliveryEvent { state: DeliveryState::Sent, ..Default::default() }).unwrap();
        if state != DeliveryState::Sent {
            d.apply(DeliveryEvent { state, category, ..Default::default() }).unwrap();
        }
        d
    }

    #[test]
    fn each_fate_has_its_words_and_its_advice() {
        let sender = "info@g-mis.example";
        let full = mail_words(
            &delivery(DeliveryState::Bounced, Some(BounceCategory::MailboxFull)),
            sender,
        );
        assert_eq!(full.state, "不達（容量超過）");
        assert!(full.advice.contains("容量を空けてから、窓口に"));
        let sent = mail_words(&delivery(DeliveryState::Sent, None), sender);
        assert!(sent.advice.contains("迷惑メールフォルダ") && sent.advice.contains(sender));
        let wrong =
            mail_words(&delivery(DeliveryState::Bounced, Some(BounceCategory::NoSuchUser)), sender);
        assert_eq!(wrong.state, "不達（アドレス誤り）");
        assert_eq!(mail_words(&delivery(DeliveryState::Deferred, None), sender).state, "遅延");
        assert_eq!(mail_words(&Delivery::queued("t0"), sender).state, "送信待ち");
    }

    #[test]
    fn an_unconfirmed_application_waits_for_its_address_whatever_its_status() {
        assert_eq!(standing(ApplicationStatus::Submitted, false), "メールアドレスの確認待ち");
        assert_eq!(standing(ApplicationStatus::Submitted, true), "受付済み・確認待ち");
        assert!(standing_advice(ApplicationStatus::InReview, true, "1〜2週間").contains("1〜2週間"));
        assert!(!standing_advice(ApplicationStatus::ApprovedNewAccount, true, "").contains("http"));
    }
}
