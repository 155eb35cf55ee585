//! 新規ユーザ登録申請の画面's form: every label tied to its field, each error beside its
//! field and in a summary at the top, and what it posts read back into an application.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::Response;
use madoguchi_domain::api::FieldError;
use madoguchi_domain::{ApplicationForm, Code, InstitutionKind};

use super::html::{escape, page, paragraphs};
use crate::http::intake::Resubmitting;
use crate::http::state::AppState;

/// (name, label, required, help, autocomplete)
const FIELDS: [(&str, &str, bool, &str, &str); 12] = [
    ("kind", "機関区分", true, "病院・診療所・歯科診療所・助産所・薬局から選んでください。", ""),
    (
        "institution_code",
        "機関コード",
        true,
        "都道府県から通知された機関コード（半角英数字）です。",
        "off",
    ),
    (
        "insurance_code",
        "保険医療機関コード／保険薬局コード",
        false,
        "10桁の数字です（例: 13 1 01 0008 1。7桁でも、機関区分の点数表で補います）。助産所、保険薬局の指定を受けていない薬局、保険診療をしていない（自由診療の）病院・診療所は空欄のままにしてください。",
        "off",
    ),
    (
        "name",
        "名称",
        true,
        "機関の正式な名称です（例: 医療法人 窓口会 窓口病院）。",
        "organization",
    ),
    ("kana", "フリガナ", true, "名称の読みを全角カタカナで入力してください。", "off"),
    ("postal_code", "郵便番号", true, "7桁の数字です（例: 100-0001）。", "postal-code"),
    (
        "address",
        "住所",
        true,
        "都道府県から入力してください（例: 東京都千代田区丸の内1丁目1番1号）。",
        "street-address",
    ),
    (
        "building",
        "建物名",
        false,
        "ビル名・階などがあれば入力してください。無ければ空欄で構いません。",
        "address-line2",
    ),
    ("phone", "電話番号", true, "市外局番から入力してください（例: 03-1234-5678）。", "tel"),
    ("department", "担当部署名", false, "個人経営などで該当が無ければ空欄で構いません。", "off"),
    ("department_number", "担当部署番号", false, "該当が無ければ空欄で構いません。", "off"),
    ("contact_name", "担当者名", true, "ご担当の方のお名前です。", "name"),
];
const EMAIL: (&str, &str, bool, &str, &str) = (
    "email",
    "メールアドレス",
    true,
    "確認のメールと審査結果のメールが届くアドレスです。{送信元} からのメールを受け取れるようにしてください。",
    "email",
);

