//! 返送メールの受信: a small SMTP listener for the bounce domain only. It faces the
//! internet, so every sender is bounded ([`InboundLimits`]): sessions in all and per address,
//! a session's lifetime, the wait for a command and for a reply to be read, recipients per
//! message, refused commands; an address closed for misbehaving a few times is refused for
//! a while. What a message comes to is `receive`'s.
//!
//! Hand-written rather than taken from a crate: the SMTP server crates at hand refuse the
//! null reverse-path `MAIL FROM:<>` that every bounce is sent with (RFC 5321 §4.5.5).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, RateLimiter};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

use super::receive::{receive, Received};
use super::recorder::Recorder;
use super::settings::{InboundLimits, Settings};
use crate::storage::Storage;

/// A command line longer than this ends the session (RFC 5321 allows 512 octets).
const MAX_LINE: usize = 1024;
/// A path longer than this is refused (RFC 5321 §4.5.3.1.3: 256 octets).
const MAX_PATH: usize = 256;
/// Commands in one session: a real MTA sends a handful per message.
const MAX_COMMANDS: usize = 500;
/// Received mail older than `keep` is deleted this often.
const PRUNE_EVERY: Duration = Duration::from_secs(600);

pub struct Inbound {
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    door: Arc<Door>,
}

/// How long a stop waits for sessions in flight (a report being received) to end.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

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
        let door = Arc::new(Door::new(settings.inbound));
        let sessions = door.clone();
        let task = tokio::spawn(async move {
            let door = sessions;
            let mut prune = tokio::time::interval(PRUNE_EVERY);
            loop {
                let accepted = tokio::select! {
                    a = listener.accept() => a,
                    _ = prune.tick() => {
                        door.mails.retain_recent();
                        prune_old(storage.as_ref(), &settings.inbound).await;
                        continue;
                    }
                    _ = stopped.changed() => break,
                };
                let Ok((stream, peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let (storage, recorder, settings) =
                    (storage.clone(), recorder.clone(), settings.clone());
                let door = door.clone();
                tokio::spawn(async move {
                    let ticket = match door.admit(peer.ip()) {
                        Ok(ticket) => ticket,
                        Err(why) => return turn_away(stream, peer, why, &settings.inbound).await,
                    };
                    let limits = settings.inbound;
                    let may_send = || door.mails.check_key(&ticket.key).is_ok();
                    let served = serve(stream, storage.as_ref(), &recorder, &settings, &may_send);
                    let ended = tokio::time::timeout(limits.session, served)
                        .await
                        .unwrap_or(Ended::Misbehaved("held the session past its lifetime"));
                    match ended {
                        Ended::Misbehaved(why) => {
                            log::warn!("mail: bounce session from {peer} closed: {why}");
                            door.strike(ticket.key);
                        }
                        Ended::Gone(e) => log::info!("mail: bounce session from {peer}: {e}"),
                        Ended::Done => {}
                    }
                    drop(ticket);
                });
            }
        });
        Ok(Self { addr, stop, task, door })
    }

    /// Takes no new session, and waits (a while) for those in flight to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        let all = u32::try_from(self.door.limits.sessions.max(1)).unwrap_or(u32::MAX);
        if tokio::time::timeout(SHUTDOWN_GRACE, self.door.slots.acquire_many(all)).await.is_err() {
            log::warn!("mail: bounce sessions still open after {SHUTDOWN_GRACE:?}; closed");
        }
    }
}

/// Deletes received mail past its keeping time; its count stays in the tally.
async fn prune_old(storage: &dyn Storage, limits: &InboundLimits) {
    let keep = chrono::Duration::from_std(limits.keep).unwrap_or(chrono::Duration::days(30));
    let before = super::send::stamp(chrono::Utc::now() - keep);
    match storage.prune_inbound(&before).await {
        Ok(0) => {}
        Ok(n) => log::info!("mail: {n} received mails past their keeping time deleted"),
        Err(e) => log::error!("mail: received mail could not be pruned: {e}"),
    }
}

/// `421` and close, without waiting on a sender that does not read.
async fn turn_away(mut stream: TcpStream, peer: SocketAddr, why: &str, limits: &InboundLimits) {
    log::warn!("mail: bounce session from {peer} refused: {why}");
    let line = format!("421 4.7.0 {why}, try again later\r\n");
    let _ = tokio::time::timeout(limits.write, stream.write_all(line.as_bytes())).await;
}

/// Who is in: sessions by address, addresses closed for misbehaving lately, and each
/// address's rate of messages.
struct Door {
    limits: InboundLimits,
    slots: Arc<Semaphore>,
    seen: Mutex<Seen>,
    mails: DefaultKeyedRateLimiter<IpAddr>,
}

