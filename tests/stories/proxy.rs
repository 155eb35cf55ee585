//! A desk behind a prefecture's proxy that sometimes answers for the server: a busy 429 with
//! Retry-After on a decision, and its own HTML page instead of the server's answer on a call
//! upload. Nothing is refused for it, nothing stops the pull, the status bar says what is
//! waiting, and all of it goes through once the proxy lets it.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use madoguchi_domain::triage::Tree;
use madoguchi_domain::{Action, ApplicationStatus};
use madoguchi_server::testing::{form, Backend, TestServer};
use madoguchi_stories::{client_at, tokyo_desk};

/// The proxy: forwards to the server, except what it is told to get in the way of.
struct Proxy {
    upstream: String,
    client: reqwest::Client,
    /// Answer call uploads with the proxy's own HTML page.
    block_calls: AtomicBool,
    /// Decisions to answer 429 (Retry-After: 1) before letting them through.
    busy_decisions: AtomicUsize,
}

async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let path = request.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default();
    let method = request.method().clone();
    if method == "PUT" && path.starts_with("/v1/calls/") && proxy.block_calls.load(Ordering::SeqCst)
    {
        let page = "<html><body><h1>403 Forbidden</h1>Blocked by the office proxy</body></html>";
        return (StatusCode::FORBIDDEN, [("content-type", "text/html")], page).into_response();
    }
    if method == "POST"
        && path.ends_with("/decisions")
        && proxy
            .busy_decisions
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    {
        return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")], "").into_response();
    }
    let mut upstream = proxy.client.request(
        reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap(),
        format!("{}{path}", proxy.upstream),
    );
    for (name, value) in request.headers() {
        if name != "host" {
            upstream = upstream.header(name.as_str(), value.as_bytes());
        }
    }
    let body = axum::body::to_bytes(request.into_body(), 1 << 22).await.unwrap();
    let answer = upstream.body(body).send().await.unwrap();
    let mut response = Response::builder().status(answer.status().as_u16());
    for (name, value) in answer.headers() {
        response = response.header(name.as_str(), value.as_bytes());
    }
    response.body(Body::from(answer.bytes().await.unwrap())).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn what_a_proxy_gets_in_the_way_of_waits_and_the_pull_goes_on() {
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let proxy = Arc::new(Proxy {
        upstream: server.url.clone(),
        client: server.client(),
        block_calls: AtomicBool::new(true),
        busy_decisions: AtomicUsize::new(1),
    });
    let tls = madoguchi_server::tls_config(&server.certs.cert_path, &server.certs.key_path)
        .await
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().fallback(forward).with_state(proxy.clone());
    tokio::spawn(axum_server::from_tcp_rustls(listener, tls).serve(app.into_make_service()));

    let d = tokyo_desk(&server, &token, "desk-a").await;
    let via_proxy = client_at(&server, &token, "desk-a", format!("https://localhost:{port}"));
    let id = server.submit(&form("13", 5)).await.id;
    d.store.sync(&via_proxy).await.unwrap();
    d.store.queue_action(id, Action::StartReview, None).await.unwrap();
    let call = d.store.start_call(Tree::national(), "desk-a", chrono::Utc::now()).await.unwrap();
    d.store.finish_call(&call.id, "", None, chrono::Utc::now()).await.unwrap();
    let later = server.submit(&form("13", 6)).await.id;

    // The busy answer is waited out; the proxy's page leaves the call unsent, not refused;
    // the pull still brings the new application; the status bar says what waits.
    let report = d.store.sync(&via_proxy).await.unwrap();
    assert_eq!((report.sent, report.rejected), (1, 0), "{report:?}");
    assert_eq!(proxy.busy_decisions.load(Ordering::SeqCst), 0, "the 429 was met and waited out");
    assert_eq!(
        server.storage.application("13".parse().unwrap(), id).await.unwrap().unwrap().status,
        ApplicationStatus::InReview
    );
    assert!(d.store.application(later).await.unwrap().is_some(), "pulled despite the call");
    let status = d.store.sync_status().await.unwrap();
    assert_eq!((status.pending, status.rejected), (1, 0));
    let said = status.last_error.expect("said in the status bar");
    assert!(said.starts_with("E-SYNC-PROTOCOL"), "{said}");

    // The proxy lets it through: sent, and the status bar is clear.
    proxy.block_calls.store(false, Ordering::SeqCst);
    let report = d.store.sync(&via_proxy).await.unwrap();
    assert_eq!((report.sent, report.rejected), (1, 0));
    let status = d.store.sync_status().await.unwrap();
    assert_eq!((status.pending, status.last_error), (0, None));
}
