//! 新規ユーザ登録申請の画面: the application page the server renders — Japanese, usable
//! without JavaScript, every label tied to its field, each error beside its field and in a
//! summary at the top, and no script or outside resource (its CSP allows only its own CSS).

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use madoguchi_domain::api::{Application, FieldError};
use madoguchi_domain::notice::ADDRESS_CHECK_HOURS;
use madoguchi_domain::{ApplicationForm, Code, InstitutionKind};

use serde::Deserialize;

use crate::apply::{Resubmitting, Taken};
use crate::clock::now;
use crate::http::failure::Failure;
use crate::http::state::AppState;
use crate::storage::Confirmation;
use crate::tokens::token_hash;

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

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A page of the server's own: its CSS only, no script, nothing from elsewhere.
pub(crate) fn page(status: StatusCode, title: &str, main: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{t}｜G-MIS 新規ユーザ登録申請</title>\n<link rel=\"stylesheet\" href=\"/apply/style.css\">\n</head>\n\
         <body>\n<main>\n<h1>{t}</h1>\n{main}</main>\n</body>\n</html>\n",
        t = escape(title)
    );
    let headers = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    (status, headers, html).into_response()
}

/// Paragraphs of plain text, escaped.
pub(crate) fn paragraphs(lines: &[&str]) -> String {
    lines.iter().map(|p| format!("<p>{}</p>\n", escape(p))).collect()
}

const STYLE: &str = "body{font-family:sans-serif;line-height:1.7;margin:0;background:#f6f7f9;color:#1b1f24}\
main{max-width:44rem;margin:0 auto;padding:1rem 1.25rem 3rem;background:#fff}\
h1{font-size:1.5rem}label{display:block;font-weight:bold;margin-top:1.1rem}\
.req{color:#a1261b;font-weight:normal;margin-left:.4rem}.opt{color:#44515e;font-weight:normal;margin-left:.4rem}.help{margin:.1rem 0 .3rem;color:#44515e;font-size:.95rem}\
input,select{font-size:1rem;padding:.45rem;width:100%;max-width:36rem;box-sizing:border-box;border:1px solid #6b7785;border-radius:4px}\
input:focus,select:focus,button:focus,a:focus{outline:3px solid #1f6feb;outline-offset:2px}\
.error{color:#a1261b;font-weight:bold;margin:.2rem 0}[aria-invalid=true]{border:2px solid #a1261b}\
#errors{border:3px solid #a1261b;padding:.5rem 1rem;margin:1rem 0}#errors a{color:#a1261b}\
button{margin-top:1.5rem;font-size:1.1rem;padding:.7rem 1.6rem;background:#1f4e79;color:#fff;border:0;border-radius:4px;cursor:pointer}";

pub(crate) async fn style() -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"))], STYLE)
        .into_response()
}

/// The form, filled with `values`, each error beside its field and all in a summary; for a
/// resubmission, why it came back and its link's token, carried in the form.
fn form_page(
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
            "送信すると、入力したメールアドレスに確認のメールが届きます。メールのURLを24時間以内に開くと、申請が管轄の都道府県の窓口に届きます。",
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

#[derive(Debug, Deserialize)]
pub(crate) struct ShowQuery {
    /// A 差戻し mail's resubmission token.
    r: Option<String>,
}

/// The returned application a resubmission token opens, while its link is good.
async fn returned(state: &AppState, token: &str) -> Result<Option<Application>, Failure> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    Ok(state.storage.returned_by_token(&token_hash(token), &now()).await?)
}

fn unusable_link() -> Response {
    page(
        StatusCode::GONE,
        "このURLは使えません",
        &paragraphs(&[
            Code::AppResubmitLink.message_ja(),
            "新規ユーザ登録申請の画面から、もう一度申請してください。ご不明な点は、管轄の都道府県の窓口までお問い合わせください。",
        ]),
    )
}

/// The form: empty, or for a 差戻し mail's link, filled with what was sent.
pub(crate) async fn show(
    State(state): State<AppState>,
    query: Result<Query<ShowQuery>, QueryRejection>,
) -> Response {
    let Some(token) = query.ok().and_then(|Query(q)| q.r) else {
        return form_page(&state, StatusCode::OK, &HashMap::new(), &[], None);
    };
    match returned(&state, &token).await {
        Ok(Some(app)) => {
            let resubmitting = Resubmitting { token: &token, returned: &app };
            form_page(&state, StatusCode::OK, &values_of(&app.form), &[], Some(&resubmitting))
        }
        Ok(None) => unusable_link(),
        Err(f) => failure_page(f),
    }
}