/// The form, filled with `values`, each error beside its field and all in a summary; for a
/// resubmission, why it came back and its link's token, carried in the form.
pub(super) fn form_page(
    state: &AppState,
    status: StatusCode,
    values: &HashMap<String, String>,
    errors: &[FieldError],
    resubmitting: Option<&Resubmitting<'_>>,
) -> Response {
    let mut main = String::new();
    if let Some(Resubmitting { returned, .. }) = resubmitting {
        let reason = returned.return_reason.map_or("その他", |r| r.name_for(returned.form.kind));
        let number =
            format!("申請番号 {:014} は、次の理由で差し戻されました：{reason}", returned.id);
        let mut lines = vec![number];
        if let Some(note) = returned.note.as_deref().filter(|n| !n.trim().is_empty()) {
            lines.push(format!("補足：{note}"));
        }
        lines.push(
            "前回の内容が入っています。直すところを直して「再申請する」を押してください。".into(),
        );
        main.push_str(&paragraphs(&lines.iter().map(String::as_str).collect::<Vec<_>>()));
    }
    if errors.is_empty() && resubmitting.is_none() {
        main.push_str(&paragraphs(&[
            "G-MIS（医療機能情報提供制度・薬局機能情報提供制度の報告システム）のアカウントを申請します。",
            "送信すると、入力したメールアドレスに確認のメールが届きます。メールのURLを24時間以内に開いてボタンを押すと、申請が管轄の都道府県の窓口に届きます。",
        ]));
    } else if !errors.is_empty() {
        let items: String = errors
            .iter()
            .map(|e| {
                format!("<li><a href=\"#f-{}\">{}</a></li>", escape(&e.field), escape(&e.message))
            })
            .collect();
        main.push_str(&format!(
            "<div id=\"errors\" role=\"alert\" tabindex=\"-1\" autofocus>\n<h2>入力内容を確認してください（{}件）</h2>\n<ul>{items}</ul>\n</div>\n",
            errors.len()
        ));
    }
    main.push_str("<form method=\"post\" action=\"/apply\" novalidate>\n");
    if let Some(Resubmitting { token, .. }) = resubmitting {
        main.push_str(&format!("<input type=\"hidden\" name=\"r\" value=\"{}\">\n", escape(token)));
    }
    for (name, label, required, help, autocomplete) in FIELDS.iter().chain([&EMAIL]) {
        let value = values.get(*name).map(String::as_str).unwrap_or_default();
        let error = errors.iter().find(|e| e.field == *name);
        let described =
            if error.is_some() { format!("h-{name} e-{name}") } else { format!("h-{name}") };
        let mark = match (*name, *required) {
            ("insurance_code", _) => "<span class=\"req\">保険の指定を受けた機関は必須</span>",
            (_, true) => "<span class=\"req\">必須</span>",
            (_, false) => "<span class=\"opt\">任意</span>",
        };
        main.push_str(&format!(
            "<div class=\"field\">\n<label for=\"f-{name}\">{label}{mark}</label>\n<p class=\"help\" id=\"h-{name}\">{}</p>\n",
            escape(&help.replace("{送信元}", &state.sender))
        ));
        if let Some(e) = error {
            main.push_str(&format!(
                "<p class=\"error\" id=\"e-{name}\">{}</p>\n",
                escape(&e.message)
            ));
        }
        let invalid = if error.is_some() { " aria-invalid=\"true\"" } else { "" };
        let needed = if *required { " required aria-required=\"true\"" } else { "" };
        if *name == "kind" {
            main.push_str(&format!(
                "<select id=\"f-kind\" name=\"kind\" aria-describedby=\"{described}\"{invalid}{needed}>\n"
            ));
            for kind in InstitutionKind::ALL {
                let selected = if value == kind.key() { " selected" } else { "" };
                main.push_str(&format!(
                    "<option value=\"{}\"{selected}>{}</option>\n",
                    kind.key(),
                    kind.name_ja()
                ));
            }
            main.push_str("</select>\n</div>\n");
        } else {
            let kind = match *name {
                "email" => "email",
                "phone" => "tel",
                _ => "text",
            };
            main.push_str(&format!(
                "<input id=\"f-{name}\" name=\"{name}\" type=\"{kind}\" value=\"{}\" autocomplete=\"{autocomplete}\" maxlength=\"200\" aria-describedby=\"{described}\"{invalid}{needed}>\n</div>\n",
                escape(value)
            ));
        }
    }
    let (button, title) = match resubmitting {
        Some(_) => ("再申請する", "G-MIS 新規ユーザ登録申請（再申請）"),
        None => ("確認メールを送る", "G-MIS 新規ユーザ登録申請"),
    };
    main.push_str(&format!("<button type=\"submit\">{button}</button>\n</form>\n"));
    page(status, title, &main)
}

/// The page's field values of a form as sent.
pub(super) fn values_of(form: &ApplicationForm) -> HashMap<String, String> {
    let text = |s: &String| s.clone();
    HashMap::from([
        ("kind".to_owned(), form.kind.key().to_owned()),
        ("institution_code".to_owned(), text(&form.institution_code)),
        ("insurance_code".to_owned(), form.insurance_code.clone().unwrap_or_default()),
        ("name".to_owned(), text(&form.name)),
        ("kana".to_owned(), text(&form.kana)),
        ("postal_code".to_owned(), text(&form.postal_code)),
        ("address".to_owned(), text(&form.address)),
        ("building".to_owned(), text(&form.building)),
        ("phone".to_owned(), text(&form.phone)),
        ("department".to_owned(), text(&form.department)),
        ("department_number".to_owned(), text(&form.department_number)),
        ("contact_name".to_owned(), text(&form.contact_name)),
        ("email".to_owned(), text(&form.email)),
    ])
}

/// What the page posts, as typed.
pub(super) fn form_of(
    values: &HashMap<String, String>,
) -> Result<ApplicationForm, Vec<FieldError>> {
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    let Some(kind) = InstitutionKind::from_key(&get("kind")) else {
        let message = "機関区分を選んでください。".to_owned();
        return Err(vec![FieldError {
            field: "kind".into(),
            code: Code::FormRequired.to_string(),
            message,
        }]);
    };
    let insurance = get("insurance_code");
    Ok(ApplicationForm {
        kind,
        institution_code: get("institution_code"),
        insurance_code: (!insurance.trim().is_empty()).then_some(insurance),
        name: get("name"),
        kana: get("kana"),
        postal_code: get("postal_code"),
        address: get("address"),
        building: get("building"),
        phone: get("phone"),
        department: get("department"),
        department_number: get("department_number"),
        contact_name: get("contact_name"),
        email: get("email"),
    })
}
