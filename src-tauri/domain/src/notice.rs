//! 通知メール: the mails a decision sends, built from the central system's templates (the
//! seed's アカウント発行通知メール and 既存アカウント通知メール) and the application's data.
//! Neither can be resent, so the officer sees exactly this text before confirming.

use serde::{Deserialize, Serialize};

use crate::application::{RejectReason, ReturnReason};
use crate::contact::WindowContact;
use crate::form::ApplicationForm;
use crate::Prefecture;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// アカウント発行通知メール
    Issuance,
    /// 既存アカウント通知メール
    ExistingAccount,
    /// 差戻しのお知らせ
    Returned,
    /// 却下のお知らせ
    Rejected,
    /// メールアドレスの確認（疎通確認）: sent before an application enters the queue.
    AddressCheck,
    /// 報告依頼・督促・申請のお願い: the prefecture's reminder to the address of one of the
    /// institution's applications (see `reminder`).
    Reminder,
}

impl NoticeKind {
    pub fn name_ja(self) -> &'static str {
        match self {
            Self::Issuance => "アカウント発行通知メール",
            Self::ExistingAccount => "既存アカウント通知メール",
            Self::Returned => "差戻しのお知らせ",
            Self::Rejected => "却下のお知らせ",
            Self::AddressCheck => "メールアドレス確認のお願い",
            Self::Reminder => "お知らせメール（報告依頼など）",
        }
    }
}

/// What a notice says beyond the application itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeFacts<'a> {
    Issuance {
        login_id: &'a str,
        password_link: &'a str,
    },
    ExistingAccount {
        login_id: &'a str,
        application_number: &'a str,
        prefecture_address: &'a str,
    },
    /// 差戻し and 却下 come from the prefecture: they name it and the 申請番号. A returned
    /// application comes back through its one-time link to the page, filled as it was sent.
    Returned {
        reason: ReturnReason,
        note: Option<&'a str>,
        application_number: &'a str,
        resubmit_link: &'a str,
    },
    Rejected {
        reason: RejectReason,
        note: Option<&'a str>,
        application_number: &'a str,
    },
}

/// The prefecture window an applicant is sent to, with its contact if the prefecture set one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window<'a> {
    pub prefecture: Prefecture,
    pub contact: Option<&'a WindowContact>,
    /// The status page's address (申請状況の確認), where the applicant can look before calling.
    pub status_page: &'a str,
}

/// How long a 差戻し mail's resubmission link stays good.
pub const RESUBMIT_DAYS: i64 = 30;

/// How long a 疎通確認 link stays good.
pub const ADDRESS_CHECK_HOURS: i64 = 24;

/// The 疎通確認 mail of application `number`, whose status page is at `status_page`. It
/// greets no one by name and repeats nothing the applicant typed: the address is not yet
/// known to be theirs.
pub fn address_check(link: &str, number: i64, status_page: &str) -> (String, String) {
    (
        "【G-MIS】新規ユーザ登録申請 メールアドレス確認のお願い".into(),
        format!(
            "G-MISの新規ユーザ登録申請で、このメールアドレスが連絡先として入力されました。\n\n\
             お申し込みの方は、{ADDRESS_CHECK_HOURS}時間以内に次のURLを開き、表示されるボタンを押して、メールアドレスを確認してください。\n\
             確認が済むと、申請が管轄の都道府県の窓口に届き、審査が始まります。\n\n{link}\n\n\
             申請番号：{number:014}\n{}\n\n\
             お心当たりのない場合は、このメールを破棄してください。URLを開かなければ申請は窓口に届かず、\
             {ADDRESS_CHECK_HOURS}時間後に削除されます。\n\n{}",
            crate::status_page::mail_line(status_page),
            footer(&[MEDICAL_URL, PHARMACY_URL])
        ),
    )
}

/// What copies of an issuance notice say in place of its password-setting link: the link is
/// only ever in the mail itself.
pub const LINK_SENT: &str = "（パスワード設定用のURL：ご本人宛のメールでのみお送りしています）";
/// The same for a 差戻し mail's resubmission link: it opens the application as sent.
pub const RESUBMIT_LINK_SENT: &str = "（再申請用のURL：ご本人宛のメールでのみお送りしています）";

