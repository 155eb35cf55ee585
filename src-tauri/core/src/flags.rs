//! 検証フラグ: what an officer should look at before deciding a 新規ユーザ登録申請 — each
//! with a code the UI branches on, a Japanese explanation, and where one exists the fix to
//! apply or the 差戻し reason to use.

use madoguchi_domain::api::Application;
use std::collections::HashMap;

use madoguchi_domain::form::{email_shape_ok, email_typo_fix, phone_shape_ok};
use madoguchi_domain::free_mail::{free_mail_domain, mail_domain};
use madoguchi_domain::Code;
use madoguchi_domain::{
    ApplicationStatus, InstitutionKind, InsuranceCode, PostalCode, Prefecture, ReturnReason,
};
use madoguchi_registry::fold::{fold, split_name};
use serde::Serialize;

use crate::applications::{existing_account, KnownAccount};
use crate::registry::listing::{checked_code, Listing};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Flag {
    pub code: Code,
    pub message: String,
    /// A corrected value the officer can take over, if there is one.
    pub fix: Option<String>,
    /// The 差戻し reason that fits, if the officer returns the application for this.
    pub return_reason: Option<ReturnReason>,
}

/// What the flags are checked against.
pub struct FlagContext<'a> {
    /// The registry's rows for the applications flagged; None while nothing is imported.
    pub registry: Option<&'a Listing>,
    pub accounts: &'a [KnownAccount],
    /// The open applications by institution, built once for a whole queue.
    pub open: &'a OpenApplications,
}

/// Applications by institution (insurance code, and prefecture + 機関コード), built once for a
/// whole queue: the open (未処理) ones, and the approved ones with the address each used.
#[derive(Debug, Default)]
pub struct OpenApplications {
    open: ByInstitution<i64>,
    approved: ByInstitution<(i64, String)>,
}

#[derive(Debug)]
struct ByInstitution<T> {
    by_code: HashMap<String, Vec<T>>,
    by_institution_code: HashMap<(Prefecture, String), Vec<T>>,
}

impl<T> Default for ByInstitution<T> {
    fn default() -> Self {
        Self { by_code: HashMap::new(), by_institution_code: HashMap::new() }
    }
}

fn insurance_code(app: &Application) -> Option<InsuranceCode> {
    app.form.insurance_code.as_deref().and_then(|c| c.parse::<InsuranceCode>().ok())
}

impl<T: Clone> ByInstitution<T> {
    fn add(&mut self, app: &Application, item: T) {
        if let Some(code) = insurance_code(app) {
            self.by_code.entry(code.digits()).or_default().push(item.clone());
        }
        let institution_code = app.form.institution_code.trim();
        if !institution_code.is_empty() {
            self.by_institution_code
                .entry((app.prefecture, institution_code.to_owned()))
                .or_default()
                .push(item);
        }
    }

    /// Everything kept for the institution of `app` (by either key).
    fn of<'a>(
        &'a self,
        app: &Application,
        code: Option<InsuranceCode>,
    ) -> impl Iterator<Item = &'a T> {
        let by_code = code.and_then(|c| self.by_code.get(&c.digits()));
        let by_institution = self
            .by_institution_code
            .get(&(app.prefecture, app.form.institution_code.trim().to_owned()));
        by_code.into_iter().chain(by_institution).flatten()
    }
}

