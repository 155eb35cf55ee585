//! 不達通知の読み取り: a mail that came back, read as a delivery report — RFC 3464
//! (`message/delivery-status`, what Postfix, Exchange and Gmail send) or, failing that, the
//! plain-text bounce of a common system (Postfix, Exchange's 配信不能 / Undeliverable, Gmail).

use madoguchi_domain::DeliveryState;
use mail_parser::{MessageParser, MimeHeaders};

use super::send::enhanced_status;

/// What a report says about one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedRecipient {
    pub address: Option<String>,
    /// `Bounced`, `Deferred` or `Delivered`.
    pub state: DeliveryState,
    pub enhanced_status: Option<String>,
    pub smtp_code: Option<u16>,
    pub diagnostic: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// `rfc3464`, or the plain-text format recognised.
    pub format: &'static str,
    pub envelope_id: Option<String>,
    pub original_message_id: Option<String>,
    pub recipients: Vec<ReportedRecipient>,
    /// The report's own words — the delivery-status fields, or a plain bounce's diagnostic
    /// line — which is what is kept of it (never the returned notice, which holds links).
    pub part: String,
}

/// Reads `raw` as a delivery report; `None` if it is not one.
pub fn parse_report(raw: &[u8]) -> Option<Report> {
    let message = MessageParser::default().parse(raw)?;
    let mut status_fields = None;
    let mut original_headers = None;
    for part in &message.parts {
        let Some(ct) = part.content_type() else { continue };
        let kind = (ct.ctype().to_ascii_lowercase(), ct.subtype().map(str::to_ascii_lowercase));
        match (kind.0.as_str(), kind.1.as_deref()) {
            ("message", Some("delivery-status" | "global-delivery-status")) => {
                status_fields = Some(String::from_utf8_lossy(part.contents()).into_owned());
            }
            ("text", Some("rfc822-headers")) | ("message", Some("rfc822-headers")) => {
                original_headers = Some(String::from_utf8_lossy(part.contents()).into_owned());
            }
            ("message", Some("rfc822" | "global")) => {
                let inner = part.message().map(|m| m.raw_message().to_vec());
                let bytes = inner.unwrap_or_else(|| part.contents().to_vec());
                original_headers.get_or_insert(String::from_utf8_lossy(&bytes).into_owned());
            }
            _ => {}
        }
    }
    let text: String =
        message.text_bodies().filter_map(|p| p.text_contents()).collect::<Vec<_>>().join("\n");
    let original_message_id =
        original_headers.as_deref().or(Some(text.as_str())).and_then(header_message_id);
    if let Some(fields) = status_fields {
        let mut report = rfc3464(&fields, original_message_id);
        report.part = fields;
        return Some(report);
    }
    let subject = message.subject().unwrap_or_default();
    let from = message.from().and_then(|f| f.first()).and_then(|a| a.address()).unwrap_or_default();
    plain(subject, from, &text, original_message_id)
}

/// RFC 3464's per-message fields, then one group per recipient.
fn rfc3464(fields: &str, original_message_id: Option<String>) -> Report {
    let mut groups = Vec::new();
    let mut current: Vec<(String, String)> = Vec::new();
    for line in fields.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                groups.push(std::mem::take(&mut current));
            }
        } else if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = current.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            current.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    if !current.is_empty() {
        groups.push(current);
    }
    let get = |g: &[(String, String)], key: &str| {
        g.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    };
    let envelope_id = groups.first().and_then(|g| get(g, "original-envelope-id"));
    let recipients = groups
        .iter()
        .filter(|g| get(g, "action").is_some())
        .map(|g| {
            let action = get(g, "action").unwrap_or_default().to_ascii_lowercase();
            let diagnostic = get(g, "diagnostic-code").unwrap_or_default();
            let diagnostic = diagnostic
                .split_once(';')
                .map_or(diagnostic.as_str(), |(_, d)| d)
                .trim()
                .to_owned();
            let status = get(g, "status")
                .map(|s| s.split_whitespace().next().unwrap_or_default().to_owned());
            let address = get(g, "final-recipient")
                .or_else(|| get(g, "original-recipient"))
                .map(|r| r.split_once(';').map_or(r.as_str(), |(_, a)| a).trim().to_owned());
            ReportedRecipient {
                address,
                state: match action.as_str() {
                    "delayed" => DeliveryState::Deferred,
                    "delivered" | "relayed" | "expanded" => DeliveryState::Delivered,
                    _ => DeliveryState::Bounced,
                },
                enhanced_status: status.filter(|s| enhanced_status(s).is_some()),
                smtp_code: reply_code(&diagnostic),
                diagnostic,
            }
        })
        .collect();
    Report { format: "rfc3464", envelope_id, original_message_id, recipients, part: String::new() }
}

