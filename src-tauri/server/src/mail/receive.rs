//! 受信メールの扱い: what a mail that came to the bounce listener comes to — one event on
//! the notice it reports on, or nothing — and what of it is kept. A notice's tag is in every
//! mail it sent, so its addressee can forge reports: a report makes one event at most, the
//! notice's delivery decides whether it may follow (see `Delivery::apply`), and only the
//! mail's headers and the report's own words are kept, bounded — never the returned notice,
//! which carries its links.

use chrono::Utc;
use madoguchi_domain::{BounceCategory, DeliveryEvent, DeliveryState};

use super::bounce::{parse_report, Report, ReportedRecipient};
use super::recorder::Recorder;
use super::send::stamp;
use super::settings::InboundLimits;
use crate::storage::{InboundMail, MailRecord, Storage};

/// Of a received mail's header block, this much is kept; as much of the report's words.
const KEPT_HEADERS: usize = 8 * 1024;
const KEPT_REPORT: usize = 8 * 1024;

/// A message as the listener read it.
pub(super) struct Received<'a> {
    pub sender: &'a str,
    pub rcpts: &'a [String],
    /// Up to the size limit.
    pub raw: Vec<u8>,
    pub size: usize,
    pub too_large: bool,
}

/// Keeps what is needed of the mail and, if it reports on one of our notices, records that
/// on the notice, both in one commit.
pub(super) async fn receive(
    storage: &dyn Storage,
    recorder: &Recorder,
    limits: &InboundLimits,
    mail: Received<'_>,
) -> crate::storage::Result<()> {
    let at = stamp(Utc::now());
    let report = if mail.too_large { None } else { parse_report(&mail.raw) };
    let (verdict, event) = match &report {
        None if mail.too_large => ("too_large", None),
        None => ("not_report", None),
        Some(report) => {
            let tags = mail
                .rcpts
                .iter()
                .map(String::as_str)
                .chain(report.envelope_id.as_deref())
                .chain(report.original_message_id.as_deref());
            match (matched(storage, tags).await?, decisive(report)) {
                (Some(id), Some(r)) => {
                    log::info!("mail: {} report for notice {id}", report.format);
                    ("matched", Some((id, event_of(r, &at))))
                }
                (Some(_), None) => ("no_recipient", None),
                (None, _) => ("unmatched", None),
            }
        }
    };
    if verdict != "matched" {
        log::warn!("mail: received mail kept aside ({verdict}, {} bytes)", mail.size);
    }
    let notice_id = event.as_ref().map(|(id, _)| *id);
    let kept = InboundMail {
        received_at: at,
        envelope_from: mail.sender.to_owned(),
        envelope_to: mail.rcpts.join(","),
        verdict,
        notice_id,
        size: mail.size as i64,
        raw: kept(&mail.raw, report.as_ref()),
    };
    recorder.record(MailRecord::Keep { mail: kept, event, max_rows: limits.max_rows }).await
}

/// The one recipient whose word counts: a bounce over a success over a delay. Our notices
/// go to one address; a report naming thousands is not a real MTA's.
fn decisive(report: &Report) -> Option<&ReportedRecipient> {
    let rank = |s: DeliveryState| match s {
        DeliveryState::Bounced => 3,
        DeliveryState::Delivered => 2,
        _ => 1,
    };
    report.recipients.iter().rev().max_by_key(|r| rank(r.state))
}

fn event_of(r: &ReportedRecipient, at: &str) -> DeliveryEvent {
    let category = (r.state != DeliveryState::Delivered).then(|| {
        BounceCategory::classify(r.enhanced_status.as_deref(), r.smtp_code, &r.diagnostic)
    });
    DeliveryEvent {
        state: r.state,
        at: at.to_owned(),
        category,
        smtp_code: r.smtp_code,
        enhanced_status: r.enhanced_status.clone(),
        diagnostic: Some(r.diagnostic.chars().take(1000).collect::<String>())
            .filter(|d| !d.is_empty()),
    }
}

/// The mail's header block and the report's words, each cut at its bound.
fn kept(raw: &[u8], report: Option<&Report>) -> Vec<u8> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n"))
        .unwrap_or(raw.len());
    let mut kept = raw[..end.min(KEPT_HEADERS)].to_vec();
    if let Some(report) = report {
        kept.extend_from_slice(b"\r\n\r\n");
        let words = report.part.as_bytes();
        kept.extend_from_slice(&words[..words.len().min(KEPT_REPORT)]);
    }
    kept
}

/// The notice a bounce address, envelope id or Message-ID names — `<id>.<tag>` in each —
/// if the tag is the one that notice was sent with.
async fn matched<'a>(
    storage: &dyn Storage,
    tags: impl Iterator<Item = &'a str>,
) -> crate::storage::Result<Option<i64>> {
    for tag in tags {
        let Some((id, nonce)) = notice_tag(tag) else { continue };
        let sent_as = storage.notice_message_id(id).await?;
        if sent_as.is_some_and(|m| m.contains(&format!("notice-{id}.{nonce}@"))) {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// `(id, tag)` from `bounce+12.ab34@…`, `<notice-12.ab34@…>` or `12.ab34`.
fn notice_tag(text: &str) -> Option<(i64, String)> {
    let t = text.trim().trim_start_matches('<');
    let t = t.strip_prefix("bounce+").or_else(|| t.strip_prefix("notice-")).unwrap_or(t);
    let t = t.split('@').next()?;
    let (id, nonce) = t.split_once('.')?;
    let nonce = nonce.trim_end_matches('>');
    let ok = !nonce.is_empty() && nonce.len() <= 32 && nonce.bytes().all(|b| b.is_ascii_hexdigit());
    Some((id.parse().ok()?, nonce.to_owned())).filter(|_| ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_headers_and_the_reports_words_are_kept() {
        let raw = b"Subject: Undelivered\r\nFrom: MAILER-DAEMON@x\r\n\r\nhttps://apply/confirm?token=abc\r\n";
        let report = Report {
            format: "rfc3464",
            envelope_id: None,
            original_message_id: None,
            recipients: vec![],
            part: "Action: failed\r\nStatus: 5.1.1".into(),
        };
        let row = String::from_utf8(kept(raw, Some(&report))).unwrap();
        assert!(row.starts_with("Subject: Undelivered"), "{row}");
        assert!(row.ends_with("Status: 5.1.1"), "{row}");
        assert!(!row.contains("token"), "the returned notice's links are not kept: {row}");
        let long = [b"X: ".to_vec(), vec![b'a'; 100_000]].concat();
        assert_eq!(kept(&long, None).len(), KEPT_HEADERS);
    }
}
