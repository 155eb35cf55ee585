//! The desk's HTTPS client of the central API (`/v1`): the officer's token from the keychain,
//! the prefecture's own CA and proxy, and nothing but https outside development builds.

use std::time::Duration;

use madoguchi_domain::api::{
    ApiError, ApplicationDetail, BatchDecision, ChangesPage, DecisionBatch, DecisionBatchAnswer,
    DecisionRequest, Entity, Receipt, Stored,
};
use madoguchi_domain::form::ApplicationForm;

use super::error::SyncError;
use crate::keychain::Token;
use crate::outbox::{Answer, OutboxEntry};
use crate::records::RecordKind;

/// What the server said to a record upload.
pub(crate) enum Upload {
    /// The server holds the desk's copy, at this version.
    Held(i64),
    /// Made on an older version: the server's copy.
    Stale(Box<Entity>),
    /// Refused for what it is (another prefecture, invalid).
    Refused(ApiError),
}

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

/// Why a request got no answer: an untrusted certificate is told apart from a server that is
/// away, since only IT can mend the first. The whole chain of causes goes to the log.
fn unanswered(e: reqwest::Error) -> SyncError {
    let mut causes = Vec::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = source {
        let tls = err.downcast_ref::<rustls::Error>().or_else(|| {
            err.downcast_ref::<std::io::Error>()?.get_ref()?.downcast_ref::<rustls::Error>()
        });
        if let Some(rustls::Error::InvalidCertificate(why)) = tls {
            return SyncError::Untrusted(format!("{why:?}"));
        }
        causes.push(err.to_string());
        source = err.source();
    }
    causes.dedup();
    SyncError::Offline(causes.join(": "))
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
        let response = response.map_err(unanswered)?;
        let after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        match response.status().as_u16() {
            401 => Err(SyncError::Unauthorised),
            s @ (408 | 429) => Err(SyncError::Busy(s, after)),
            // Unavailable for a while (starting, stopping, full), and saying how long.
            503 if after.is_some() => Err(SyncError::Busy(503, after)),
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
        r.json().await.map_err(unanswered)
    }

    /// 配信の健全性 of the officer's prefecture, as the server reckons it now.
    pub async fn mail_health(
        &self,
    ) -> Result<madoguchi_domain::mail_health::MailHealth, SyncError> {
        let url = self.url("v1/mail/health");
        let r =
            Self::check(self.http.get(url).bearer_auth(self.token.expose()).send().await).await?;
        if !r.status().is_success() {
            return Err(SyncError::Protocol(format!("mail health: {}", r.status())));
        }
        r.json().await.map_err(unanswered)
    }

    /// Sends actions once, in one request (一括送信), each with its own key; network errors
    /// and 5xx are the caller's to retry. One answer per action, in order.
    pub(crate) async fn send(&self, entries: &[&OutboxEntry]) -> Result<Vec<Answer>, SyncError> {
        let batch = DecisionBatch {
            decisions: entries
                .iter()
                .map(|entry| BatchDecision {
                    application_id: entry.application_id,
                    idempotency_key: entry.idempotency_key.clone(),
                    request: DecisionRequest {
                        expected_version: entry.expected_version,
                        action: *entry.action,
                        note: entry.note.clone(),
                        desk: self.desk.clone(),
                    },
                })
                .collect(),
        };
        let r = self
            .http
            .post(self.url("v1/decisions"))
            .bearer_auth(self.token.expose())
            .json(&batch)
            .send()
            .await;
        let r = Self::check(r).await?;
        let status = r.status().as_u16();
        let body = r.bytes().await.map_err(unanswered)?;
        // Only the server's own answers settle actions; anything else (a proxy's HTML page)
        // leaves them pending for the next sync.
        let answer: DecisionBatchAnswer = match status {
            200 => serde_json::from_slice(&body).map_err(|e| SyncError::Protocol(e.to_string()))?,
            _ => {
                return Err(SyncError::Protocol(match serde_json::from_slice::<ApiError>(&body) {
                    Ok(error) => format!("decisions: HTTP {status} {}", error.code),
                    Err(_) => format!("decisions: HTTP {status} without the API's answer"),
                }))
            }
        };
        if answer.results.len() != entries.len()
            || answer
                .results
                .iter()
                .zip(entries)
                .any(|(r, e)| r.idempotency_key != e.idempotency_key)
        {
            return Err(SyncError::Protocol("decisions: answers do not match the batch".into()));
        }
        answer
            .results
            .into_iter()
            .map(|result| match (result.decided, result.refused) {
                (Some(decided), _) if result.status == 200 => {
                    Ok(Answer::Accepted(Box::new(decided)))
                }
                (_, Some(error)) if result.status != 200 => {
                    Ok(Answer::Refused(result.status, error))
                }
                _ => Err(SyncError::Protocol(format!(
                    "decisions: answer {} without its body",
                    result.status
                ))),
            })
            .collect()
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
        let body = r.bytes().await.map_err(unanswered)?;
        if status.is_success() {
            serde_json::from_slice(&body).map(Ok).map_err(|e| SyncError::Protocol(e.to_string()))
        } else {
            serde_json::from_slice(&body)
                .map(Err)
                .map_err(|e| SyncError::Protocol(format!("{status}: {e}")))
        }
    }

    /// Asks the server to mail reminders (報告依頼・督促・申請のお願い); each queued or refused.
    pub async fn send_reminders(
        &self,
        batch: &madoguchi_domain::reminder::ReminderBatch,
    ) -> Result<madoguchi_domain::reminder::ReminderAnswer, SyncError> {
        let r = self
            .http
            .post(self.url("v1/reminders"))
            .bearer_auth(self.token.expose())
            .json(batch)
            .send()
            .await;
        let r = Self::check(r).await?;
        let status = r.status();
        if !status.is_success() {
            return Err(SyncError::Protocol(format!("reminders: {status}")));
        }
        r.json().await.map_err(|e| SyncError::Protocol(e.to_string()))
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

    /// Uploads a whole record (a call, the prefecture's settings) kept as JSON text, made on
    /// the version in it.
    pub(crate) async fn put_record(
        &self,
        kind: RecordKind,
        id: &str,
        payload: String,
    ) -> Result<Upload, SyncError> {
        let path = match kind {
            RecordKind::Call => format!("v1/calls/{id}"),
            RecordKind::PrefectureSettings => "v1/prefecture-settings".to_owned(),
            RecordKind::Contact => format!("v1/contacts/{id}"),
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
        let status = r.status();
        let body = r.bytes().await.map_err(unanswered)?;
        if status.is_success() {
            return match serde_json::from_slice::<Stored>(&body) {
                Ok(Stored { stored: true, version }) => Ok(Upload::Held(version)),
                Ok(Stored { stored: false, .. }) => Err(SyncError::Protocol(format!(
                    "{path}: the server did not store it (stored: false)"
                ))),
                Err(e) => Err(SyncError::Protocol(format!("{path}: {status}: {e}"))),
            };
        }
        match serde_json::from_slice::<ApiError>(&body) {
            Ok(ApiError { record: Some(current), .. }) if status.as_u16() == 409 => {
                Ok(Upload::Stale(current))
            }
            Ok(error) => Ok(Upload::Refused(error)),
            // Not the server speaking (a proxy's page): worth trying again later.
            Err(_) => {
                Err(SyncError::Protocol(format!("{path}: {status} without the API's answer")))
            }
        }
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
