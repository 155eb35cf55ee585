//! 申請状況の確認: the applicant's own window on their application. They give its 申請番号
//! and the e-mail address they applied with; both must match. A wrong pair and an unknown
//! number get the same page in the same time, and each number may be asked about only a few
//! times an hour, so the page neither lists numbers nor confirms an address.

use std::collections::HashMap;
use std::time::Instant;

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use madoguchi_domain::api::WindowContact;
use madoguchi_domain::practice::JST;
use madoguchi_domain::status_page::{mail_words, standing, standing_advice, ResubmitLink};
use madoguchi_domain::ApplicationStatus;

use super::facts::{settings_of, waiting_time};
use super::html::{escape, page, paragraphs, refusal};
use crate::clock::now;
use crate::http::state::AppState;
use crate::storage::StatusFacts;
use crate::tokens::token_hash;

type Posted = Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>;

/// What the applicant typed: the number (digits only, full-width accepted) and the address.
struct Question {
    number: i64,
    email: String,
}

fn question(form: Posted) -> Option<Question> {
    let Form(values) = form.ok()?;
    let digits: String = values
        .get("n")?
        .chars()
        .filter_map(|c| match c {
            '0'..='9' => Some(c),
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
            ' ' | '　' | '-' | 'ー' => None,
            _ => Some('x'),
        })
        .collect();
    let email = values.get("email")?.trim().to_owned();
    if digits.is_empty() || digits.len() > 14 || email.is_empty() || email.len() > 254 {
        return None;
    }
    Some(Question { number: digits.parse().ok()?, email })
}

/// The address the application holds and the one typed, compared by their hashes: the same
/// work whether there is an application or not.
fn same_address(held: Option<&str>, typed: &str) -> bool {
    let key = |s: &str| token_hash(&s.trim().to_ascii_lowercase());
    let held = key(held.unwrap_or("\u{0}"));
    held == key(typed)
}

const FORM_HELP: &str = "申請番号は、申請を受け付けた画面と、確認のメール・結果のメールに書かれている14桁の番号です（先頭の0は省略できます）。メールアドレスは、申請のときに入力したものです。";

fn ask_form(status: StatusCode, lead: &[&str]) -> Response {
    let mut main = paragraphs(lead);
    main.push_str(&format!(
        "<form method=\"post\" action=\"/status\" novalidate>\n\
         <label for=\"n\">申請番号<span class=\"req\">必須</span></label>\n\
         <p class=\"help\" id=\"n-help\">{}</p>\n\
         <input id=\"n\" name=\"n\" inputmode=\"numeric\" autocomplete=\"off\" maxlength=\"20\" required aria-describedby=\"n-help\">\n\
         <label for=\"email\">メールアドレス<span class=\"req\">必須</span></label>\n\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" maxlength=\"254\" required>\n\
         <button type=\"submit\">状況を確認する</button>\n</form>\n",
        escape(FORM_HELP)
    ));
    page(status, "申請状況の確認", &main)
}

/// The empty form.
pub(super) async fn show() -> Response {
    ask_form(
        StatusCode::OK,
        &["新規ユーザ登録申請の審査の状況と、お送りしたメールがどうなったかを確認できます。"],
    )
}

/// Found nothing: the same bytes for an unknown number and a wrong address.
fn not_found() -> Response {
    ask_form(
        StatusCode::OK,
        &["入力された申請番号とメールアドレスの組み合わせに一致する申請は見つかりませんでした。申請番号とメールアドレスをご確認のうえ、もう一度入力してください。"],
    )
}

fn unreadable() -> Response {
    ask_form(
        StatusCode::UNPROCESSABLE_ENTITY,
        &["申請番号（数字）とメールアドレスを入力してください。"],
    )
}

