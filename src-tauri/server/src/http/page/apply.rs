//! The public pages' doors: the form (empty, or filled again through a 差戻し mail's link),
//! what it posts, and the page the 疎通確認 link opens.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use madoguchi_domain::api::Application;
use madoguchi_domain::notice::ADDRESS_CHECK_HOURS;
use madoguchi_domain::Code;
use serde::Deserialize;

use super::facts::{settings_of, waiting_time, where_to_look};
use super::form::{form_of, form_page, values_of};
use super::html::{escape, page, paragraphs, refusal};
use crate::clock::now;
use crate::http::failure::Failure;
use crate::http::intake::{take, Resubmitting, Taken};
use crate::http::state::AppState;
use crate::limits::ClientKey;
use crate::storage::Confirmation;
use crate::tokens::token_hash;

#[derive(Debug, Deserialize)]
pub(super) struct ShowQuery {
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
pub(super) async fn show(
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

pub(super) async fn submit(
    State(state): State<AppState>,
    Extension(client): Extension<ClientKey>,
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
    match take(&state, client, &application, resubmitting).await {
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
                    &where_to_look(&state, receipt.id),
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
                    "メールに書かれたURLを24時間以内に開き、表示されるボタンを押してください。押すと申請が管轄の都道府県の窓口に届き、審査が始まります。押さなければ申請は届かず、24時間後に削除されます。",
                    &spam,
                    &where_to_look(&state, receipt.id),
                ]),
            )
        }
        Err(Failure(status, body, _)) if body.code == Code::Form => {
            form_page(&state, status, &values, &body.fields, resubmitting)
        }
        Err(f) => failure_page(f),
    }
}

/// When the result comes, as the applicant's prefecture says it.
async fn result_within(state: &AppState, prefecture: madoguchi_domain::Prefecture) -> String {
    let within = waiting_time(settings_of(state, prefecture).await.as_ref());
    format!("審査の結果は、このメールアドレスにお知らせします。目安は{within}です。")
}

/// A refusal as a page, with its headers (Retry-After).
fn failure_page(failure: Failure) -> Response {
    refusal("申請を受け付けられませんでした", failure)
}

#[derive(Debug, Deserialize)]
pub(super) struct ConfirmQuery {
    t: Option<String>,
}

/// A token as a link may carry it: anything else is no link of ours.
fn link_token(token: Option<String>) -> Option<String> {
    token.filter(|t| !t.is_empty() && t.len() <= 128)
}

fn unusable_confirmation() -> Response {
    page(
        StatusCode::GONE,
        "このURLは使えません",
        &paragraphs(&[
            &format!("確認のURLは、申請から{ADDRESS_CHECK_HOURS}時間以内に一度だけ使えます。"),
            "すでに確認した場合は、審査の結果をお待ちください。期限が過ぎた場合は、もう一度申請してください。",
        ]),
    )
}

/// The page the 疎通確認 link opens: it confirms nothing by itself — mail scanners open
/// links before anyone reads the mail — but asks the applicant to press the button.
pub(super) async fn confirm_page(
    State(state): State<AppState>,
    query: Result<Query<ConfirmQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(token) = link_token(query.ok().and_then(|Query(q)| q.t)) else {
        return unusable_confirmation();
    };
    match state.storage.pending_confirmation(&token_hash(&token), &now()).await {
        Ok(Some((id, prefecture))) => {
            let mut main = paragraphs(&[
                &format!("新規ユーザ登録申請（受付番号 {id}）のメールアドレスの確認です。"),
                &format!(
                    "下のボタンを押すと、申請が{}の窓口に届き、審査が始まります。",
                    prefecture.name_ja()
                ),
            ]);
            main.push_str(&format!(
                "<form method=\"post\" action=\"/apply/confirm\">\n<input type=\"hidden\" name=\"t\" value=\"{}\">\n\
                 <button type=\"submit\">メールアドレスを確認して申請を届ける</button>\n</form>\n",
                escape(&token)
            ));
            page(StatusCode::OK, "申請を届けてください", &main)
        }
        Ok(None) => unusable_confirmation(),
        Err(e) => confirmation_failed(&e),
    }
}

fn confirmation_failed(e: &crate::storage::StorageError) -> Response {
    log::error!("address check: {e}");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "ただいま確認できません",
        &paragraphs(&["しばらくしてから、もう一度このURLを開いてください。"]),
    )
}

/// The button of the 疎通確認 page: the application reaches the prefecture.
pub(super) async fn confirm(
    State(state): State<AppState>,
    form: Result<Form<ConfirmQuery>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Some(token) = link_token(form.ok().and_then(|Form(q)| q.t)) else {
        return unusable_confirmation();
    };
    let outcome = state.storage.confirm_address(&token_hash(&token), &now()).await;
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
                    &where_to_look(&state, r.id),
                ]),
            )
        }
        Ok(Confirmation::Unusable) => unusable_confirmation(),
        Err(e) => confirmation_failed(&e),
    }
}
