//! `/openapi.json`: the API as it is — every operation, its types and the answers each kind of
//! operation can give.

use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;

use super::state::AppState;
use super::{decisions, feed, intake, ops, records, reminders};

#[derive(OpenApi)]
#[openapi(
    info(title = "Madoguchi central API", description = "医療機能情報提供制度・薬局機能情報提供制度 — 新規ユーザ登録申請の受付・審査と窓口端末の同期"),
    paths(ops::health, ops::live, ops::ready, intake::intake, intake::proxy_intake, decisions::application, decisions::decide, decisions::decide_batch, feed::changes, feed::notices, feed::accounts, feed::mail_health, records::put_call, records::put_prefecture_settings, records::put_contact, reminders::send),
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

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(openapi))
}