/// What a sent notice's stored copy says in place of a link that carried a token.
pub const LINK_REMOVED: &str = "（URL：送信済みのため、控えからは削除しました）";

/// `body` without its token-bearing links (疎通確認 `?t=`, 再申請 `?r=`, password setting
/// `?c=`): each such line becomes [`LINK_REMOVED`]. The mail as sent had them; the stored
/// copy need not, once it went.
pub fn without_links(body: &str) -> String {
    body.lines()
        .map(|line| {
            let linked =
                line.contains("https://") && ["?t=", "?r=", "?c="].iter().any(|q| line.contains(q));
            if linked {
                LINK_REMOVED
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The sender every notice names.
pub const SENDER: &str = "G-MIS事務局 <info@g-mis.net>";
const LOGIN_URL: &str = "https://www.med-login.mhlw.go.jp/s/login/";
const FORM_URL: &str = "https://www.g-mis.mhlw.go.jp/user-Registration-Form";
const NO_REPLY: &str = "※このメールは送信専用のメールアドレスから配信されています。\nご返信いただいてもお答えできませんのでご了承ください。";
const MEDICAL_URL: &str = "■医療機能情報提供制度 https://www.mhlw.go.jp/stf/seisakunitsuite/bunya/kenkou_iryou/iryou/teikyouseido/index.html";
const PHARMACY_URL: &str = "■薬局機能情報提供制度 https://www.mhlw.go.jp/stf/seisakunitsuite/bunya/kenkou_iryou/iyakuhin/kino_ujohou/index.html";

/// The no-reply note and the MHLW pages of the schemes named (both, or the institution's own).
fn footer(urls: &[&str]) -> String {
    format!("{NO_REPLY}\n\n<厚生労働省ホームページ>\n{}", urls.join("\n"))
}

/// The scheme an institution reports under, and its MHLW page.
fn scheme(form: &ApplicationForm) -> (&'static str, &'static str) {
    match form.kind {
        crate::InstitutionKind::Pharmacy => ("薬局機能情報提供制度", PHARMACY_URL),
        _ => ("医療機能情報提供制度", MEDICAL_URL),
    }
}

/// The window's contact as a mail lists it; nothing when the prefecture set none.
fn contact_lines(window: &Window<'_>) -> String {
    let Some(c) = window.contact else { return String::new() };
    let mut lines = format!("\n\n【{}の窓口】\n{}", window.prefecture.name_ja(), c.name.trim());
    if !c.phone.trim().is_empty() {
        lines.push_str(&format!("\n電話：{}", c.phone.trim()));
    }
    if !c.hours.trim().is_empty() {
        lines.push_str(&format!("\n受付時間：{}", c.hours.trim()));
    }
    if !c.email.trim().is_empty() {
        lines.push_str(&format!("\nメール：{}", c.email.trim()));
    }
    lines
}

/// Where the applicant asks: the prefecture's window of the scheme the institution reports under.
fn ask_the_window(window: &Window<'_>, form: &ApplicationForm) -> String {
    format!(
        "ご不明な点は、{}の「{}」の窓口までお問い合わせください。{}",
        window.prefecture.name_ja(),
        scheme(form).0,
        contact_lines(window)
    )
}

/// Subject and body of a notice to the applicant of `form`, whose prefecture's window is
/// `window`.
pub fn render(
    form: &ApplicationForm,
    window: &Window<'_>,
    facts: &NoticeFacts<'_>,
) -> (NoticeKind, String, String) {
    let contact = contact_lines(window);
    let greeting = format!("{} ご担当者様\n\n", form.name.trim());
    let (scheme, scheme_url) = scheme(form);
    let both = footer(&[MEDICAL_URL, PHARMACY_URL]);
    let status = crate::status_page::mail_line(window.status_page);
    match facts {
        NoticeFacts::Issuance { login_id, password_link } => (
            NoticeKind::Issuance,
            "【厚生労働省G-MIS事務局】G-MISのご利用準備完了に伴うパスワード登録のご依頼".into(),
            format!(
                "{greeting}こちらは「医療機能・薬局機能情報提供制度」のオンライン報告を行う為に、G-MISに新規登録された貴機関のユーザに対してパスワード設定を行う為のメールです。\n\n\
                 ※本システムのご案内の通知は、以下、何れかの申請に基づき発行されました。\n\
                 ・貴機関の方からG-MIS新規ユーザ登録申請を実施いただいた。（この場合、申請内容を管轄の都道府県で承認していただいております）\n\
                 ・管轄の都道府県から貴機関に対するG-MIS新規ユーザ登録の申請をいただいた。\n\n\
                 「医療機能・薬局機能情報提供制度」の報告業務についてお心当たりが無い場合や、既にG-MISのユーザ名（ログインID）・パスワードをお持ちで本メールを受領されました場合、お手数ではございますが、以下のユーザ名（ログインID）でログインいただく前に管轄の都道府県の「医療機能・薬局機能情報提供制度」の窓口までご連絡ください。{contact}\n\n\
                 G-MISへようこそ！\nシステムをご利用するには {password_link} にアクセスし、パスワードを設定してください。\n\n\
                 ユーザ名（ログインID）：{login_id}\n\n2回目以降のアクセスはこちらから {LOGIN_URL}\n\nよろしくお願い申し上げます。\n\n\
                 なお、オンライン報告は開始時期が都道府県により異なります。定期報告の開始時期については管轄の都道府県から追ってご連絡をいたします。\
                 また、医療機能・薬局機能情報提供制度の概要については、厚生労働省の下記URLのページで説明しております。\n\n\
                 ※このメールはお手元に保管してください（再送はできません）。\n\n{status}\n\n{both}"
            ),
        ),
        NoticeFacts::ExistingAccount { login_id, application_number, prefecture_address } => (
            NoticeKind::ExistingAccount,
            "【厚生労働省G-MIS事務局】報告機関内でのG-MISご利用者の確認依頼".into(),
            format!(
                "{greeting}G-MIS新規ユーザ登録申請に基づき、貴機関にG-MISユーザが発行済みであることを確認させていただきました。 [申請番号：{application_number}]\n\n\
                 報告機関名：{name}\n住所：{prefecture_address}\n貴機関でご利用中のユーザ名（ログインID）：{login_id}\n\n\
                 上記の内容についてお心当たりが無い場合、お手数ではございますが管轄の都道府県の「{scheme}」の窓口へご連絡ください。{contact}\n\n\
                 貴機関につきましては、既にユーザ名（ログインID）が発行済みでG-MISをご利用いただいております。既存で発行済みのユーザに対しては{scheme}をご利用できる権限を追加しております。オンライン報告では、そちらのユーザから報告を行ってください。\n\n\
                 なお、オンライン報告は開始時期が都道府県により異なります。定期報告の開始時期については管轄の都道府県から追ってご連絡をいたします。\
                 また、{scheme}の概要については、厚生労働省の下記URLのページで説明しております。\n\n{status}\n\n{}",
                footer(&[scheme_url]),
                name = form.name.trim()
            ),
        ),
        NoticeFacts::Returned { reason, note, application_number, resubmit_link } => (
            NoticeKind::Returned,
            format!(
                "【{}】G-MIS新規ユーザ登録申請の内容確認のお願い（差戻し）",
                window.prefecture.name_ja()
            ),
            format!(
                "{greeting}G-MIS新規ユーザ登録申請 [申請番号：{application_number}] を確認しましたところ、次の点について修正が必要です。\n\n\
                 理由：{}\n{}\n\
                 お手数ですが、次のURLを開き、申請内容を修正して再申請してください。前回お送りいただいた内容が入力された画面が開きます。                 このURLは{RESUBMIT_DAYS}日以内に一度だけ使えます。\n{resubmit_link}\n\n\
                 期限を過ぎた場合は、新規ユーザ登録申請の画面からもう一度申請してください。\n{FORM_URL}\n\n\
                 {}\n\n{status}\n\n{both}",
                reason.name_for(form.kind),
                note.map(|n| format!("補足：{n}\n")).unwrap_or_default(),
                ask_the_window(window, form)
            ),
        ),
        NoticeFacts::Rejected { reason, note, application_number } => (
            NoticeKind::Rejected,
            format!("【{}】G-MIS新規ユーザ登録申請の結果について", window.prefecture.name_ja()),
            format!(
                "{greeting}G-MIS新規ユーザ登録申請 [申請番号：{application_number}] について審査しました結果、次の理由によりアカウントを発行できませんでした。\n\n\
                 理由：{}\n{}\n\
                 {}\n\n{status}\n\n{both}",
                reason.name_ja(),
                note.map(|n| format!("補足：{n}\n")).unwrap_or_default(),
                ask_the_window(window, form)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InstitutionKind;

    fn pharmacy() -> ApplicationForm {
        ApplicationForm {
            kind: InstitutionKind::Pharmacy,
            institution_code: "1300001".into(),
            insurance_code: Some("1341000011".into()),
            name: "ひまわり薬局".into(),
            kana: "ヒマワリヤッキョク".into(),
            postal_code: "100-0001".into(),
            address: "東京都千代田区千代田1-1".into(),
            building: String::new(),
            phone: "03-1234-5678".into(),
            department: String::new(),
            department_number: String::new(),
            contact_name: "薬局 太郎".into(),
            email: "info@himawari.example.jp".into(),
        }
    }

    #[test]
    fn the_seeds_paragraphs_and_the_pharmacys_own_scheme() {
        let existing = NoticeFacts::ExistingAccount {
            login_id: "ph0001",
            application_number: "00000000000042",
            prefecture_address: "東京都千代田区千代田1-1",
        };
        let window = Window {
            prefecture: Prefecture::from_number(13).unwrap(),
            contact: None,
            status_page: "https://gmis.example/status",
        };
        let (_, _, body) = render(&pharmacy(), &window, &existing);
        assert!(
            body.contains("「薬局機能情報提供制度」の窓口")
                && !body.contains("「医療機能情報提供制度」")
        );
        assert!(
            body.contains("定期報告の開始時期については管轄の都道府県から追ってご連絡をいたします")
        );
        assert!(body.ends_with(PHARMACY_URL), "the pharmacy's page only: {body}");
        assert!(body.contains("次のページで確認できます（申請番号とメールアドレスを入力）。\nhttps://gmis.example/status"));
        let issuance = NoticeFacts::Issuance { login_id: "ph0001", password_link: "https://x" };
        let (_, _, body) = render(&pharmacy(), &window, &issuance);
        assert!(body.contains("申請内容を管轄の都道府県で承認していただいております"));
        assert!(body.contains("厚生労働省の下記URLのページで説明しております"));
        assert!(body.contains(MEDICAL_URL) && body.contains(PHARMACY_URL));
    }

    #[test]
    fn a_return_names_the_prefecture_its_number_its_link_and_the_windows_contact() {
        let contact = WindowContact {
            name: "東京都保健医療局 医療政策課".into(),
            phone: "03-5320-4448".into(),
            hours: "平日 9時〜17時".into(),
            email: String::new(),
        };
        let window = Window {
            prefecture: Prefecture::from_number(13).unwrap(),
            contact: Some(&contact),
            status_page: "https://gmis.example/status",
        };
        let returned = NoticeFacts::Returned {
            reason: ReturnReason::InsuranceCodeWrong,
            note: None,
            application_number: "00000000000042",
            resubmit_link: "https://apply.example/apply?r=abc",
        };
        let (kind, subject, body) = render(&pharmacy(), &window, &returned);
        assert_eq!(kind, NoticeKind::Returned);
        assert!(subject.starts_with("【東京都】"), "{subject}");
        assert!(body.contains("[申請番号：00000000000042]"));
        assert!(body.contains("https://apply.example/apply?r=abc\n"));
        let kept = without_links(&body);
        assert!(!kept.contains("r=abc") && kept.contains(LINK_REMOVED), "{kept}");
        assert!(body.contains("【東京都の窓口】\n東京都保健医療局 医療政策課\n電話：03-5320-4448\n受付時間：平日 9時〜17時"));
        assert!(!body.contains("メール：") && body.contains("「薬局機能情報提供制度」の窓口"));
        assert!(body.contains("理由：保険薬局コードの誤り"), "{body}");
        let unset = Window { contact: None, ..window };
        let (_, _, body) = render(&pharmacy(), &unset, &returned);
        assert!(
            !body.contains("【東京都の窓口】")
                && body.contains("東京都の「薬局機能情報提供制度」の窓口")
        );
    }
}
