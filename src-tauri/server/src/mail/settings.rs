//! 配信の設定: the prefecture's relay and everything else mail needs, read from the settings
//! file, the environment or the command line.

use std::net::SocketAddr;
use std::time::Duration;

use super::compose::Charset;
use super::error::MailConfigError;
use crate::redact::redact;

/// How the relay is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `smtps://`: TLS from the first byte.
    Implicit,
    /// `smtp://` (the default): STARTTLS, required.
    StartTls,
    /// `smtp://…?tls=opportunistic`: STARTTLS where the relay offers it.
    Opportunistic,
    /// `smtp://…?tls=none`: plain text, for a relay on the same host only.
    None,
}

/// The prefecture's mail relay.
#[derive(Clone, PartialEq, Eq)]
pub struct Relay {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: Option<String>,
    pub password: Option<String>,
    /// PEM of a CA to trust besides the system's (a prefecture's own CA).
    pub ca_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for Relay {
    // Never the password, not even in a debug log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}://{}:{} (user {:?})", self.security, self.host, self.port, self.user)
    }
}

impl Relay {
    /// `smtp://[user[:password]@]host[:port][?tls=opportunistic|none]` or `smtps://…`;
    /// credentials given separately win over those in the URL.
    pub fn parse(url: &str) -> Result<Self, MailConfigError> {
        let bad = || MailConfigError::RelayUrl(redact(url));
        let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (credentials, hostport) = match rest.rsplit_once('@') {
            Some((c, h)) => (Some(c), h),
            None => (None, rest),
        };
        let (user, password) = match credentials {
            Some(c) => {
                let (u, p) = c.split_once(':').map_or((c, None), |(u, p)| (u, Some(p)));
                (Some(percent_decode(u)), p.map(percent_decode))
            }
            None => (None, None),
        };
        let (mut security, default_port) = match scheme {
            "smtps" => (Security::Implicit, 465),
            "smtp" => (Security::StartTls, 25),
            _ => return Err(bad()),
        };
        match (scheme, query) {
            (_, "") => {}
            ("smtp", "tls=opportunistic") => security = Security::Opportunistic,
            ("smtp", "tls=none") => security = Security::None,
            _ => return Err(bad()),
        }
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
                (h, p.parse().map_err(|_| bad())?)
            }
            _ => (hostport, default_port),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || hostport.ends_with('/') {
            return Err(bad());
        }
        Ok(Self { host: host.into(), port, security, user, password, ca_pem: None })
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Everything mail needs, from the settings file, the environment or the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// None: notices are kept (送信待ち) and nothing is sent.
    pub relay: Option<Relay>,
    /// The From of every notice: `G-MIS事務局 <info@g-mis.net>` by default.
    pub from: lettre::message::Mailbox,
    /// Envelope senders are `bounce+<notice id>@` this domain; reports come back to it.
    pub bounce_domain: Option<String>,
    /// Where bounces are received (SMTP, for the bounce domain only).
    pub bounce_listen: Option<SocketAddr>,
    pub charset: Charset,
    /// Connections to the relay kept open, and so notices sent at once.
    pub connections: usize,
    /// 4xx answers and lost connections are retried for this long, then 送信失敗.
    pub retry_for: Duration,
    /// How often the outbox is looked at for new or due notices.
    pub poll: Duration,
    /// Each SMTP command's answer from the relay is awaited this long, both ways.
    pub timeout: Duration,
    /// The bounce listener's limits: it faces the internet.
    pub inbound: InboundLimits,
}

