//! 新規ユーザ登録申請の受付: applications from the open internet. Each is held until its
//! applicant opens the one-time 疎通確認 link mailed to the address given (random, stored
//! hashed, 24 hours, once); only then does it reach the prefecture's queue, marked
//! address-verified. Unconfirmed ones are purged when their link expires.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Extension, Json, Router};
use madoguchi_domain::api::{ApiError, Application, FieldError, Receipt, SubmittedBy};
use madoguchi_domain::{ApplicationForm, Code};

use super::extract::bad_json;
use super::failure::Failure;
use super::officer::Authenticated;
use super::state::AppState;
use crate::clock::now;
use crate::limits::ClientKey;
use crate::storage::{AddressCheck, Held};
use crate::tokens::token_hash;

/// What taking an application came to.
pub(super) struct Taken {
    pub receipt: Receipt,
    /// It entered the queue at once (a resubmission to the address already reached); else a
    /// 疎通確認 mail went out and it waits for its link.
    pub entered: bool,
}

/// A 差戻し mail's link being used: its token and the returned application it opened.
pub(super) struct Resubmitting<'a> {
    pub token: &'a str,
    pub returned: &'a Application,
}

/// Validates and holds `form`, queuing its 疎通確認 mail; 409 when the same institution and
/// address are already pending. A resubmission to the address its 差戻し mail reached needs
/// no check: it enters the queue at once.
pub(super) async fn take(
    state: &AppState,
    client: ClientKey,
    form: &ApplicationForm,
    resubmitting: Option<&Resubmitting<'_>>,
) -> Result<Taken, Failure> {
    let valid = validated(form)?;
    state.prefecture_rate.check(valid.prefecture, client.0)?;
    if let Some(r) = resubmitting {
        if valid.prefecture != r.returned.prefecture {
            let mut f = Failure::new(StatusCode::UNPROCESSABLE_ENTITY, Code::Form);
            let code = Code::FormResubmitPrefecture;
            f.1.fields.push(FieldError {
                field: "address".into(),
                code: code.to_string(),
                message: code.message_ja().into(),
            });
            return Err(f);
        }
        if same_address(&r.returned.form.email, &form.email) {
            return match state.storage.resubmit(&token_hash(r.token), form, &valid, &now()).await? {
                Some(receipt) => Ok(Taken { receipt, entered: true }),
                None => Err(Failure::new(StatusCode::GONE, Code::AppResubmitLink)),
            };
        }
    }
    let check = AddressCheck::new(&state.public_url);
    let of = resubmitting.map(|r| r.returned.id);
    match state.storage.submit_unconfirmed(form, &valid, &check, of, &now()).await? {
        Held::Held(receipt) => Ok(Taken { receipt, entered: false }),
        Held::Duplicate => Err(Failure::new(StatusCode::CONFLICT, Code::AppPending)),
        Held::AddressBusy => {
            log::warn!("intake refused: too many applications wait for one address's check");
            Err(Failure::new(StatusCode::TOO_MANY_REQUESTS, Code::AppAddressBusy)
                .with_header("retry-after", "3600".into()))
        }
    }
}

fn same_address(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// The form checked field by field, as the desk checks it (422 with every field's error).
pub(super) fn validated(form: &ApplicationForm) -> Result<madoguchi_domain::ValidForm, Failure> {
    form.validate().map_err(|fields| {
        let mut f = Failure::new(StatusCode::UNPROCESSABLE_ENTITY, Code::Form);
        f.1.fields = fields;
        f
    })
}

/// 新規ユーザ登録申請: what the registration form posts. Validated field by field; nothing is
/// stored unless every field passes. The application reaches the prefecture only once the
/// applicant opens the 疎通確認 link mailed to the address given (24 h, once); the same
/// institution and address already pending is refused (409). Limited per client address and
/// per prefecture (429 with Retry-After) and to a few at a time (503).
#[utoipa::path(post, path = "/v1/applications", request_body = ApplicationForm,
    responses((status = 201, body = Receipt), (status = 422, body = ApiError), (status = 400, body = ApiError),
        (status = 409, body = ApiError), (status = 429, body = ApiError), (status = 503, body = ApiError)))]
pub(super) async fn intake(
    State(state): State<AppState>,
    Extension(client): Extension<ClientKey>,
    body: Result<Json<ApplicationForm>, JsonRejection>,
) -> Result<(StatusCode, Json<Receipt>), Failure> {
    let Json(form) = body.map_err(bad_json)?;
    let receipt = take(&state, client, &form, None).await?.receipt;
    log::info!(
        "application {} received for prefecture {}, awaiting its address check",
        receipt.id,
        receipt.prefecture.code()
    );
    Ok((StatusCode::CREATED, Json(receipt)))
}

/// 代理申請: an officer enters an application on an institution's behalf, in their prefecture.
#[utoipa::path(post, path = "/v1/proxy-applications", request_body = ApplicationForm, security(("bearer" = [])),
    responses((status = 201, body = Receipt), (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub(super) async fn proxy_intake(
    State(state): State<AppState>,
    Authenticated(officer): Authenticated,
    body: Result<Json<ApplicationForm>, JsonRejection>,
) -> Result<(StatusCode, Json<Receipt>), Failure> {
    let Json(form) = body.map_err(bad_json)?;
    if let Ok(valid) = form.validate() {
        if valid.prefecture != officer.prefecture {
            return Err(Failure::with_message(
                StatusCode::FORBIDDEN,
                Code::AuthPrefecture,
                "担当する都道府県の機関の申請だけを入力できます。",
            ));
        }
    }
    let valid = validated(&form)?;
    let receipt = state.storage.submit(&form, &valid, SubmittedBy::Prefecture, &now()).await?;
    Ok((StatusCode::CREATED, Json(receipt)))
}

/// The internet's door: limited by the caller's address and prefecture.
pub(super) fn public() -> Router<AppState> {
    Router::new().route("/v1/applications", post(intake))
}

/// The desks' 代理申請.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/v1/proxy-applications", post(proxy_intake))
}
