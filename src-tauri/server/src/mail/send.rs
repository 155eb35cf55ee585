//! 送信: hands due notices to the relay over a few kept-open SMTP connections, asking for
//! delivery reports (DSN) where the relay offers them, and records each answer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{MailParameter, RcptParameter};
use lettre::Address;
use madoguchi_domain::{BounceCategory, DeliveryEvent, DeliveryState};
use tokio::sync::{watch, Mutex};

use super::compose::compose;
use super::connect::{connect, Connection};
use super::outcome::{refused, retry, Outcome};
use super::recorder::{Pending, Recorder};
use super::settings::{Relay, Settings};
use crate::storage::{MailRecord, Outgoing, Storage};

/// The sending loop; stops with [`Sender::shutdown`].
pub struct Sender {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

pub(super) fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `bounce+<id>.<tag>@<domain>`: the envelope sender that brings a notice's bounces home.
/// The tag is random and also in the Message-ID, so a forged bounce cannot name a notice.
pub fn bounce_address(id: i64, tag: &str, domain: &str) -> String {
    format!("bounce+{id}.{tag}@{domain}")
}

impl Sender {
    pub fn start(storage: Arc<dyn Storage>, recorder: Recorder, settings: Arc<Settings>) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let slots: Vec<Mutex<Option<Connection>>> =
                (0..settings.connections.max(1)).map(|_| Mutex::new(None)).collect();
            loop {
                let worked =
                    match round(storage.as_ref(), &recorder, &settings, &slots, &stopped).await {
                        Ok(n) => n,
                        Err(e) => {
                            log::error!("mail: outbox unreadable: {e}");
                            0
                        }
                    };
                if *stopped.borrow() {
                    break;
                }
                if worked == 0 {
                    tokio::select! {
                        _ = tokio::time::sleep(settings.poll) => {}
                        _ = stopped.changed() => break,
                    }
                }
            }
            for slot in &slots {
                if let Some(mut c) = slot.lock().await.take() {
                    let _ = c.smtp.quit().await;
                }
            }
        });
        Self { stop, task }
    }

    /// Finishes the SMTP transactions in flight, starts no new one, then closes the
    /// connections: a notice is never left half-sent by a stop.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// One pass over the outbox: settles expired claims, then sends what is due, spread over the
/// connections. Returns how many notices it handled.
async fn round(
    storage: &dyn Storage,
    recorder: &Recorder,
    settings: &Settings,
    slots: &[Mutex<Option<Connection>>],
    stopping: &watch::Receiver<bool>,
) -> crate::storage::Result<usize> {
    let now = Utc::now();
    for id in storage.expired_claims(&stamp(now)).await? {
        log::warn!("mail: notice {id} was being sent when a server stopped; not sent again");
        let event = DeliveryEvent {
            state: DeliveryState::Failed,
            at: stamp(now),
            diagnostic: Some("送信の途中でサーバーが停止しました。届いたかどうか確認できないため、二重に送らないよう再送していません。".into()),
            ..Default::default()
        };
        recorder.record(MailRecord::Settle { id, event, retry_at: None }).await?;
    }
    let due = storage.due_notices(&stamp(now), 50 * slots.len() as i64).await?;
    let count = due.len();
    let mut lanes: Vec<Vec<Outgoing>> = (0..slots.len()).map(|_| Vec::new()).collect();
    for (i, notice) in due.into_iter().enumerate() {
        lanes[i % slots.len()].push(notice);
    }
    // A lane goes on to its next notice while the last answer is being committed; the round
    // ends once every answer is on disk, before the next round looks for expired claims.
    let work = lanes.into_iter().zip(slots).map(|(lane, slot)| async move {
        let mut conn = slot.lock().await;
        let mut answers = Vec::with_capacity(lane.len());
        for notice in lane {
            if *stopping.borrow() {
                break; // the rest stay queued for the next start
            }
            answers.extend(deliver(storage, recorder, settings, &mut conn, &notice).await?);
        }
        for answer in answers {
            answer.committed().await?;
        }
        Ok::<_, crate::storage::StorageError>(())
    });
    for result in futures::future::join_all(work).await {
        result?;
    }
    Ok(count)
}

