//! 新規ユーザ登録申請の画面 and 申請状況の確認: the pages the server renders for applicants —
//! Japanese, usable without JavaScript, and no script or outside resource (their CSP allows
//! only their own CSS).

mod apply;
mod facts;
mod form;
mod html;
mod status;

use axum::routing::get;
use axum::Router;

use super::state::AppState;

/// The pages an applicant opens (limited as the intake is).
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/apply", get(apply::show).post(apply::submit))
        .route("/apply/confirm", get(apply::confirm_page).post(apply::confirm))
        .route("/status", get(status::show).post(status::lookup))
        .route("/status/missing", axum::routing::post(status::missing))
}

/// The pages' stylesheet, outside the limits.
pub(super) fn style() -> Router<AppState> {
    Router::new().route("/apply/style.css", get(html::style))
}
