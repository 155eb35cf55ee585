//! 新規ユーザ登録申請の画面: the application page the server renders — Japanese, usable
//! without JavaScript, and no script or outside resource (its CSP allows only its own CSS).

mod apply;
mod form;
mod html;

use axum::routing::get;
use axum::Router;

use super::state::AppState;

/// The pages an applicant opens (limited as the intake is).
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/apply", get(apply::show).post(apply::submit))
        .route("/apply/confirm", get(apply::confirm_page).post(apply::confirm))
}

/// The pages' stylesheet, outside the limits.
pub(super) fn style() -> Router<AppState> {
    Router::new().route("/apply/style.css", get(html::style))
}
