//! The HTTP API (`/v1`), described by `/openapi.json`. Every request but intake and health is
//! authenticated by a bearer token, and every read and write is limited to the officer's
//! prefecture here, on the server.

pub mod failure;
pub mod state;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use madoguchi_domain::api::{
    Account, ApiError, ApplicationDetail, BatchResult, CallRecord, ChangesPage, DecisionBatch,
    DecisionBatchAnswer, DecisionRequest, DecisionResponse, FieldError, Notice, PrefectureSettings,
    Receipt, Stored, SubmittedBy, MAX_BATCH,
};
use madoguchi_domain::{ApplicationForm, Code};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use crate::apply::validated;
use crate::clock::now;
use crate::decisions::DecisionError;
use crate::storage::{Answer, Decision, Officer, PutRecord, Record, StorageError};
use crate::tokens::token_hash;
pub use failure::Failure;
pub use state::AppState;

/// Larger bodies are refused with 413 before they are read.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
const MAX_PAGE: i64 = 1000;

/// An application number from the path: a JSON refusal, not axum's plain-text one.
fn application_id(path: Result<Path<i64>, PathRejection>) -> Result<i64, Failure> {
    path.map(|Path(id)| id).map_err(|_| {
        Failure::with_message(
            StatusCode::BAD_REQUEST,
            Code::ApiQuery,
            "申請番号が正しくありません。",
        )
    })
}

fn bad_json(e: JsonRejection) -> Failure {
    // serde's message quotes the values it could not take (an address, a name): the sender
    // is told, the log only says what kind of body it was.
    let (status, kind) = match e {
        JsonRejection::BytesRejection(_) => {
            (StatusCode::PAYLOAD_TOO_LARGE, "unreadable or too large")
        }
        JsonRejection::MissingJsonContentType(_) => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "not JSON")
        }
        JsonRejection::JsonDataError(_) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "JSON of the wrong shape")
        }
        JsonRejection::JsonSyntaxError(_) => (StatusCode::BAD_REQUEST, "malformed JSON"),
        _ => (StatusCode::BAD_REQUEST, "unreadable"),
    };
    log::info!("rejected body: {kind}");
    let mut f = Failure::new(status, Code::ApiBody);
    f.1.fields.push(FieldError {
        field: "body".into(),
        code: Code::ApiBody.to_string(),
        message: e.body_text(),
    });
    f
}

/// The officer a request's bearer token belongs to.
pub struct Authenticated(pub Officer);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = Failure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthorised = || Failure::new(StatusCode::UNAUTHORIZED, Code::Auth);
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(unauthorised)?;
        match state.storage.officer_by_token_hash(&token_hash(token.trim())).await? {
            Some(officer) => Ok(Authenticated(officer)),
            None => Err(unauthorised()),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    status: &'static str,
}

#[utoipa::path(get, path = "/v1/health", responses((status = 200, body = Health)))]
async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// 新規ユーザ登録申請: what the registration form posts. Validated field by field; nothing is
/// stored unless every field passes. The application reaches the prefecture only once the
/// applicant opens the 疎通確認 link mailed to the address given (24 h, once); the same
/// institution and address already pending is refused (409). Limited per client address and
/// per prefecture (429 with Retry-After) and to a few at a time (503).
#[utoipa::path(post, path = "/v1/applications", request_body = ApplicationForm,
    responses((status = 201, body = Receipt), (status = 422, body = ApiError), (status = 400, body = ApiError),
        (status = 409, body = ApiError), (status = 429, body = ApiError), (status = 503, body = ApiError)))]
async fn intake(
    State(state): State<AppState>,
    body: Result<Json<ApplicationForm>, JsonRejection>,
) -> Result<(StatusCode, Json<Receipt>), Failure> {
    let Json(form) = body.map_err(bad_json)?;
    let receipt = crate::apply::take(&state, &form, None).await?.receipt;
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
async fn proxy_intake(
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

fn not_found() -> Failure {
    Failure::new(StatusCode::NOT_FOUND, Code::AppNotFound)
}

#[utoipa::path(get, path = "/v1/applications/{id}", security(("bearer" = [])),
    params(("id" = i64, Path, description = "申請番号")),
    responses((status = 200, body = ApplicationDetail), (status = 404, body = ApiError)))]