/// Bounces without a report part, recognised by their sender and subject.
fn plain(
    subject: &str,
    from: &str,
    text: &str,
    original_message_id: Option<String>,
) -> Option<Report> {
    let subject_l = subject.to_lowercase();
    let from_l = from.to_lowercase();
    let format = if subject_l.contains("undelivered mail returned to sender")
        || text.contains("This is the mail system at host")
    {
        "postfix"
    } else if subject.contains("配信不能")
        || subject_l.starts_with("undeliverable")
        || text.contains("Remote Server returned")
    {
        "exchange"
    } else if subject_l.contains("delivery status notification")
        || from_l.contains("googlemail.com")
    {
        "gmail"
    } else if from_l.starts_with("mailer-daemon@")
        || from_l.starts_with("postmaster@")
        || subject_l.contains("failure notice")
        || subject_l.contains("returned mail")
    {
        "plain"
    } else {
        return None;
    };
    let delayed = subject_l.contains("delay")
        || subject.contains("遅延")
        || text.contains("will retry")
        || text.contains("delayed");
    // The line that carries the remote server's words, else the first with a status code.
    let diagnostic = text
        .lines()
        .map(str::trim)
        .find(|l| reply_code(l).is_some() && enhanced_status(l).is_some())
        .or_else(|| text.lines().map(str::trim).find(|l| enhanced_status(l).is_some()))
        .unwrap_or_default()
        .to_owned();
    let enhanced = enhanced_status(&diagnostic);
    let address = text
        .split(|c: char| c.is_whitespace() || "<>'\"()[]:,;".contains(c))
        .find(|w| {
            w.contains('@')
                && !w.starts_with('@')
                && !w.to_lowercase().starts_with("mailer-daemon")
                && !w.to_lowercase().starts_with("postmaster")
        })
        .map(str::to_owned);
    let state = if delayed || enhanced.as_deref().is_some_and(|s| s.starts_with("4.")) {
        DeliveryState::Deferred
    } else {
        DeliveryState::Bounced
    };
    Some(Report {
        format,
        envelope_id: None,
        original_message_id,
        part: diagnostic.clone(),
        recipients: vec![ReportedRecipient {
            address,
            state,
            smtp_code: reply_code(&diagnostic),
            enhanced_status: enhanced,
            diagnostic,
        }],
    })
}

/// The first 4xx/5xx reply code in a text (`smtp; 550 5.1.1 …`, `'552 5.2.2 …'`).
fn reply_code(text: &str) -> Option<u16> {
    text.split(|c: char| c.is_whitespace() || "'\";:(".contains(c))
        .filter(|w| w.len() == 3 || (w.len() == 4 && w.ends_with('-')))
        .filter_map(|w| w.trim_end_matches('-').parse::<u16>().ok())
        .find(|c| (400..600).contains(c))
}

/// The `Message-ID:` header's value in a block of headers.
fn header_message_id(headers: &str) -> Option<String> {
    headers.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case("message-id").then(|| v.trim().to_owned())
    })
}