/// What one sender, or all of them, can take of the bounce listener (`[inbound]` in the
/// server's TOML; durations in seconds). A real reporting MTA sends one small report per
/// message, a recipient or two, and reads every reply; anything past these is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InboundLimits {
    /// Larger mail is refused (552) and counted; held in memory while it is read.
    pub max_bytes: usize,
    /// Recipients per message; more are refused (452).
    pub max_recipients: usize,
    /// Messages one address may send: `mail_burst` at once, then one per `mail_every`;
    /// past it, 421 at MAIL (a real MTA tries again later; a forger's reports are not read).
    pub mail_burst: u32,
    #[serde(rename = "mail_every_seconds", deserialize_with = "crate::limits::seconds")]
    pub mail_every: Duration,
    /// Sessions at once, all senders; more are told 421 and closed.
    pub sessions: usize,
    /// Sessions at once from one address (an IPv6 /64 counts as one).
    pub per_address: usize,
    /// A session ends after this, whatever it is doing.
    #[serde(rename = "session_seconds", deserialize_with = "crate::limits::seconds")]
    pub session: Duration,
    /// A command (or a DATA line) not sent within this ends the session.
    #[serde(rename = "idle_seconds", deserialize_with = "crate::limits::seconds")]
    pub idle: Duration,
    /// A reply the sender does not read within this ends the session.
    #[serde(rename = "write_seconds", deserialize_with = "crate::limits::seconds")]
    pub write: Duration,
    /// Refused commands in one session before it is closed.
    pub max_errors: usize,
    /// An address closed for misbehaving this often is refused for `penalty`.
    pub strikes: u32,
    #[serde(rename = "penalty_seconds", deserialize_with = "crate::limits::seconds")]
    pub penalty: Duration,
    /// Received mail kept (headers and the report part): the oldest go first.
    pub max_rows: i64,
    /// …and for no longer than this.
    #[serde(rename = "keep_days", deserialize_with = "days")]
    pub keep: Duration,
}

fn days<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let n = <u32 as serde::Deserialize>::deserialize(d)?;
    Ok(Duration::from_secs(u64::from(n.max(1)) * 24 * 3600))
}

impl Default for InboundLimits {
    fn default() -> Self {
        Self {
            max_bytes: 512 * 1024,
            max_recipients: 16,
            mail_burst: 20,
            mail_every: Duration::from_secs(2),
            sessions: 64,
            per_address: 4,
            session: Duration::from_secs(300),
            idle: Duration::from_secs(60),
            write: Duration::from_secs(10),
            max_errors: 10,
            strikes: 3,
            penalty: Duration::from_secs(600),
            max_rows: 20_000,
            keep: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            relay: None,
            from: madoguchi_domain::notice::SENDER.parse().expect("the sender parses"),
            bounce_domain: None,
            bounce_listen: None,
            charset: Charset::Utf8,
            connections: 4,
            retry_for: Duration::from_secs(24 * 3600),
            poll: Duration::from_millis(500),
            timeout: Duration::from_secs(60),
            inbound: InboundLimits::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_urls() {
        let r = Relay::parse("smtp://relay.pref.example.lg.jp:587").unwrap();
        assert_eq!(
            (r.host.as_str(), r.port, r.security),
            ("relay.pref.example.lg.jp", 587, Security::StartTls)
        );
        let r = Relay::parse("smtps://madoguchi:p%40ss@relay.example").unwrap();
        assert_eq!((r.port, r.security), (465, Security::Implicit));
        assert_eq!((r.user.as_deref(), r.password.as_deref()), (Some("madoguchi"), Some("p@ss")));
        assert!(!format!("{r:?}").contains("p@ss"), "the password never reaches a log");
        let r = Relay::parse("smtp://127.0.0.1:2525?tls=none").unwrap();
        assert_eq!(r.security, Security::None);
        assert_eq!(Relay::parse("smtp://[::1]:25").unwrap().host, "::1");
        for bad in ["relay:25", "http://relay", "smtp://", "smtp://h:x", "smtps://h?tls=none"] {
            assert!(Relay::parse(bad).is_err(), "{bad}");
        }
        let e = Relay::parse("ftp://u:secret@h").unwrap_err().to_string();
        assert!(!e.contains("secret"), "{e}");
    }
}
