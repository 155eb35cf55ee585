//! The desk's HTTPS client of the central API (`/v1`): the officer's token from the keychain,
//! the prefecture's own CA and proxy, and nothing but https outside development builds.

use madoguchi_domain::Code;
use std::time::Duration;

use madoguchi_domain::api::{ApiError, ApplicationDetail, ChangesPage, DecisionRequest, Receipt};
use madoguchi_domain::form::ApplicationForm;

use super::error::SyncError;
use crate::keychain::Token;
use crate::outbox::{Answer, OutboxEntry};
use crate::records::RecordKind;

/// Changes asked for per page of the feed.
const PAGE: i64 = 500;

/// How to reach the server.
#[derive(Debug, Clone, Default)]
pub struct SyncConfig {
    pub server_url: String,
    /// Extra root CA (PEM) to trust, for prefecture networks with their own.
    pub ca_pem: Option<Vec<u8>>,
    pub proxy_url: Option<String>,
    /// Development builds may use plain http to this PC (127.0.0.1, ::1, localhost) only.
    pub allow_loopback_http: bool,
    /// This desk's name in the audit trail.
    pub desk_name: String,
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// An authenticated HTTPS client of the central API.
pub struct SyncClient {
    http: reqwest::Client,
    base: reqwest::Url,
    token: Token,
    desk: String,
}

impl std::fmt::Debug for SyncClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncClient")
            .field("base", &self.base.as_str())
            .field("token", &self.token)
            .finish()
    }
}