impl OpenApplications {
    pub fn new<'a>(applications: impl IntoIterator<Item = &'a Application>) -> Self {
        let mut all = Self::default();
        for app in applications {
            if is_open(app.status) {
                all.open.add(app, app.id);
            } else if app.status.is_approved() {
                all.approved.add(app, (app.id, app.form.email.trim().to_owned()));
            }
        }
        all
    }

    /// The other open applications of the same institution as `app`.
    fn others(&self, app: &Application, code: Option<InsuranceCode>) -> Vec<i64> {
        let mut ids: Vec<i64> =
            self.open.of(app, code).copied().filter(|id| *id != app.id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The addresses the institution of `app` was approved with before, newest first.
    fn earlier_addresses(
        &self,
        app: &Application,
        code: Option<InsuranceCode>,
    ) -> Vec<(i64, &str)> {
        let mut earlier: Vec<(i64, &str)> = self
            .approved
            .of(app, code)
            .filter(|(id, _)| *id != app.id)
            .map(|(id, email)| (*id, email.as_str()))
            .collect();
        earlier.sort_unstable_by(|a, b| b.cmp(a));
        earlier.dedup();
        earlier
    }
}

/// 一括承認 to a stranger: anyone can copy an institution's public data and apply with a
/// free-mail address, and the 疎通確認 proves only that they read it. An address the
/// institution was approved with before is its own; a free-mail one, or a domain other than
/// the one it used before, is flagged (and so left out of bulk approval).
fn unrelated_address(app: &Application, email: &str, earlier: &[(i64, &str)]) -> Option<Flag> {
    if earlier.iter().any(|(_, e)| e.eq_ignore_ascii_case(email)) {
        return None;
    }
    let check = "台帳の電話番号で機関に確かめてから承認してください。一括承認の対象外です。";
    if let Some(free) = free_mail_domain(email) {
        return Some(flag(
            Code::FlagEmailUnrelated,
            format!("フリーメール・携帯・プロバイダのアドレス（@{free}）で、{}のものか確かめられません。{check}", app.form.name),
            None,
        ));
    }
    let domain = mail_domain(email)?;
    let (id, before) = earlier.first()?;
    let before = mail_domain(before)?;
    (!earlier.iter().any(|(_, e)| mail_domain(e).as_deref() == Some(domain.as_str()))).then(|| {
        flag(
            Code::FlagEmailUnrelated,
            format!("この機関が以前の申請（申請番号 {id}）で使ったドメイン（@{before}）と異なります（@{domain}）。{check}"),
            None,
        )
    })
}

fn flag(code: Code, message: impl Into<String>, reason: Option<ReturnReason>) -> Flag {
    Flag { code, message: message.into(), fix: None, return_reason: reason }
}

fn is_open(status: ApplicationStatus) -> bool {
    matches!(
        status,
        ApplicationStatus::Submitted
            | ApplicationStatus::InReview
            | ApplicationStatus::ReturnedForCorrection
    )
}

/// Whether two names are the same institution's: one distinctive part contains the other.
fn same_name(ours: &str, theirs: &str) -> bool {
    let (ours, theirs) = (split_name(ours).distinctive, split_name(theirs).distinctive);
    ours.contains(&theirs) || theirs.contains(&ours)
}

/// The flag for an address that does not start as the registry's (`listed`) does.
fn address_differs(app: &Application, listed: &str) -> Option<Flag> {
    let pref_name = app.prefecture.name_ja();
    // The lists print addresses without the prefecture, mostly: compare both without.
    let bare = |a: &str| fold(a.trim().strip_prefix(pref_name).unwrap_or(a.trim()));
    let (ours, theirs) = (bare(&app.form.address), bare(listed));
    let head = |s: &str| s.chars().take(6).collect::<String>();
    (!ours.starts_with(&head(&theirs))).then(|| {
        flag(
            Code::FlagAddressMismatch,
            format!("住所が台帳（{pref_name}{listed}）と異なります。"),
            Some(ReturnReason::AddressWrong),
        )
    })
}

/// A 助産所 has no insurance code: it is looked for by name among the prefecture's listed
/// ones (医療情報ネット's 助産所 list), and flagged when it is not there — anyone could
/// otherwise apply as a 助産所 that does not exist without a single flag.
fn maternity_home(app: &Application, registry: &Listing) -> Option<Flag> {
    let unlisted = |message: String| Some(flag(Code::FlagMaternityUnlisted, message, None));
    let Some(listed) = registry.maternity_homes_named(app.prefecture, &app.form.name) else {
        return unlisted(
            "台帳に助産所の一覧（医療情報ネットの助産所のファイル）が取り込まれていないため、この助産所を照合できません。".into(),
        );
    };
    match listed.first() {
        None => unlisted(format!(
            "助産所「{}」は{}の台帳にありません（開設直後か、名称の誤りの可能性）。開設の届出を確かめてから承認してください。",
            app.form.name,
            app.prefecture.name_ja()
        )),
        Some(first) if listed.iter().all(|row| address_differs(app, &row.address).is_some()) => {
            address_differs(app, &first.address)
        }
        Some(_) => None,
    }
}

/// Every flag of `app`, in the order the officer reads the form.
pub fn flags(app: &Application, ctx: &FlagContext<'_>) -> Vec<Flag> {
    let form = &app.form;
    let mut out = Vec::new();
    let code_text = form.insurance_code.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let code_name = form.kind.code_name_ja();
    let code = checked_code(app);
    match (code_text, code) {
        (Some(text), None) => out.push(flag(
            Code::FlagCodeCheck,
            format!("{code_name}「{text}」の検証番号が合いません。公表されているコードにも検証番号が合わないものがあります。指定通知や台帳で確かめてから承認してください。"),
            Some(ReturnReason::InsuranceCodeWrong),
        )),
        (None, _) if form.kind != InstitutionKind::MaternityHome => out.push(flag(
            Code::FlagCodeMissing,
            match form.kind {
                InstitutionKind::Pharmacy => format!("{code_name}がありません。保険薬局の指定を受けていない薬局か、入力漏れかを確かめてから承認してください。"),
                _ => format!("{code_name}がありません。保険診療を行わない（自由診療の）{}か、入力漏れかを確かめてから承認してください。", form.kind.name_ja()),
            },
            Some(ReturnReason::InsuranceCodeWrong),
        )),
        _ => {}
    }
    if let Some(code) = code {
        if !form.kind.expected_tables().contains(&code.table()) {
            out.push(flag(
                Code::FlagKindTable,
                format!(
                    "機関区分「{}」と{code_name}の点数表（{}）が合いません。",
                    form.kind.name_ja(),
                    code.table().name_ja()
                ),
                Some(ReturnReason::KindMismatch),
            ));
        }
        if let Some(listed) = ctx.registry.and_then(|r| r.by_insurance_code(&code.digits())) {
            match listed.first() {
                None => out.push(flag(
                    Code::FlagCodeUnknown,
                    format!(
                        "{code_name} {} は台帳にありません（開設直後か、コードの誤りの可能性）。",
                        code.display_parts()
                    ),
                    Some(ReturnReason::InsuranceCodeWrong),
                )),
                Some(row) => {
                    if !same_name(&form.name, &row.name) {
                        let mut f = flag(
                            Code::FlagNameMismatch,
                            format!("名称が台帳（{}）と一致しません。", row.name),
                            Some(ReturnReason::NameMismatch),
                        );
                        f.fix = Some(row.name.clone());
                        out.push(f);
                    }
                    out.extend(address_differs(app, &row.address));
                }
            }
        }
    }
    if form.kind == InstitutionKind::MaternityHome && code_text.is_none() {
        out.extend(ctx.registry.and_then(|r| maternity_home(app, r)));
    }
    let institution_code = form.institution_code.trim();
    if institution_code.is_empty() || !institution_code.chars().all(|c| c.is_ascii_alphanumeric()) {
        out.push(flag(
            Code::FlagInstitutionCode,
            "機関コードが未入力か、形式が正しくありません。",
            Some(ReturnReason::InstitutionCodeWrong),
        ));
    }
    let duplicates = ctx.open.others(app, code);
    if !duplicates.is_empty() {
        out.push(flag(
            Code::FlagDuplicate,
            format!(
                "同じ機関の未処理の申請がほかにもあります（申請番号 {}）。",
                duplicates.iter().map(|i| i.to_string()).collect::<Vec<_>>().join("・")
            ),
            None,
        ));
    }
    if let Some(a) = existing_account(app, ctx.accounts) {
        out.push(flag(
            Code::FlagAccountExists,
            format!("この機関には既存のG-MISアカウント（ログインID {}）があります。「承認（既存アカウント）」で処理してください。", a.login_id),
            None,
        ));
    }
    let email = form.email.trim();
    if !app.address_verified {
        out.push(flag(
            Code::FlagEmailUnverified,
            "メールアドレスの疎通確認がされていません（代理申請、または確認の仕組みより前の申請）。一括承認の対象外です。連絡先に電話で確かめてから承認してください。",
            None,
        ));
    }
    if !email_shape_ok(email) {
        out.push(flag(
            Code::FlagEmail,
            "メールアドレスの形式が正しくありません。",
            Some(ReturnReason::EmailWrong),
        ));
    } else if let Some(fix) = email_typo_fix(email) {
        let mut f = flag(
            Code::FlagEmailTypo,
            format!(
                "メールアドレスのドメインが誤っている可能性があります（{fix} ではありませんか）。"
            ),
            Some(ReturnReason::EmailWrong),
        );
        f.fix = Some(fix);
        out.push(f);
    } else {
        out.extend(unrelated_address(app, email, &ctx.open.earlier_addresses(app, code)));
    }
    if !phone_shape_ok(&form.phone) {
        out.push(flag(
            Code::FlagPhone,
            "電話番号の形式が正しくありません（0から始まる10桁または11桁）。",
            Some(ReturnReason::PhoneWrong),
        ));
    }
    match form.postal_code.parse::<PostalCode>() {
        Err(_) => out.push(flag(
            Code::FlagPostal,
            "郵便番号が7桁ではありません。",
            Some(ReturnReason::AddressWrong),
        )),
        Ok(postal) => {
            if let Some(usual) = madoguchi_domain::postal_region::usual_prefecture(&postal)
                .filter(|p| *p != app.prefecture)
            {
                out.push(flag(
                    Code::FlagPostalPrefecture,
                    format!(
                        "郵便番号 {} は通常{}の番号です（住所は{}）。",
                        postal.display(),
                        usual.name_ja(),
                        app.prefecture.name_ja()
                    ),
                    Some(ReturnReason::AddressWrong),
                ));
            }
        }
    }
    out
}
