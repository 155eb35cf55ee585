//! 返送メールの受信: a small SMTP listener for the bounce domain only. Each message is read
//! up to a size limit, kept, and — if it is a report about one of our notices — recorded on
//! that notice. Nothing a sender writes can make it crash or act on another notice.
//!
//! Hand-written rather than taken from a crate: the SMTP server crates at hand refuse the
//! null reverse-path `MAIL FROM:<>` that every bounce is sent with (RFC 5321 §4.5.5).

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::Utc;
use madoguchi_domain::{BounceCategory, DeliveryEvent, DeliveryState};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};

use super::bounce::parse_report;
use super::recorder::Recorder;
use super::send::stamp;
use super::settings::Settings;
use crate::storage::{InboundMail, MailRecord, Storage};

/// A command line longer than this ends the session (RFC 5321 allows 512 octets).
const MAX_LINE: usize = 4096;
/// Sessions served at once; more wait for a slot.
const MAX_SESSIONS: usize = 64;

pub struct Inbound {
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Inbound {
    pub async fn start(
        storage: Arc<dyn Storage>,
        recorder: Recorder,
        settings: Arc<Settings>,
        addr: SocketAddr,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        log::info!("mail: receiving bounces on smtp://{addr}");
        let (stop, mut stopped) = watch::channel(false);
        let slots = Arc::new(Semaphore::new(MAX_SESSIONS));
        let task = tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    a = listener.accept() => a,
                    _ = stopped.changed() => break,
                };
                let Ok((stream, peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let Ok(permit) = slots.clone().acquire_owned().await else { break };
                let (storage, recorder, settings) =
                    (storage.clone(), recorder.clone(), settings.clone());
                tokio::spawn(async move {
                    if let Err(e) = session(stream, storage.as_ref(), &recorder, &settings).await {
                        log::info!("mail: bounce session from {peer} ended: {e}");
                    }
                    drop(permit);
                });
            }
        });
        Ok(Self { addr, stop, task })
    }

    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Reads one line (CRLF or LF), at most `limit` bytes; `None` at end of stream.
async fn read_line(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    buf: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<Option<()>> {
    buf.clear();
    let n = AsyncReadExt::take(&mut *reader, limit as u64 + 1).read_until(b'\n', buf).await?;
    if n == 0 {
        return Ok(None);
    }
    if buf.len() > limit && !buf.ends_with(b"\n") {
        return Err(std::io::Error::other("line too long"));
    }
    Ok(Some(()))
}

/// The address between `<` and `>` after `FROM:` / `TO:`; empty for the null path.
fn path(arg: &str) -> Option<String> {
    let start = arg.find('<')?;
    let end = arg[start..].find('>')? + start;
    Some(arg[start + 1..end].trim().to_owned())
}

async fn session(
    stream: TcpStream,
    storage: &dyn Storage,
    recorder: &Recorder,
    settings: &Settings,
) -> std::io::Result<()> {
    let domain = settings.bounce_domain.clone().unwrap_or_else(|| "localhost".into());
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let timeout = settings.timeout;
    let say = async |w: &mut tokio::net::tcp::OwnedWriteHalf, text: &str| {
        w.write_all(format!("{text}\r\n").as_bytes()).await
    };
    say(&mut write, &format!("220 {domain} Madoguchi bounce receiver")).await?;
    let mut line = Vec::new();
    let mut from: Option<String> = None;
    let mut rcpts: Vec<String> = Vec::new();
    loop {
        let got = tokio::time::timeout(timeout, read_line(&mut reader, &mut line, MAX_LINE)).await;
        let Ok(Ok(Some(()))) = got else {
            let _ = say(&mut write, "421 4.4.2 closing").await;
            return Ok(());
        };
        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
        let (verb, arg) = text.split_once(' ').unwrap_or((text.as_str(), ""));
        let verb = verb.to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => {
                let size = settings.max_inbound_bytes;
                say(&mut write, &format!("250-{domain}\r\n250-8BITMIME\r\n250-SIZE {size}\r\n250 ENHANCEDSTATUSCODES")).await?
            }
            "HELO" => say(&mut write, &format!("250 {domain}")).await?,
            "MAIL" => match path(arg) {
                Some(p) if arg.to_ascii_uppercase().starts_with("FROM:") => {
                    from = Some(p);
                    rcpts.clear();
                    say(&mut write, "250 2.1.0 ok").await?
                }
                _ => say(&mut write, "501 5.5.4 syntax: MAIL FROM:<address>").await?,
            },
            "RCPT" => match (&from, path(arg)) {
                (None, _) => say(&mut write, "503 5.5.1 MAIL first").await?,
                (Some(_), Some(to))
                    if to
                        .rsplit_once('@')
                        .is_some_and(|(_, d)| d.eq_ignore_ascii_case(&domain)) =>
                {
                    rcpts.push(to);
                    say(&mut write, "250 2.1.5 ok").await?
                }
                (Some(_), Some(_)) => {
                    say(&mut write, "550 5.7.1 relaying denied: bounces only").await?
                }
                (Some(_), None) => say(&mut write, "501 5.5.4 syntax: RCPT TO:<address>").await?,
            },
            "DATA" => {
                if rcpts.is_empty() {
                    say(&mut write, "503 5.5.1 RCPT first").await?;
                    continue;
                }
                say(&mut write, "354 end with <CRLF>.<CRLF>").await?;
                let (raw, size) = match tokio::time::timeout(
                    timeout * 5,
                    data(&mut reader, settings.max_inbound_bytes),
                )
                .await
                {
                    Ok(Ok(Some(d))) => d,
                    _ => return Ok(()), // dropped or stalled mid-DATA: nothing kept, nothing acted on
                };
                let sender = from.take().unwrap_or_default();
                let too_large = size > settings.max_inbound_bytes;
                let kept = receive(storage, recorder, &sender, &rcpts, raw, size, too_large).await;
                rcpts.clear();
                match (too_large, kept) {
                    (true, _) => say(&mut write, "552 5.3.4 message too big").await?,
                    (false, Ok(())) => say(&mut write, "250 2.0.0 received").await?,
                    (false, Err(e)) => {
                        log::error!("mail: a received report could not be stored: {e}");
                        say(&mut write, "451 4.3.0 try again later").await?
                    }
                }
            }
            "RSET" => {
                from = None;
                rcpts.clear();
                say(&mut write, "250 2.0.0 ok").await?
            }
            "NOOP" => say(&mut write, "250 2.0.0 ok").await?,
            "QUIT" => {
                say(&mut write, "221 2.0.0 bye").await?;
                return Ok(());
            }
            _ => say(&mut write, "502 5.5.2 command not implemented").await?,
        }
    }
}