impl SyncClient {
    pub fn new(config: &SyncConfig, token: Token) -> Result<Self, SyncError> {
        let base = reqwest::Url::parse(config.server_url.trim())
            .map_err(|e| SyncError::Config(format!("URL: {e}")))?;
        let host = base.host_str().unwrap_or_default();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        match base.scheme() {
            "https" => {}
            "http" if config.allow_loopback_http && is_loopback(host) => {}
            _ => return Err(SyncError::InsecureUrl(config.server_url.clone())),
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("madoguchi-desk/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = &config.ca_pem {
            let ca = reqwest::Certificate::from_pem(pem)
                .map_err(|e| SyncError::Config(format!("CA: {e}")))?;
            builder = builder.add_root_certificate(ca);
        }
        if let Some(proxy) = &config.proxy_url {
            builder = builder.proxy(
                reqwest::Proxy::all(proxy).map_err(|e| SyncError::Config(format!("proxy: {e}")))?,
            );
        }
        let http = builder.build().map_err(|e| SyncError::Config(e.to_string()))?;
        let desk = if config.desk_name.trim().is_empty() {
            "desk".to_owned()
        } else {
            config.desk_name.trim().to_owned()
        };
        Ok(Self { http, base, token, desk })
    }

    fn url(&self, path: &str) -> reqwest::Url {
        self.base.join(path).expect("static API paths join")
    }

    async fn check(
        response: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<reqwest::Response, SyncError> {
        let response = response.map_err(|e| SyncError::Offline(e.to_string()))?;
        match response.status().as_u16() {
            401 => Err(SyncError::Unauthorised),
            s if s >= 500 => Err(SyncError::Server(s)),
            _ => Ok(response),
        }
    }

    pub async fn changes(&self, since: i64) -> Result<ChangesPage, SyncError> {
        let mut url = self.url("v1/changes");
        url.query_pairs_mut()
            .append_pair("since", &since.to_string())
            .append_pair("limit", &PAGE.to_string());
        let r =
            Self::check(self.http.get(url).bearer_auth(self.token.expose()).send().await).await?;
        if !r.status().is_success() {
            return Err(SyncError::Protocol(format!("changes: {}", r.status())));
        }
        r.json().await.map_err(|e| SyncError::Offline(e.to_string()))
    }

    /// Sends one action once; network errors and 5xx are the caller's to retry.
    pub(crate) async fn send(&self, entry: &OutboxEntry) -> Result<Answer, SyncError> {
        let request = DecisionRequest {
            expected_version: entry.expected_version,
            action: *entry.action,
            note: entry.note.clone(),
            desk: self.desk.clone(),
        };
        let url = self.url(&format!("v1/applications/{}/decisions", entry.application_id));
        let r = self
            .http
            .post(url)
            .bearer_auth(self.token.expose())
            .header("Idempotency-Key", &entry.idempotency_key)
            .json(&request)
            .send()
            .await;
        let r = Self::check(r).await?;
        let status = r.status().as_u16();
        let body = r.bytes().await.map_err(|e| SyncError::Offline(e.to_string()))?;
        if status == 200 {
            serde_json::from_slice(&body)
                .map(|a| Answer::Accepted(Box::new(a)))
                .map_err(|e| SyncError::Protocol(e.to_string()))
        } else {
            let error = serde_json::from_slice(&body).unwrap_or_else(|_| ApiError {
                code: Code::SyncRefused.to_string(),
                message: format!(
                    "{}（HTTP {status}: {}）",
                    Code::SyncRefused.message_ja(),
                    String::from_utf8_lossy(&body).chars().take(200).collect::<String>()
                ),
                fields: Vec::new(),
                current: None,
            });
            Ok(Answer::Refused(status, error))
        }
    }

    /// 代理申請: submits `form` on the institution's behalf. `Err(ApiError)` inside is the
    /// server's refusal (field errors, another prefecture) for the form to show.
    pub async fn proxy_apply(
        &self,
        form: &ApplicationForm,
    ) -> Result<Result<Receipt, ApiError>, SyncError> {
        let r = self
            .http
            .post(self.url("v1/proxy-applications"))
            .bearer_auth(self.token.expose())
            .json(form)
            .send()
            .await;
        let r = Self::check(r).await?;
        let status = r.status();
        let body = r.bytes().await.map_err(|e| SyncError::Offline(e.to_string()))?;
        if status.is_success() {
            serde_json::from_slice(&body).map(Ok).map_err(|e| SyncError::Protocol(e.to_string()))
        } else {
            serde_json::from_slice(&body)
                .map(Err)
                .map_err(|e| SyncError::Protocol(format!("{status}: {e}")))
        }
    }

    /// An application with its audit trail (履歴), as the server holds it.
    pub async fn application_detail(&self, id: i64) -> Result<ApplicationDetail, SyncError> {
        let r = Self::check(
            self.http
                .get(self.url(&format!("v1/applications/{id}")))
                .bearer_auth(self.token.expose())
                .send()
                .await,
        )
        .await?;
        match r.status().as_u16() {
            200 => r.json().await.map_err(|e| SyncError::Protocol(e.to_string())),
            404 => Err(SyncError::UnknownApplication(id)),
            s => Err(SyncError::Protocol(format!("application {id}: {s}"))),
        }
    }

    /// Uploads a whole record (a call, the prefecture's settings) kept as JSON text.
    /// `Err(ApiError)` inside: the server refused it.
    pub(crate) async fn put_record(
        &self,
        kind: RecordKind,
        id: &str,
        payload: String,
    ) -> Result<Result<(), ApiError>, SyncError> {
        let path = match kind {
            RecordKind::Call => format!("v1/calls/{id}"),
            RecordKind::PrefectureSettings => "v1/prefecture-settings".to_owned(),
        };
        let r = self
            .http
            .put(self.url(&path))
            .bearer_auth(self.token.expose())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(payload)
            .send()
            .await;
        let r = Self::check(r).await?;
        if r.status().is_success() {
            return Ok(Ok(()));
        }
        let status = r.status();
        let body = r.bytes().await.map_err(|e| SyncError::Offline(e.to_string()))?;
        serde_json::from_slice(&body)
            .map(Err)
            .map_err(|e| SyncError::Protocol(format!("{status}: {e}")))
    }

    /// Reachability and the token, for 診断.
    pub async fn health(&self) -> Result<(), SyncError> {
        let r = Self::check(self.http.get(self.url("v1/health")).send().await).await?;
        if r.status().is_success() {
            Ok(())
        } else {
            Err(SyncError::Protocol(r.status().to_string()))
        }
    }
}