/// The application `q` names, if the address matches, and a page for any refusal; answered
/// no sooner than `state.status_answer` after `started`, found or not.
async fn find(
    state: &AppState,
    q: &Question,
    started: Instant,
) -> Result<Option<StatusFacts>, Response> {
    if let Err(f) = state.status_rate.check(q.number) {
        state.metrics.status_check("limited");
        return Err(refusal("しばらくしてからお試しください", f));
    }
    let facts = match state.storage.status_facts(q.number).await {
        Ok(f) => f,
        Err(e) => {
            log::error!("status page: {e}");
            return Err(page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ただいま確認できません",
                &paragraphs(&["しばらくしてから、もう一度お試しください。"]),
            ));
        }
    };
    let held = facts.as_ref().map(|f| f.application.form.email.as_str());
    let matched = same_address(held, &q.email);
    let found = facts.filter(|_| matched);
    tokio::time::sleep_until((started + state.status_answer).into()).await;
    state.metrics.status_check(if found.is_some() { "found" } else { "not_found" });
    Ok(found)
}

/// The question posted: the application's status page, or the same "not found" page.
pub(super) async fn lookup(State(state): State<AppState>, form: Posted) -> Response {
    let started = Instant::now();
    let Some(q) = question(form) else { return unreadable() };
    let facts = match find(&state, &q, started).await {
        Ok(Some(facts)) => facts,
        Ok(None) => return not_found(),
        Err(refused) => return refused,
    };
    if let Err(e) = state.storage.status_looked(q.number, &now()).await {
        log::warn!("status page: the look was not noted: {e}");
    }
    let settings = settings_of(&state, facts.application.prefecture).await;
    let within = waiting_time(settings.as_ref());
    let contact = settings.as_ref().and_then(|s| s.contact.as_ref());
    status_page(&state, &facts, &q, &within, contact)
}

/// `2026年12月7日 10:30` in Japan's time.
fn japan_time(stamp: &str) -> String {
    DateTime::parse_from_rfc3339(stamp)
        .map(|t| t.with_timezone(&JST).format("%Y年%-m月%-d日 %H:%M").to_string())
        .unwrap_or_default()
}

fn resubmit_link(facts: &StatusFacts) -> Option<ResubmitLink> {
    match facts.application.status {
        ApplicationStatus::Resubmitted => Some(ResubmitLink::Used),
        ApplicationStatus::ReturnedForCorrection => Some(match &facts.resubmit_expires_at {
            Some(until) if until.as_str() > now().as_str() => {
                ResubmitLink::Open { until: japan_time(until) }
            }
            _ => ResubmitLink::Expired,
        }),
        _ => None,
    }
}

fn row(label: &str, value: &str) -> String {
    format!("<dt>{}</dt><dd>{}</dd>\n", escape(label), escape(value))
}