#[derive(Default)]
struct Seen {
    open: HashMap<IpAddr, usize>,
    strikes: HashMap<IpAddr, (u32, Instant)>,
}

/// A session let in; gives its place back when dropped.
struct Ticket {
    door: Arc<Door>,
    key: IpAddr,
    _slot: OwnedSemaphorePermit,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut seen = self.door.seen.lock().expect("not poisoned");
        if let Some(n) = seen.open.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                seen.open.remove(&self.key);
            }
        }
    }
}

impl Door {
    fn new(limits: InboundLimits) -> Self {
        let slots = Arc::new(Semaphore::new(limits.sessions.max(1)));
        let quota = crate::limits::rate(limits.mail_burst, limits.mail_every);
        Self { limits, slots, seen: Mutex::default(), mails: RateLimiter::keyed(quota) }
    }

    fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Ticket, &'static str> {
        let key = crate::limits::address_key(ip);
        let mut seen = self.seen.lock().expect("not poisoned");
        let now = Instant::now();
        seen.strikes.retain(|_, (_, at)| now.duration_since(*at) < self.limits.penalty);
        if seen.strikes.get(&key).is_some_and(|(n, _)| *n >= self.limits.strikes) {
            return Err("closed for misbehaving");
        }
        if seen.open.get(&key).copied().unwrap_or(0) >= self.limits.per_address {
            return Err("too many sessions from your address");
        }
        let slot = self.slots.clone().try_acquire_owned().map_err(|_| "too many sessions")?;
        *seen.open.entry(key).or_default() += 1;
        Ok(Ticket { door: self.clone(), key, _slot: slot })
    }

    fn strike(&self, key: IpAddr) {
        let mut seen = self.seen.lock().expect("not poisoned");
        let strike = seen.strikes.entry(key).or_insert((0, Instant::now()));
        strike.0 += 1;
        strike.1 = Instant::now();
    }
}

/// How a session ended.
enum Ended {
    /// QUIT, or the sender went quiet and was told so.
    Done,
    /// The connection went.
    Gone(String),
    /// The sender broke a limit: counted against its address.
    Misbehaved(&'static str),
}

/// One sender's connection, its replies bounded in time and its refusals counted.
struct Session<'a> {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    limits: &'a InboundLimits,
    refused: usize,
}

impl Session<'_> {
    async fn say(&mut self, text: &str) -> Result<(), Ended> {
        let line = format!("{text}\r\n");
        match tokio::time::timeout(self.limits.write, self.writer.write_all(line.as_bytes())).await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Ended::Gone(e.to_string())),
            Err(_) => Err(Ended::Misbehaved("does not read its replies")),
        }
    }

    /// A 4xx/5xx reply; past `max_errors` of them the session is closed.
    async fn refuse(&mut self, text: &str) -> Result<(), Ended> {
        self.refused += 1;
        if self.refused > self.limits.max_errors {
            let _ = self.say("421 4.7.0 too many errors, closing").await;
            return Err(Ended::Misbehaved("too many refused commands"));
        }
        self.say(text).await
    }

    /// One line (CRLF or LF), at most `limit` bytes, within the idle time.
    async fn line(&mut self, buf: &mut Vec<u8>, limit: usize) -> Result<(), Ended> {
        buf.clear();
        let got = {
            let mut bounded = AsyncReadExt::take(&mut self.reader, limit as u64 + 1);
            tokio::time::timeout(self.limits.idle, bounded.read_until(b'\n', buf)).await
        };
        match got {
            Err(_) => {
                let _ = self.say("421 4.4.2 idle too long, closing").await;
                Err(Ended::Done)
            }
            Ok(Err(e)) => Err(Ended::Gone(e.to_string())),
            Ok(Ok(0)) => Err(Ended::Gone("closed by the sender".into())),
            Ok(Ok(_)) if buf.len() > limit && !buf.ends_with(b"\n") => {
                let _ = self.say("500 5.5.2 line too long, closing").await;
                Err(Ended::Misbehaved("sent a line past the limit"))
            }
            Ok(Ok(_)) => Ok(()),
        }
    }

    /// The message up to the lone dot, dot-unstuffed, at most `limit` bytes kept (the rest
    /// is read and counted).
    async fn data(&mut self, limit: usize) -> Result<(Vec<u8>, usize), Ended> {
        let mut raw = Vec::new();
        let mut size = 0usize;
        let mut line = Vec::new();
        loop {
            self.line(&mut line, 64 * 1024).await?;
            if line == b".\r\n" || line == b".\n" {
                return Ok((raw, size));
            }
            let content = if line.starts_with(b"..") { &line[1..] } else { &line[..] };
            size += content.len();
            if size <= limit {
                raw.extend_from_slice(content);
            }
        }
    }
}