async fn application(
    State(state): State<AppState>,
    Authenticated(officer): Authenticated,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<ApplicationDetail>, Failure> {
    let id = application_id(id)?;
    let application =
        state.storage.application(officer.prefecture, id).await?.ok_or_else(not_found)?;
    let audit = state.storage.audit(officer.prefecture, id).await?;
    Ok(Json(ApplicationDetail { application, audit }))
}

/// 承認・差戻し・却下. Needs an `Idempotency-Key` header: a repeat gets the first answer; the
/// key again with another application or body is refused (422 E-API-IDEMPOTENCY-REUSED).
#[utoipa::path(post, path = "/v1/applications/{id}/decisions", request_body = DecisionRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "申請番号"),
        ("Idempotency-Key" = String, Header, pattern = "^[!-~]{1,200}$", description = "unique per decision, reused on retry")),
    responses((status = 200, body = DecisionResponse), (status = 409, body = ApiError), (status = 404, body = ApiError), (status = 422, body = ApiError)))]
async fn decide(
    State(state): State<AppState>,
    Authenticated(officer): Authenticated,
    id: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
    body: Result<Json<DecisionRequest>, JsonRejection>,
) -> Result<Response, Failure> {
    let id = application_id(id)?;
    let Json(request) = body.map_err(bad_json)?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .and_then(idempotency_key)
        .ok_or_else(|| Failure::new(StatusCode::BAD_REQUEST, Code::ApiIdempotency))?;
    let decision =
        Decision { id, request: &request, key, request_hash: request_hash(id, &request) };
    let answer = state
        .storage
        .decide(&officer, std::slice::from_ref(&decision), &state.public_url, &now())
        .await?
        .pop()
        .ok_or_else(|| StorageError::Corrupt("no answer to a decision".into()))?;
    let answer = match answer {
        Ok(answer) => answer,
        Err(refusal) => return Ok(refused(&officer, id, refusal).into_response()),
    };
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    Ok((status, [(axum::http::header::CONTENT_TYPE, "application/json")], answer.body)
        .into_response())
}

/// A decision the server refused, as its answer says it (and the log, without the person).
fn refused(officer: &Officer, id: i64, refusal: DecisionError) -> Failure {
    log::info!("decision on {id} by officer {} refused: {refusal}", officer.id);
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::CONFLICT);
    Failure(status, refusal.to_api(), Vec::new())
}

/// A usable idempotency key: printable ASCII, 1–200 characters once trimmed.
fn idempotency_key(key: &str) -> Option<&str> {
    let key = key.trim();
    (!key.is_empty() && key.len() <= 200 && key.bytes().all(|b| b.is_ascii_graphic()))
        .then_some(key)
}

/// The key is bound to what it was first used for: this application and this body.
fn request_hash(id: i64, request: &DecisionRequest) -> String {
    token_hash(&format!("{id}\n{}", serde_json::to_string(request).unwrap_or_default()))
}

/// 一括送信: up to 500 decisions in one request, in order, each answered as the single
/// endpoint would answer it (a refusal or another prefecture's application is that one's
/// answer; the others go on).
#[utoipa::path(post, path = "/v1/decisions", request_body = DecisionBatch, security(("bearer" = [])),
    responses((status = 200, body = DecisionBatchAnswer), (status = 400, body = ApiError), (status = 422, body = ApiError)))]
async fn decide_batch(
    State(state): State<AppState>,
    Authenticated(officer): Authenticated,
    body: Result<Json<DecisionBatch>, JsonRejection>,
) -> Result<Json<DecisionBatchAnswer>, Failure> {
    let Json(batch) = body.map_err(bad_json)?;
    if !(1..=MAX_BATCH).contains(&batch.decisions.len()) {
        return Err(Failure::with_message(
            StatusCode::UNPROCESSABLE_ENTITY,
            Code::ApiBody,
            &format!("一度に送れる決定は1〜{MAX_BATCH}件です。"),
        ));
    }
    // A key that cannot be one is the sender's mistake, not a decision's answer: the batch is
    // refused whole, as the single endpoint refuses a missing header.
    let mut decisions = Vec::with_capacity(batch.decisions.len());
    for d in &batch.decisions {
        let key = idempotency_key(&d.idempotency_key)
            .ok_or_else(|| Failure::new(StatusCode::BAD_REQUEST, Code::ApiIdempotency))?;
        let request_hash = request_hash(d.application_id, &d.request);
        decisions.push(Decision { id: d.application_id, request: &d.request, key, request_hash });
    }
    let answers = state.storage.decide(&officer, &decisions, &state.public_url, &now()).await?;
    let mut results = Vec::with_capacity(answers.len());
    for (d, answer) in batch.decisions.iter().zip(answers) {
        let (status, decided, refusal) = match answer {
            Ok(Answer { status: 200, body }) => (200, Some(body_of(&body)?), None),
            Ok(Answer { status, body }) => (status, None, Some(body_of(&body)?)),
            Err(refusal) => {
                let Failure(status, error, _) = refused(&officer, d.application_id, refusal);
                (status.as_u16(), None, Some(error))
            }
        };
        let idempotency_key = d.idempotency_key.clone();
        results.push(BatchResult { idempotency_key, status, decided, refused: refusal });
    }
    let decided = results.iter().filter(|r| r.decided.is_some()).count();
    log::info!(
        "decision batch by officer {}: {decided} decided, {} refused",
        officer.id,
        results.len() - decided
    );
    Ok(Json(DecisionBatchAnswer { results }))
}

