//! This process's counts and the scrape's text (see the module above).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use madoguchi_domain::delivery::DeliveryEvent;
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::storage::{Figures, MailRecord, Storage, StorageError};

type Labels = Vec<(&'static str, String)>;
type Timings = Family<Labels, Histogram, fn() -> Histogram>;

/// The statuses a door answers when it refuses for load or abuse, counted apart.
const REFUSALS: [u16; 4] = [408, 413, 429, 503];

/// This process's counts, registered once; the database's figures are read at each scrape.
pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: Timings,
    refusals: Family<Labels, Counter>,
    smtp: Family<Labels, Counter>,
    delivery: Family<Labels, Counter>,
    inbound: Family<Labels, Counter>,
    status: Family<Labels, Counter>,
    tls: Family<Labels, Counter>,
    /// Per prefecture, the cursor a desk last pulled up to, and when.
    pulls: Mutex<HashMap<String, (i64, DateTime<Utc>)>>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("madoguchi");
        let requests = Family::<Labels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests by route, method and status",
            requests.clone(),
        );
        // 5 ms … about 20 s.
        let latency =
            Timings::new_with_constructor(|| Histogram::new(exponential_buckets(0.005, 2.0, 13)));
        registry.register(
            "http_request_duration_seconds",
            "Time to answer, by route",
            latency.clone(),
        );
        let refusals = Family::<Labels, Counter>::default();
        registry.register(
            "refusals",
            "Requests refused for load or abuse (408, 413, 429, 503) by route and reason code",
            refusals.clone(),
        );
        let smtp = Family::<Labels, Counter>::default();
        registry.register(
            "smtp_attempts",
            "Attempts to hand a notice to the relay, by outcome (sent, queued = retry, failed)",
            smtp.clone(),
        );
        let delivery = Family::<Labels, Counter>::default();
        registry.register(
            "delivery_events",
            "Delivery events recorded on notices, by state and bounce category",
            delivery.clone(),
        );
        let status = Family::<Labels, Counter>::default();
        registry.register(
            "status_checks",
            "Questions on the public status page, by outcome (found, not_found, limited, told = the applicant told the window a mail is missing, told_already)",
            status.clone(),
        );
        let tls = Family::<Labels, Counter>::default();
        registry.register(
            "tls_handshakes",
            "TLS handshakes completed, by kind (full, resumed = a session ticket or id reused)",
            tls.clone(),
        );
        let inbound = Family::<Labels, Counter>::default();
        registry.register(
            "inbound_mail",
            "Mail received by the bounce listener, by verdict",
            inbound.clone(),
        );
        // Known outcomes start at 0, so a rate over them is defined before the first event.
        for outcome in ["sent", "queued", "failed"] {
            let _ = smtp.get_or_create(&vec![("outcome", outcome.to_owned())]);
        }
        for kind in ["full", "resumed"] {
            let _ = tls.get_or_create(&vec![("kind", kind.to_owned())]);
        }
        for verdict in ["matched", "unmatched", "no_recipient", "not_report", "too_large"] {
            let _ = inbound.get_or_create(&vec![("verdict", verdict.to_owned())]);
        }
        Self {
            registry,
            requests,
            latency,
            refusals,
            smtp,
            delivery,
            inbound,
            status,
            tls,
            pulls: Mutex::default(),
        }
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// One answered request. `reason` is the refusal's code (E-API-…), when it carries one.
    pub fn request(
        &self,
        route: &str,
        method: &str,
        status: u16,
        seconds: f64,
        reason: Option<&str>,
    ) {
        let route = route.to_owned();
        let labels = vec![
            ("route", route.clone()),
            ("method", method.to_owned()),
            ("status", status.to_string()),
        ];
        self.requests.get_or_create(&labels).inc();
        self.latency.get_or_create(&vec![("route", route.clone())]).observe(seconds);
        if REFUSALS.contains(&status) {
            let reason = reason.unwrap_or("timeout").to_owned();
            let labels = vec![("route", route), ("status", status.to_string()), ("reason", reason)];
            self.refusals.get_or_create(&labels).inc();
        }
    }

    /// One question on the status page and what came of it.
    pub fn status_check(&self, outcome: &str) {
        self.status.get_or_create(&vec![("outcome", outcome.to_owned())]).inc();
    }

    /// Questions on the status page with this outcome so far.
    pub fn status_checks(&self, outcome: &str) -> u64 {
        self.status.get_or_create(&vec![("outcome", outcome.to_owned())]).get()
    }

    /// One TLS handshake completed.
    pub fn tls_handshake(&self, resumed: bool) {
        let kind = if resumed { "resumed" } else { "full" };
        self.tls.get_or_create(&vec![("kind", kind.to_owned())]).inc();
    }

    /// TLS handshakes of this kind (`full`, `resumed`) so far.
    pub fn tls_handshakes(&self, kind: &str) -> u64 {
        self.tls.get_or_create(&vec![("kind", kind.to_owned())]).get()
    }

    /// Attempts recorded with this outcome so far, as `smtp_attempts` exports them: a bench
    /// waits on this instead of reading the whole outbox.
    pub fn smtp_attempts(&self, outcome: &str) -> u64 {
        self.smtp.get_or_create(&vec![("outcome", outcome.to_owned())]).get()
    }

    /// Mail records as committed: an attempt's outcome, a received mail and what it reported.
    pub fn recorded(&self, records: &[MailRecord]) {
        for record in records {
            match record {
                MailRecord::Settle { event, .. } => {
                    self.smtp.get_or_create(&vec![("outcome", name(&event.state))]).inc();
                    self.event(event);
                }
                MailRecord::Keep { mail, event, .. } => {
                    self.inbound.get_or_create(&vec![("verdict", mail.verdict.to_owned())]).inc();
                    if let Some((_, event)) = event {
                        self.event(event);
                    }
                }
            }
        }
    }

    fn event(&self, event: &DeliveryEvent) {
        let category = event.category.as_ref().map_or_else(|| "none".to_owned(), name);
        self.delivery
            .get_or_create(&vec![("state", name(&event.state)), ("category", category)])
            .inc();
    }

    /// A desk of `prefecture` pulled its feed up to `cursor`.
    pub fn pulled(&self, prefecture: &str, cursor: i64) {
        self.pulls
            .lock()
            .expect("not poisoned")
            .insert(prefecture.to_owned(), (cursor, Utc::now()));
    }

    /// The text a Prometheus server scrapes: this process's counts, then the database's
    /// figures read now.
    pub async fn render(
        &self,
        storage: &dyn Storage,
        draining: bool,
    ) -> Result<String, StorageError> {
        let figures = storage.figures().await?;
        let now = Utc::now();
        let health = crate::mail_health::health_of_each(storage, &figures, None, now).await?;
        let mut text = String::new();
        encode_registry(&mut text, &self.registry).expect("writing to a String");
        encode_registry(&mut text, &self.gauges(&figures, now, draining))
            .expect("writing to a String");
        encode_registry(&mut text, &mail_gauges(&health)).expect("writing to a String");
        encode_eof(&mut text).expect("writing to a String");
        Ok(text)
    }

    fn gauges(&self, figures: &Figures, now: DateTime<Utc>, draining: bool) -> Registry {
        let mut r = Registry::with_prefix("madoguchi");
        let age = |at: &str| {
            DateTime::parse_from_rfc3339(at)
                .map_or(0.0, |t| (now - t.to_utc()).num_milliseconds() as f64 / 1000.0)
        };
        let by = |r: &mut Registry, name: &str, help: &str, rows: Vec<(Labels, f64)>| {
            let family = Family::<Labels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
            for (labels, value) in rows {
                family.get_or_create(&labels).set(value);
            }
            r.register(name, help, family);
        };
        let prefecture = |p: &str| vec![("prefecture", p.to_owned())];
        let stopping = Gauge::<i64>::default();
        stopping.set(i64::from(draining));
        r.register("draining", "1 while the server is stopping", stopping);
        let notices = figures.notices.iter().map(|(p, state, n)| {
            (vec![("prefecture", p.clone()), ("state", state.clone())], *n as f64)
        });
        by(&mut r, "notices", "Notices by prefecture and delivery state", notices.collect());
        let oldest = figures.oldest_queued.iter().map(|(p, at)| (prefecture(p), age(at)));
        by(
            &mut r,
            "oldest_queued_notice_age_seconds",
            "Age of the oldest notice not yet handed to the relay",
            oldest.collect(),
        );
        let pulls = self.pulls.lock().expect("not poisoned").clone();
        let heads = || figures.feed_head.iter();
        by(
            &mut r,
            "feed_head",
            "The newest change in each prefecture's feed",
            heads().map(|(p, seq)| (prefecture(p), *seq as f64)).collect(),
        );
        let lag = heads().filter_map(|(p, head)| {
            pulls.get(p).map(|(cursor, _)| (prefecture(p), (head - cursor).max(0) as f64))
        });
        by(
            &mut r,
            "feed_lag_changes",
            "Changes a desk of the prefecture has not pulled yet (by this process's last pull)",
            lag.collect(),
        );
        let since = pulls
            .iter()
            .map(|(p, (_, at))| (prefecture(p), (now - *at).num_milliseconds() as f64 / 1000.0));
        by(
            &mut r,
            "feed_last_pull_age_seconds",
            "Time since a desk of the prefecture last pulled its feed from this process",
            since.collect(),
        );
        let officers = || figures.officers.iter();
        let used = officers()
            .filter_map(|(p, used, _, _)| used.as_deref().map(|u| (prefecture(p), age(u))));
        by(
            &mut r,
            "officer_last_use_age_seconds",
            "Time since any officer of the prefecture last used the API",
            used.collect(),
        );
        let expiry = officers().map(|(p, _, expires, _)| (prefecture(p), -age(expires)));
        by(
            &mut r,
            "officer_token_expiry_seconds",
            "Time until the prefecture's soonest officer token expires",
            expiry.collect(),
        );
        let live = officers().map(|(p, _, _, n)| (prefecture(p), *n as f64));
        by(&mut r, "officers", "Officers with a live token", live.collect());
        r
    }
}