/// The address between `<` and `>` after `FROM:` / `TO:`; empty for the null path.
fn path(arg: &str) -> Option<String> {
    let start = arg.find('<')?;
    let end = arg[start..].find('>')? + start;
    Some(arg[start + 1..end].trim().to_owned()).filter(|p| p.len() <= MAX_PATH)
}

async fn serve(
    stream: TcpStream,
    storage: &dyn Storage,
    recorder: &Recorder,
    settings: &Settings,
    may_send: &(dyn Fn() -> bool + Sync),
) -> Ended {
    let (read, writer) = stream.into_split();
    let limits = &settings.inbound;
    let mut s = Session { reader: BufReader::new(read), writer, limits, refused: 0 };
    match dialogue(&mut s, storage, recorder, settings, may_send).await {
        Ok(()) => Ended::Done,
        Err(ended) => ended,
    }
}

async fn dialogue(
    s: &mut Session<'_>,
    storage: &dyn Storage,
    recorder: &Recorder,
    settings: &Settings,
    may_send: &(dyn Fn() -> bool + Sync),
) -> Result<(), Ended> {
    let domain = settings.bounce_domain.clone().unwrap_or_else(|| "localhost".into());
    let limits = settings.inbound;
    s.say(&format!("220 {domain} Madoguchi bounce receiver")).await?;
    let mut line = Vec::new();
    let mut from: Option<String> = None;
    let mut rcpts: Vec<String> = Vec::new();
    for _ in 0..MAX_COMMANDS {
        s.line(&mut line, MAX_LINE).await?;
        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
        let (verb, arg) = text.split_once(' ').unwrap_or((text.as_str(), ""));
        let ours =
            |to: &str| to.rsplit_once('@').is_some_and(|(_, d)| d.eq_ignore_ascii_case(&domain));
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                let size = limits.max_bytes;
                s.say(&format!(
                    "250-{domain}\r\n250-8BITMIME\r\n250-SIZE {size}\r\n250 ENHANCEDSTATUSCODES"
                ))
                .await?
            }
            "HELO" => s.say(&format!("250 {domain}")).await?,
            "MAIL" if !may_send() => {
                s.say("421 4.7.0 too many messages from your address, try again later").await?;
                return Ok(());
            }
            "MAIL" => match path(arg) {
                Some(p) if arg.to_ascii_uppercase().starts_with("FROM:") => {
                    from = Some(p);
                    rcpts.clear();
                    s.say("250 2.1.0 ok").await?
                }
                _ => s.refuse("501 5.5.4 syntax: MAIL FROM:<address>").await?,
            },
            "RCPT" => match (&from, path(arg)) {
                (None, _) => s.refuse("503 5.5.1 MAIL first").await?,
                (Some(_), Some(_)) if rcpts.len() >= limits.max_recipients => {
                    s.refuse("452 4.5.3 too many recipients").await?
                }
                (Some(_), Some(to)) if ours(&to) => {
                    rcpts.push(to);
                    s.say("250 2.1.5 ok").await?
                }
                (Some(_), Some(_)) => s.refuse("550 5.7.1 relaying denied: bounces only").await?,
                (Some(_), None) => s.refuse("501 5.5.4 syntax: RCPT TO:<address>").await?,
            },
            "DATA" if rcpts.is_empty() => s.refuse("503 5.5.1 RCPT first").await?,
            "DATA" => {
                s.say("354 end with <CRLF>.<CRLF>").await?;
                // Dropped or stalled mid-DATA: nothing kept, nothing acted on.
                let (raw, size) = s.data(limits.max_bytes).await?;
                let sender = from.take().unwrap_or_default();
                let too_large = size > limits.max_bytes;
                let mail = Received { sender: &sender, rcpts: &rcpts, raw, size, too_large };
                let kept = receive(storage, recorder, &limits, mail).await;
                rcpts.clear();
                match (too_large, kept) {
                    (true, _) => s.refuse("552 5.3.4 message too big").await?,
                    (false, Ok(())) => s.say("250 2.0.0 received").await?,
                    (false, Err(e)) => {
                        log::error!("mail: a received report could not be stored: {e}");
                        s.say("451 4.3.0 try again later").await?
                    }
                }
            }
            "RSET" => {
                from = None;
                rcpts.clear();
                s.say("250 2.0.0 ok").await?
            }
            "NOOP" => s.say("250 2.0.0 ok").await?,
            "QUIT" => {
                s.say("221 2.0.0 bye").await?;
                return Ok(());
            }
            _ => s.refuse("502 5.5.2 command not implemented").await?,
        }
    }
    let _ = s.say("421 4.7.0 too many commands, closing").await;
    Err(Ended::Misbehaved("too many commands"))
}