/// Claims and sends one notice, and hands its answer to the recorder (none when another
/// server process claimed it first).
async fn deliver(
    storage: &dyn Storage,
    recorder: &Recorder,
    settings: &Settings,
    conn: &mut Option<Connection>,
    notice: &Outgoing,
) -> crate::storage::Result<Option<Pending>> {
    let domain = settings.bounce_domain.as_deref().expect("the sender runs with a bounce domain");
    let tag = format!("{:016x}", rand::random::<u64>());
    let message_id = format!("<notice-{}.{tag}@{domain}>", notice.id);
    let now = Utc::now();
    let lease = now + chrono::Duration::from_std(settings.timeout * 4).unwrap_or_default();
    let outcome = match compose(notice, &settings.from, settings.charset, &message_id, now) {
        Err(e) => Outcome::Refused {
            code: None,
            text: format!("宛先のメールアドレスを使えません: {e}"),
        },
        Ok(raw) => {
            if !storage.claim_notice(notice.id, &message_id, &stamp(lease)).await? {
                return Ok(None); // another server process has it
            }
            let relay = settings.relay.as_ref().expect("the sender runs with a relay");
            let attempt = attempt(relay, settings, conn, notice, &tag, &raw);
            match tokio::time::timeout(settings.timeout * 3, attempt).await {
                Ok(outcome) => outcome,
                Err(_) => {
                    *conn = None;
                    Outcome::Uncertain { text: "リレーが応答しなくなりました".into() }
                }
            }
        }
    };
    let at = stamp(Utc::now());
    let (event, retry_at) = settle(notice, settings, outcome, &at, now);
    match event.state {
        DeliveryState::Sent => log::info!("mail: notice {} accepted by the relay", notice.id),
        // Codes only: a relay's words often repeat the address.
        state => log::warn!(
            "mail: notice {} {:?} ({:?} {:?})",
            notice.id,
            state,
            event.smtp_code,
            event.enhanced_status
        ),
    }
    Ok(Some(recorder.hand(MailRecord::Settle { id: notice.id, event, retry_at })))
}

/// The delivery event an outcome makes, and when to try again.
fn settle(
    notice: &Outgoing,
    settings: &Settings,
    outcome: Outcome,
    at: &str,
    now: DateTime<Utc>,
) -> (DeliveryEvent, Option<String>) {
    let event = |state, code: Option<u16>, text: String| {
        let enhanced = enhanced_status(&text);
        let category = (state == DeliveryState::Failed && code.is_some())
            .then(|| BounceCategory::classify(enhanced.as_deref(), code, &text));
        DeliveryEvent {
            state,
            at: at.to_owned(),
            category,
            smtp_code: code,
            enhanced_status: enhanced,
            diagnostic: Some(text),
        }
    };
    match outcome {
        Outcome::Sent { reply } => (event(DeliveryState::Sent, Some(250), reply), None),
        Outcome::Refused { code, text } => (event(DeliveryState::Failed, code, text), None),
        Outcome::Uncertain { text } => (
            event(
                DeliveryState::Failed,
                None,
                format!(
                    "{text}。届いたかどうか確認できないため、二重に送らないよう再送していません。"
                ),
            ),
            None,
        ),
        Outcome::Retry { code, text } => {
            let created = chrono::DateTime::parse_from_rfc3339(&notice.created_at)
                .map(|t| t.to_utc())
                .unwrap_or(now);
            let deadline =
                created + chrono::Duration::from_std(settings.retry_for).unwrap_or_default();
            // Backoff: 1, 2, 4 … minutes, at most an hour between attempts.
            let wait = chrono::Duration::seconds((60i64 << notice.attempts.min(6)).min(3600));
            if now + wait > deadline {
                let text = format!("{text}（1日再試行しても送れませんでした）");
                (event(DeliveryState::Failed, code, text), None)
            } else {
                (event(DeliveryState::Queued, code, text), Some(stamp(now + wait)))
            }
        }
    }
}