/// Mail health by prefecture: trouble per mille over the last day and the week before, and
/// the share of 疎通確認 mails confirmed.
fn mail_gauges(health: &[madoguchi_domain::mail_health::MailHealth]) -> Registry {
    let mut r = Registry::with_prefix("madoguchi");
    let trouble = Family::<Labels, Gauge>::default();
    let confirmed = Family::<Labels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
    for h in health {
        let code = h.prefecture.code();
        for (window, tally) in [("1d", &h.recent), ("7d", &h.baseline)] {
            let labels = vec![("prefecture", code.clone()), ("window", window.to_owned())];
            trouble.get_or_create(&labels).set(tally.trouble_per_mille);
        }
        if h.checks_sent > 0 {
            let ratio = h.checks_confirmed as f64 / h.checks_sent as f64;
            confirmed.get_or_create(&vec![("prefecture", code)]).set(ratio);
        }
    }
    r.register(
        "mail_trouble_per_mille",
        "Notices refused by the relay or bounced, per thousand that left the queue, over the last day (1d) and the 7 days before (7d)",
        trouble,
    );
    r.register(
        "mail_checks_confirmed_ratio",
        "Share of the last 8 days' 疎通確認 mails whose application was confirmed",
        confirmed,
    );
    r
}

/// A state's or category's name as the API spells it (`no_such_user`).
fn name(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}