/// The page's field values of a form as sent.
fn values_of(form: &ApplicationForm) -> HashMap<String, String> {
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
fn form_of(values: &HashMap<String, String>) -> Result<ApplicationForm, Vec<FieldError>> {
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

pub(crate) async fn submit(
    State(state): State<AppState>,
    form: Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(values)) = form else {
        return page(
            StatusCode::BAD_REQUEST,
            "送信内容を読み取れませんでした",
            &paragraphs(&["もう一度入力してください。"]),
        );
    };
    let token = values.get("r").cloned().filter(|t| !t.is_empty());
    let returned_app = match &token {
        None => None,
        Some(t) => match returned(&state, t).await {
            Ok(Some(app)) => Some(app),
            Ok(None) => return unusable_link(),
            Err(f) => return failure_page(f),
        },
    };
    let resubmitting = token
        .as_deref()
        .zip(returned_app.as_ref())
        .map(|(token, returned)| Resubmitting { token, returned });
    let resubmitting = resubmitting.as_ref();
    let application = match form_of(&values) {
        Ok(a) => a,
        Err(errors) => {
            return form_page(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                &values,
                &errors,
                resubmitting,
            )
        }
    };
    match crate::apply::take(&state, &application, resubmitting).await {
        Ok(Taken { receipt, entered: true }) => {
            log::info!("application {} entered on the page as a resubmission", receipt.id);
            page(
                StatusCode::OK,
                "再申請を受け付けました",
                &paragraphs(&[
                    &format!(
                        "再申請（受付番号 {}）は、{}の窓口に届きました。差し戻された申請は、この再申請に置き換わります。",
                        receipt.id,
                        receipt.prefecture.name_ja()
                    ),
                    &result_within(&state, receipt.prefecture).await,
                ]),
            )
        }
        Ok(Taken { receipt, entered: false }) => {
            log::info!(
                "application {} entered on the page, awaiting its address check",
                receipt.id
            );
            let address = application.email.trim();
            let sent = format!("{address} に確認のメールを送りました。");
            let spam = format!("メールが届かないときは：迷惑メールフォルダをご確認ください。{} からのメールを受け取れるよう設定してください。メールアドレスに誤りがあれば、正しいアドレスでもう一度申請してください。", state.sender);
            page(
                StatusCode::OK,
                "確認のメールを送りました",
                &paragraphs(&[
                    &sent,
                    "メールに書かれたURLを24時間以内に開いてください。開くと申請が管轄の都道府県の窓口に届き、審査が始まります。開かなければ申請は届かず、24時間後に削除されます。",
                    &spam,
                ]),
            )
        }
        Err(Failure(status, body, _)) if body.code == Code::Form => {
            form_page(&state, status, &values, &body.fields, resubmitting)
        }
        Err(f) => failure_page(f),
    }
}

/// When the result comes, as the applicant's prefecture says it (発行までの期間 in its
/// settings; the national tree's value, the seed's 1〜2週間, where it set none).
async fn result_within(state: &AppState, prefecture: madoguchi_domain::Prefecture) -> String {
    const ISSUANCE: &str = "発行までの期間";
    let own = match state.storage.prefecture_settings(prefecture).await {
        Ok(settings) => settings.and_then(|s| s.triage_overrides.facts.get(ISSUANCE).cloned()),
        Err(e) => {
            log::warn!("prefecture settings unreadable for the result page: {e}");
            None
        }
    };
    let national = || madoguchi_domain::triage::Tree::national().facts[ISSUANCE].clone();
    let within = own.filter(|v| !v.trim().is_empty()).unwrap_or_else(national);
    format!("審査の結果は、このメールアドレスにお知らせします。目安は{within}です。")
}

/// A refusal as a page, with its headers (Retry-After).
fn failure_page(Failure(status, body, headers): Failure) -> Response {
    let mut r = page(status, "申請を受け付けられませんでした", &paragraphs(&[&body.message]));
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            r.headers_mut().insert(name, v);
        }
    }
    r
}

#[derive(Debug, Deserialize)]
pub(crate) struct ConfirmQuery {
    t: Option<String>,
}

/// The page the 疎通確認 link opens.
pub(crate) async fn confirm(
    State(state): State<AppState>,
    query: Result<Query<ConfirmQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let token = query.ok().and_then(|Query(q)| q.t).unwrap_or_default();
    let outcome = if token.is_empty() || token.len() > 128 {
        Ok(Confirmation::Unusable)
    } else {
        state.storage.confirm_address(&token_hash(&token), &now()).await
    };
    match outcome {
        Ok(Confirmation::Confirmed(r)) => {
            log::info!("application {} confirmed its address", r.id);
            page(
                StatusCode::OK,
                "メールアドレスを確認しました",
                &paragraphs(&[
                    &format!("新規ユーザ登録申請（受付番号 {}）は、{}の窓口に届きました。", r.id, r.prefecture.name_ja()),
                    &result_within(&state, r.prefecture).await,
                    &format!("結果のメールが届かないときは、迷惑メールフォルダをご確認のうえ、{} からのメールを受け取れるよう設定してください。", state.sender),
                ]),
            )
        }
        Ok(Confirmation::Unusable) => page(
            StatusCode::GONE,
            "このURLは使えません",
            &paragraphs(&[
                &format!("確認のURLは、申請から{ADDRESS_CHECK_HOURS}時間以内に一度だけ使えます。"),
                "すでに確認した場合は、審査の結果をお待ちください。期限が過ぎた場合は、もう一度申請してください。",
            ]),
        ),
        Err(e) => {
            log::error!("address check: {e}");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ただいま確認できません",
                &paragraphs(&["しばらくしてから、もう一度このURLを開いてください。"]),
            )
        }
    }
}