/// `5.1.1` from a reply or diagnostic text.
pub(super) fn enhanced_status(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || c == ';' || c == '(' || c == ')')
        .find(|w| {
            let parts: Vec<&str> = w.split('.').collect();
            parts.len() == 3
                && matches!(parts[0], "2" | "4" | "5")
                && parts[1..]
                    .iter()
                    .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(str::to_owned)
}

/// Opens (or reuses) the connection and runs one mail transaction.
async fn attempt(
    relay: &Relay,
    settings: &Settings,
    conn: &mut Option<Connection>,
    notice: &Outgoing,
    tag: &str,
    raw: &[u8],
) -> Outcome {
    let domain = settings.bounce_domain.as_deref().unwrap_or("localhost");
    let stale = conn.as_ref().is_none_or(|c| c.smtp.has_broken());
    let idle = conn.as_ref().is_some_and(|c| c.last_used.elapsed() > Duration::from_secs(10));
    if !stale && idle && !conn.as_mut().expect("checked").smtp.test_connected().await {
        *conn = None;
    }
    if stale || conn.is_none() {
        match connect(relay, settings, domain).await {
            Ok(c) => *conn = Some(c),
            Err(outcome) => return outcome,
        }
    }
    let c = conn.as_mut().expect("connected above");
    c.last_used = Instant::now();
    let Ok(from) = bounce_address(notice.id, tag, domain).parse::<Address>() else {
        return Outcome::Refused {
            code: None, text: "差出人のアドレスを作れません".into()
        };
    };
    let to: Address = match notice.to.parse() {
        Ok(a) => a,
        Err(e) => {
            return Outcome::Refused {
                code: None,
                text: format!("宛先のメールアドレスを使えません: {e}"),
            }
        }
    };
    let mut mail_params = Vec::new();
    let mut rcpt_params = Vec::new();
    if !raw.is_ascii() {
        mail_params.push(MailParameter::Body(
            lettre::transport::smtp::extension::MailBodyParameter::EightBitMime,
        ));
    }
    if c.dsn {
        let other = |k: &str, v: String| MailParameter::Other { keyword: k.into(), value: Some(v) };
        mail_params.push(other("RET", "HDRS".into()));
        mail_params.push(other("ENVID", format!("{}.{tag}", notice.id)));
        rcpt_params.push(RcptParameter::Other {
            keyword: "NOTIFY".into(),
            value: Some("FAILURE,DELAY".into()),
        });
        rcpt_params.push(RcptParameter::Other {
            keyword: "ORCPT".into(),
            value: Some(format!("rfc822;{to}")),
        });
    }
    let steps = async {
        c.smtp.command(Mail::new(Some(from), mail_params)).await?;
        c.smtp.command(Rcpt::new(to, rcpt_params)).await?;
        c.smtp.command(Data).await
    };
    if let Err(e) = steps.await {
        // Refused before any of the message went: certain.
        if e.status().is_some() {
            // The transaction is over; RSET keeps the connection usable.
            if c.smtp.command(lettre::transport::smtp::commands::Rset).await.is_err() {
                *conn = None;
            }
        } else {
            *conn = None;
        }
        return if e.is_permanent() { refused(&e) } else { retry(&e) };
    }
    match c.smtp.message(raw).await {
        Ok(reply) => Outcome::Sent { reply: reply_text(reply.code().into(), reply.message()) },
        Err(e) if e.is_permanent() => refused(&e),
        Err(e) if e.is_transient() => retry(&e),
        Err(e) => {
            *conn = None;
            Outcome::Uncertain {
                text: format!("本文の送信後に接続が切れました（{e}）")
            }
        }
    }
}

fn reply_text<'a>(code: u16, lines: impl Iterator<Item = &'a str>) -> String {
    let text: Vec<&str> = lines.collect();
    format!("{code} {}", text.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enhanced_codes_in_replies() {
        assert_eq!(
            enhanced_status("550 5.1.1 <x@y>: Recipient address rejected").as_deref(),
            Some("5.1.1")
        );
        assert_eq!(enhanced_status("smtp; 552 5.2.2 Mailbox full").as_deref(), Some("5.2.2"));
        assert_eq!(enhanced_status("250 2.0.0 Ok: queued as 3F2A1").as_deref(), Some("2.0.0"));
        assert_eq!(enhanced_status("451 try again in 1.5 minutes"), None);
    }
}