/// The message up to the lone dot, dot-unstuffed, at most `limit` bytes kept (the rest is
/// read and counted). `None`: the stream ended first.
async fn data(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    limit: usize,
) -> std::io::Result<Option<(Vec<u8>, usize)>> {
    let mut raw = Vec::new();
    let mut size = 0usize;
    let mut line = Vec::new();
    loop {
        if read_line(reader, &mut line, 64 * 1024).await?.is_none() {
            return Ok(None);
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(Some((raw, size)));
        }
        let content = if line.starts_with(b"..") { &line[1..] } else { &line[..] };
        size += content.len();
        if size <= limit {
            raw.extend_from_slice(content);
        }
    }
}

/// Keeps the mail and, if it reports on one of our notices, records that on the notice.
async fn receive(
    storage: &dyn Storage,
    recorder: &Recorder,
    sender: &str,
    rcpts: &[String],
    raw: Vec<u8>,
    size: usize,
    too_large: bool,
) -> crate::storage::Result<()> {
    let at = stamp(Utc::now());
    let mut events = Vec::new();
    let (verdict, notice_id) = if too_large {
        ("too_large", None)
    } else {
        match parse_report(&raw) {
            None => ("not_report", None),
            Some(report) => {
                let tags = rcpts
                    .iter()
                    .map(String::as_str)
                    .chain(report.envelope_id.as_deref())
                    .chain(report.original_message_id.as_deref());
                match matched(storage, tags).await? {
                    None => ("unmatched", None),
                    Some(id) => {
                        for r in &report.recipients {
                            let category = (r.state != DeliveryState::Delivered).then(|| {
                                BounceCategory::classify(
                                    r.enhanced_status.as_deref(),
                                    r.smtp_code,
                                    &r.diagnostic,
                                )
                            });
                            let event = DeliveryEvent {
                                state: r.state,
                                at: at.clone(),
                                category,
                                smtp_code: r.smtp_code,
                                enhanced_status: r.enhanced_status.clone(),
                                diagnostic: Some(r.diagnostic.clone()).filter(|d| !d.is_empty()),
                            };
                            events.push((id, event));
                        }
                        log::info!("mail: {} report for notice {id}", report.format);
                        ("matched", Some(id))
                    }
                }
            }
        }
    };
    if verdict != "matched" {
        log::warn!("mail: received mail kept aside ({verdict}, {size} bytes)");
    }
    let mail = InboundMail {
        received_at: at,
        envelope_from: sender.to_owned(),
        envelope_to: rcpts.join(","),
        verdict,
        notice_id,
        size: size as i64,
        raw,
    };
    recorder.record(MailRecord::Keep { mail, events }).await
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
pub(super) fn notice_tag(text: &str) -> Option<(i64, String)> {
    let t = text.trim().trim_start_matches('<');
    let t = t.strip_prefix("bounce+").or_else(|| t.strip_prefix("notice-")).unwrap_or(t);
    let t = t.split('@').next()?;
    let (id, nonce) = t.split_once('.')?;
    let nonce = nonce.trim_end_matches('>');
    let ok = !nonce.is_empty() && nonce.len() <= 32 && nonce.bytes().all(|b| b.is_ascii_hexdigit());
    Some((id.parse().ok()?, nonce.to_owned())).filter(|_| ok)
}