/// A stored answer read back for a batch's reply.
fn body_of<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, StorageError> {
    serde_json::from_str(body).map_err(|e| StorageError::Corrupt(format!("stored answer: {e}")))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// Cursor (changes) or last id seen (notices); 0 for the start.
    #[serde(default)]
    #[param(minimum = 0)]
    since: i64,
    /// How many at most (default 500).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

fn page(q: Result<Query<Page>, QueryRejection>) -> Result<(i64, i64), Failure> {
    let Query(p) = q.map_err(|e| {
        Failure::with_message(
            StatusCode::BAD_REQUEST,
            Code::ApiQuery,
            &format!("検索条件が正しくありません: {e}"),
        )
    })?;
    let limit = p.limit.unwrap_or(500);
    if p.since < 0 || !(1..=MAX_PAGE).contains(&limit) {
        return Err(Failure::with_message(
            StatusCode::BAD_REQUEST,
            Code::ApiQuery,
            &format!("検索条件が正しくありません: since は0以上、limit は1〜{MAX_PAGE}です。"),
        ));
    }
    Ok((p.since, limit))
}

/// The changes feed of the officer's prefecture: applications, notices, accounts, registry
/// entries, calls and the prefecture's settings, each as it now stands, after the cursor `since`.
#[utoipa::path(get, path = "/v1/changes", params(Page), security(("bearer" = [])),
    responses((status = 200, body = ChangesPage)))]
async fn changes(
    State(state): State<AppState>,
    Authenticated(officer): Authenticated,
    q: Result<Query<Page>, QueryRejection>,
) -> Result<Json<ChangesPage>, Failure> {
    let (since, limit) = page(q)?;
    let page = state.storage.changes(officer.prefecture, since, limit).await?;
    Ok(Json(ChangesPage { sender: Some(state.sender.clone()), ..page }))
}

/// 通知メール: the notices of the officer's prefecture, each with its delivery (配信状況).
#[utoipa::path(get, path = "/v1/notices", params(Page), security(("bearer" = [])),
    responses((status = 200, body = [Notice])))]
async fn notices(
    State(state): State<AppState>,
    Authenticated(officer): Authenticated,
    q: Result<Query<Page>, QueryRejection>,
) -> Result<Json<Vec<Notice>>, Failure> {
    let (since, limit) = page(q)?;
    Ok(Json(state.storage.notices(officer.prefecture, since, limit).await?))
}

#[utoipa::path(get, path = "/v1/accounts", security(("bearer" = [])), responses((status = 200, body = [Account])))]
async fn accounts(
    State(state): State<AppState>,
    Authenticated(officer): Authenticated,
) -> Result<Json<Vec<Account>>, Failure> {
    Ok(Json(state.storage.accounts(officer.prefecture).await?))
}

fn other_prefecture() -> Failure {
    Failure::with_message(
        StatusCode::FORBIDDEN,
        Code::AuthPrefecture,
        "担当する都道府県の記録だけを登録できます。",
    )
}

/// What an upload came to, as the desk reads it.
fn stored(outcome: PutRecord) -> Result<Json<Stored>, Failure> {
    match outcome {
        PutRecord::Held(version) => Ok(Json(Stored { stored: true, version })),
        PutRecord::OtherPrefecture => Err(other_prefecture()),
        PutRecord::Stale(current) => {
            let mut f = Failure::new(StatusCode::CONFLICT, Code::RecordStale);
            f.1.record = Some(current);
            Err(f)
        }
    }
}

