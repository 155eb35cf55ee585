//! The public pages' frame: Japanese, the server's own CSS only, no script, nothing from
//! elsewhere, and every text escaped.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::http::failure::Failure;

pub(super) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A page of the server's own: its CSS only, no script, nothing from elsewhere.
pub(super) fn page(status: StatusCode, title: &str, main: &str) -> Response {
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

/// A refusal (429, 503 …) as a page titled `title`, with its headers (Retry-After).
pub(super) fn refusal(title: &str, Failure(status, body, headers): Failure) -> Response {
    let mut r = page(status, title, &paragraphs(&[&body.message]));
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            r.headers_mut().insert(name, v);
        }
    }
    r
}

/// Paragraphs of plain text, escaped.
pub(super) fn paragraphs(lines: &[&str]) -> String {
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
h2{font-size:1.2rem;margin-top:2rem}.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}.facts dt{font-weight:bold}.facts dd{margin:0}\
table{border-collapse:collapse;width:100%}th,td{border:1px solid #6b7785;padding:.4rem;text-align:left;vertical-align:top}th{background:#eef1f4}\
button{margin-top:1.5rem;font-size:1.1rem;padding:.7rem 1.6rem;background:#1f4e79;color:#fff;border:0;border-radius:4px;cursor:pointer}";

pub(super) async fn style() -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"))], STYLE)
        .into_response()
}