fn status_page(
    state: &AppState,
    facts: &StatusFacts,
    q: &Question,
    within: &str,
    contact: Option<&WindowContact>,
) -> Response {
    let app = &facts.application;
    let mut main = String::from("<dl class=\"facts\">\n");
    main.push_str(&row("申請番号", &format!("{:014}", app.id)));
    main.push_str(&row("機関の名称", app.form.name.trim()));
    main.push_str(&row("申請先", app.prefecture.name_ja()));
    main.push_str(&row("受付日時", &japan_time(&app.received_at)));
    main.push_str(&row("状況", standing(app.status, facts.confirmed)));
    main.push_str("</dl>\n");
    let mut said = vec![standing_advice(app.status, facts.confirmed, within)];
    if let Some(reason) = app.return_reason.filter(|_| facts.confirmed) {
        said.push(format!("差戻しの理由：{}", reason.name_for(app.form.kind)));
    }
    if let Some(reason) = app.reject_reason.filter(|_| facts.confirmed) {
        said.push(format!("却下の理由：{}", reason.name_ja()));
    }
    if let Some(note) = app
        .note
        .as_deref()
        .filter(|_| app.status.is_final() || app.status == ApplicationStatus::ReturnedForCorrection)
    {
        said.push(format!("補足：{note}"));
    }
    if let Some(link) = resubmit_link(facts) {
        said.push(link.words());
    }
    let said: Vec<&str> = said.iter().map(String::as_str).collect();
    main.push_str(&paragraphs(&said));
    main.push_str("<h2>お送りしたメール</h2>\n");
    if facts.notices.is_empty() {
        main.push_str(&paragraphs(&["この申請について、まだメールはお送りしていません。"]));
    } else {
        main.push_str("<table>\n<thead><tr><th scope=\"col\">メール</th><th scope=\"col\">作成日時</th><th scope=\"col\">送信結果</th><th scope=\"col\">ご確認ください</th></tr></thead>\n<tbody>\n");
        for n in &facts.notices {
            let words = mail_words(&n.delivery, &state.sender);
            main.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(n.kind.name_ja()),
                escape(&japan_time(&n.created_at)),
                escape(words.state),
                escape(&words.advice)
            ));
        }
        main.push_str("</tbody>\n</table>\n");
    }
    main.push_str(&window_lines(app.prefecture, contact));
    if facts.confirmed {
        main.push_str(&format!(
            "<form method=\"post\" action=\"/status/missing\">\n\
             <input type=\"hidden\" name=\"n\" value=\"{}\">\n<input type=\"hidden\" name=\"email\" value=\"{}\">\n\
             <p class=\"help\" id=\"missing-help\">上の案内を確かめてもメールが見つからないときに押してください。窓口からご連絡します（1日1回まで）。</p>\n\
             <button type=\"submit\" aria-describedby=\"missing-help\">メールが届いていないことを窓口に伝える</button>\n</form>\n",
            app.id,
            escape(&q.email)
        ));
    }
    page(StatusCode::OK, "申請状況の確認", &main)
}

/// The prefecture's window, with its contact when it set one.
fn window_lines(
    prefecture: madoguchi_domain::Prefecture,
    contact: Option<&WindowContact>,
) -> String {
    let mut html =
        format!("<h2>お問い合わせ先</h2>\n<p>{}の窓口</p>\n", escape(prefecture.name_ja()));
    if let Some(c) = contact {
        html.push_str("<dl class=\"facts\">\n");
        html.push_str(&row("窓口", c.name.trim()));
        for (label, value) in [("電話", &c.phone), ("受付時間", &c.hours), ("メール", &c.email)]
        {
            if !value.trim().is_empty() {
                html.push_str(&row(label, value.trim()));
            }
        }
        html.push_str("</dl>\n");
    }
    html
}

/// The button: the application goes on the prefecture's 要連絡 list with the applicant's
/// word, once a day.
pub(super) async fn missing(State(state): State<AppState>, form: Posted) -> Response {
    let started = Instant::now();
    let Some(q) = question(form) else { return unreadable() };
    let facts = match find(&state, &q, started).await {
        Ok(Some(facts)) if facts.confirmed => facts,
        Ok(_) => return not_found(),
        Err(refused) => return refused,
    };
    let at = Utc::now();
    let day_start = at
        .with_timezone(&JST)
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(JST).single())
        .map(|t| crate::clock::stamp(t.to_utc()))
        .unwrap_or_default();
    match state
        .storage
        .mail_missing(facts.application.id, &crate::clock::stamp(at), &day_start)
        .await
    {
        Ok(told) => {
            state.metrics.status_check(if told { "told" } else { "told_already" });
            log::info!(
                "status page: application {} told the window its mail is missing (new: {told})",
                facts.application.id
            );
            let lead = if told {
                "メールが届いていないことを、窓口に伝えました。"
            } else {
                "本日はすでに窓口に伝えています。"
            };
            page(
                StatusCode::OK,
                "窓口に伝えました",
                &paragraphs(&[
                    lead,
                    &format!("{}の窓口から、登録されている電話番号またはメールアドレスにご連絡します。お急ぎの場合は、窓口にお電話ください。", facts.application.prefecture.name_ja()),
                ]),
            )
        }
        Err(e) => {
            log::error!("status page: the applicant's word was not recorded: {e}");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ただいま受け付けられません",
                &paragraphs(&["しばらくしてから、もう一度お試しください。"]),
            )
        }
    }
}
