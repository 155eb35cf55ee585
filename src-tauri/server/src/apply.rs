//! 新規ユーザ登録申請の受付: applications from the open internet. Each is held until its
//! applicant opens the one-time 疎通確認 link mailed to the address given (random, stored
//! hashed, 24 hours, once); only then does it reach the prefecture's queue, marked
//! address-verified. Unconfirmed ones are purged when their link expires.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use madoguchi_domain::api::Receipt;
use madoguchi_domain::notice::{address_check, ADDRESS_CHECK_HOURS};
use madoguchi_domain::{ApplicationForm, Code};
use rand::Rng;
use serde::Deserialize;

use crate::apply_page::{page, paragraphs};
use crate::http::{now, stamp, token_hash, validated, AppState, Failure};
use crate::storage::{AddressCheck, Confirmation};

/// Validates and holds `form`, queuing its 疎通確認 mail; 409 when the same institution and
/// address are already pending.
pub(crate) async fn take(state: &AppState, form: &ApplicationForm) -> Result<Receipt, Failure> {
    let valid = validated(form)?;
    state.prefecture_rate.check(valid.prefecture)?;
    let token: String = rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(43)
        .map(char::from)
        .collect();
    let (subject, body) = address_check(&format!("{}/apply/confirm?t={token}", state.public_url));
    let expires = Utc::now() + chrono::Duration::hours(ADDRESS_CHECK_HOURS);
    let check =
        AddressCheck { token_hash: token_hash(&token), expires_at: stamp(expires), subject, body };
    match state.storage.submit_unconfirmed(form, &valid, &check, &now()).await? {
        Some(receipt) => Ok(receipt),
        None => Err(Failure::new(StatusCode::CONFLICT, Code::AppPending)),
    }
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
                    "審査の結果は、このメールアドレスにお知らせします。通常1〜2週間かかります。",
                    "結果のメールが届かないときは、迷惑メールフォルダをご確認のうえ、info@g-mis.net からのメールを受け取れるよう設定してください。",
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
