//! A reporting MTA for tests: sends a message to the bounce listener as a real one would, from
//! a chosen loopback address (the 127/8 block is all loopback on Linux), so a test can be two
//! senders at once.

use std::net::{IpAddr, SocketAddr};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpSocket, TcpStream};

/// A connection to `listener` from `from` (port chosen by the system).
pub async fn connect_from(from: IpAddr, listener: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from, 0))?;
    socket.connect(listener).await
}

/// An SMTP dialogue's client side: one command, its (last) reply line.
pub struct Client {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    /// The greeting.
    pub banner: String,
}

impl Client {
    pub async fn open(stream: TcpStream) -> std::io::Result<Self> {
        let (r, writer) = stream.into_split();
        let mut client = Self { reader: BufReader::new(r), writer, banner: String::new() };
        client.banner = client.reply().await?;
        Ok(client)
    }

    /// The last line of a (multi-line) reply; empty when the server closed.
    pub async fn reply(&mut self) -> std::io::Result<String> {
        let mut line = String::new();
        loop {
            line.clear();
            if self.reader.read_line(&mut line).await? == 0 {
                return Ok(String::new());
            }
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(line);
            }
        }
    }

    pub async fn command(&mut self, line: &str) -> std::io::Result<String> {
        self.writer.write_all(format!("{line}\r\n").as_bytes()).await?;
        self.reply().await
    }

    /// `raw` as DATA (dot-stuffed, CRLF), then the server's answer to it.
    pub async fn data(&mut self, raw: &[u8]) -> std::io::Result<String> {
        let go = self.command("DATA").await?;
        if !go.starts_with("354") {
            return Ok(go);
        }
        let mut data = Vec::with_capacity(raw.len() + raw.len() / 40);
        for l in raw.split(|b| *b == b'\n') {
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            if l.starts_with(b".") {
                data.push(b'.');
            }
            data.extend_from_slice(l);
            data.extend_from_slice(b"\r\n");
        }
        data.extend_from_slice(b".\r\n");
        self.writer.write_all(&data).await?;
        self.reply().await
    }
}

/// Sends `raw` to `rcpt` through the listener as an MTA would (from 127.0.0.1); the
/// listener's last reply.
pub async fn send_to_listener(listener: SocketAddr, rcpt: &str, raw: &[u8]) -> String {
    send_from([127, 0, 0, 1].into(), listener, rcpt, raw).await
}

/// [`send_to_listener`] from `from`.
pub async fn send_from(from: IpAddr, listener: SocketAddr, rcpt: &str, raw: &[u8]) -> String {
    let stream = connect_from(from, listener).await.expect("the listener takes connections");
    let mut c = Client::open(stream).await.expect("a greeting");
    if !c.banner.starts_with("220") {
        return c.banner;
    }
    for cmd in
        ["EHLO mta.example.jp".to_owned(), "MAIL FROM:<>".into(), format!("RCPT TO:<{rcpt}>")]
    {
        let reply = c.command(&cmd).await.expect("a reply");
        if !reply.starts_with('2') {
            return reply;
        }
    }
    let reply = c.data(raw).await.expect("a reply to DATA");
    let _ = c.command("QUIT").await;
    reply
}

/// An RFC 3464 report on the notice sent as `message_id`, one recipient group per
/// `(action, status, diagnostic)`, as a reporting MTA (or someone forging one) writes it.
pub fn report(message_id: &str, groups: &[(&str, &str, String)]) -> Vec<u8> {
    let envid = tag(message_id);
    let mut fields =
        format!("Reporting-MTA: dns; mx.example.jp\r\nOriginal-Envelope-Id: {envid}\r\n");
    for (action, status, diagnostic) in groups {
        fields.push_str(&format!(
            "\r\nFinal-Recipient: rfc822; clinic@example.jp\r\nAction: {action}\r\nStatus: {status}\r\nDiagnostic-Code: smtp; {diagnostic}\r\n"
        ));
    }
    let bounce_domain = super::postfix::BOUNCE_DOMAIN;
    format!(
        "From: MAILER-DAEMON@mx.example.jp\r\nTo: postmaster@{bounce_domain}\r\nSubject: Delivery report\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
         --B\r\nContent-Type: text/plain\r\n\r\nreport\r\n\
         --B\r\nContent-Type: message/delivery-status\r\n\r\n{fields}\r\n\
         --B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {message_id}\r\n\r\n--B--\r\n"
    )
    .into_bytes()
}

/// `12.ab34` of `<notice-12.ab34@host>`: the notice's id and tag, as bounce addresses and
/// envelope ids carry them.
pub fn tag(message_id: &str) -> &str {
    message_id
        .trim_matches(['<', '>'])
        .split('@')
        .next()
        .unwrap_or("")
        .trim_start_matches("notice-")
}

/// What a [`raw_relay`] does once a message's DATA has ended.
#[derive(Debug, Clone, Copy)]
pub enum AtDataEnd {
    /// Drops the connection without a word: the relay may or may not have the message.
    Drop,
    /// Never answers.
    Hang,
    /// Answers 250 after this long.
    AnswerAfter(std::time::Duration),
}

/// A relay on a raw socket (no STARTTLS, no AUTH offered) that takes every message and then
/// does `at_end`; each message, as received, comes out of the receiver at the end of its DATA.
pub async fn raw_relay(
    at_end: AtDataEnd,
) -> (SocketAddr, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut r = BufReader::new(r);
                let _ = w.write_all(b"220 raw.relay ESMTP\r\n").await;
                let (mut line, mut in_data, mut message) = (String::new(), false, String::new());
                loop {
                    line.clear();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if in_data {
                        if line != ".\r\n" {
                            message.push_str(&line);
                            continue;
                        }
                        in_data = false;
                        let _ = tx.send(std::mem::take(&mut message));
                        match at_end {
                            AtDataEnd::Drop => return,
                            AtDataEnd::Hang => {
                                tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                                return;
                            }
                            AtDataEnd::AnswerAfter(delay) => {
                                tokio::time::sleep(delay).await;
                                let _ = w.write_all(b"250 2.0.0 queued\r\n").await;
                            }
                        }
                        continue;
                    }
                    let reply: &[u8] =
                        match line.get(..4).unwrap_or("").to_ascii_uppercase().as_str() {
                            "EHLO" => b"250-raw.relay\r\n250 8BITMIME\r\n",
                            "DATA" => {
                                in_data = true;
                                b"354 go ahead\r\n"
                            }
                            "QUIT" => b"221 bye\r\n",
                            _ => b"250 ok\r\n",
                        };
                    let _ = w.write_all(reply).await;
                }
            });
        }
    });
    (addr, rx)
}