/// 対応記録: a desk uploads a call whole (again after each change), made on the version it
/// holds; the server stores it as the next version. A copy made on an older version is
/// refused with the server's copy (409); another prefecture's call id is refused (403).
#[utoipa::path(put, path = "/v1/calls/{id}", request_body = CallRecord, security(("bearer" = [])),
    params(("id" = String, Path, description = "the call's id (a UUID made by the desk)")),
    responses((status = 200, body = Stored), (status = 403, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
async fn put_call(
    State(state): State<AppState>,
    Authenticated(officer): Authenticated,
    Path(id): Path<String>,
    body: Result<Json<CallRecord>, JsonRejection>,
) -> Result<Json<Stored>, Failure> {
    let Json(call) = body.map_err(bad_json)?;
    if call.prefecture != officer.prefecture {
        return Err(other_prefecture());
    }
    if call.id != id || id.len() > 64 || call.steps.is_empty() || call.steps.len() > 1000 {
        return Err(Failure::new(StatusCode::UNPROCESSABLE_ENTITY, Code::ApiCall));
    }
    stored(state.storage.put_record(officer.prefecture, &Record::call(call)).await?)
}

/// The prefecture's settings for every desk: 定期報告期間, 都道府県版の案内, 保存期間,
/// 窓口の連絡先 and 都道府県の運用.
#[utoipa::path(put, path = "/v1/prefecture-settings", request_body = PrefectureSettings, security(("bearer" = [])),
    responses((status = 200, body = Stored), (status = 403, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
async fn put_prefecture_settings(
    State(state): State<AppState>,
    Authenticated(officer): Authenticated,
    body: Result<Json<PrefectureSettings>, JsonRejection>,
) -> Result<Json<Stored>, Failure> {
    let Json(settings) = body.map_err(bad_json)?;
    if settings.prefecture != officer.prefecture {
        return Err(other_prefecture());
    }
    madoguchi_domain::triage::Tree::national()
        .check_overrides(&settings.triage_overrides)
        .map_err(|e| Failure::coded(StatusCode::UNPROCESSABLE_ENTITY, &e))?;
    if let Some(window) = settings.reporting_window {
        window.check().map_err(|e| Failure::coded(StatusCode::UNPROCESSABLE_ENTITY, &e))?;
    }
    if !settings.retention_ok() {
        return Err(Failure::new(StatusCode::UNPROCESSABLE_ENTITY, Code::RetentionDays));
    }
    if !settings.contact_ok() {
        return Err(Failure::new(StatusCode::UNPROCESSABLE_ENTITY, Code::PrefContact));
    }
    settings.practice.check().map_err(|e| Failure::coded(StatusCode::UNPROCESSABLE_ENTITY, &e))?;
    let record = Record::prefecture_settings(settings);
    stored(state.storage.put_record(officer.prefecture, &record).await?)
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Madoguchi central API", description = "医療機能情報提供制度・薬局機能情報提供制度 — 新規ユーザ登録申請の受付・審査と窓口端末の同期"),
    paths(health, intake, proxy_intake, application, decide, decide_batch, changes, notices, accounts, put_call, put_prefecture_settings),
    modifiers(&BearerAuth, &CommonResponses)
)]
pub struct ApiDoc;

/// The answers every operation of a kind can give, documented once: 401 where a token is
/// needed; 400, 413 and 415 where a body or parameters are read; 408 for any request that
/// runs out of time.
struct CommonResponses;

impl utoipa::Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |what: &str| {
            ResponseBuilder::new()
                .description(what)
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("ApiError"))).build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.put, &mut item.post].into_iter().flatten() {
                let mut add = |status: &str, what: &str| {
                    op.responses
                        .responses
                        .entry(status.into())
                        .or_insert_with(|| error(what).into());
                };
                add("408", "時間内に処理できませんでした（E-API-TIMEOUT）");
                if op.security.is_some() {
                    add(
                        "401",
                        "接続トークンがない、無効、失効、または取り消されています（E-AUTH）",
                    );
                }
                if op.request_body.is_some()
                    || op.parameters.as_ref().is_some_and(|p| !p.is_empty())
                {
                    add(
                        "400",
                        "送信内容・パラメーターを読み取れません（E-API-BODY / E-API-QUERY）",
                    );
                }
                if op.request_body.is_some() {
                    add("413", "送信内容が大きすぎます（E-API-BODY）");
                    add("415", "Content-Type が application/json ではありません（E-API-BODY）");
                }
            }
        }
    }
}

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

async fn fallback() -> Failure {
    Failure::new(StatusCode::NOT_FOUND, Code::ApiNotFound)
}

pub fn router(state: AppState, limits: &crate::limits::Limits) -> Router {
    let public = Router::new()
        .route("/v1/applications", post(intake))
        .route("/apply", get(crate::apply_page::show).post(crate::apply_page::submit))
        .route("/apply/confirm", get(crate::apply_page::confirm));
    let public = crate::limits::public(public, limits);
    let router = Router::new()
        .merge(public)
        .route("/v1/health", get(health))
        .route("/v1/proxy-applications", post(proxy_intake))
        .route("/v1/applications/{id}", get(application))
        .route("/v1/applications/{id}/decisions", post(decide))
        .route("/v1/decisions", post(decide_batch))
        .route("/v1/changes", get(changes))
        .route("/v1/notices", get(notices))
        .route("/v1/accounts", get(accounts))
        .route("/v1/calls/{id}", put(put_call))
        .route("/v1/prefecture-settings", put(put_prefecture_settings))
        .route("/openapi.json", get(openapi))
        .route("/apply/style.css", get(crate::apply_page::style))
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    crate::limits::timed(router, limits)
}
