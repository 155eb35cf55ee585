//! メールの組み立て: a notice as Japanese mail — UTF-8 (or ISO-2022-JP where an old mail
//! system needs it), the Subject and the From name encoded, a Message-ID of its own and the
//! Date in JST.

use chrono::{DateTime, Utc};
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox};
use lettre::Message;

use madoguchi_domain::practice::JST;

use super::error::MailConfigError;
use crate::storage::Outgoing;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Charset {
    #[default]
    Utf8,
    /// JIS: 7-bit, for receiving systems that garble UTF-8.
    Iso2022Jp,
}

impl std::str::FromStr for Charset {
    type Err = MailConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Ok(Self::Utf8),
            "iso-2022-jp" | "jis" => Ok(Self::Iso2022Jp),
            _ => Err(MailConfigError::Charset(s.into())),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("the address is not one mailbox: {0}")]
    Address(#[from] lettre::address::AddressError),
    #[error("message not built: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("the JIS body is not 7-bit")]
    NotSevenBit,
}

/// The notice's mail, ready for DATA. Fails only on an address that is not one mailbox.
pub fn compose(
    notice: &Outgoing,
    from: &Mailbox,
    charset: Charset,
    message_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, ComposeError> {
    let to: Mailbox = notice.to.parse()?;
    let date = HeaderValue::dangerous_new_pre_encoded(
        HeaderName::new_from_ascii_str("Date"),
        // Read back by lettre (which would otherwise add its own GMT date) …
        httpdate::fmt_http_date(now.into()),
        // … and written as JST, the office's time.
        now.with_timezone(&JST).to_rfc2822(),
    );
    let builder =
        Message::builder().to(to).message_id(Some(message_id.to_owned())).raw_header(date);
    let message = match charset {
        Charset::Utf8 => builder
            .from(from.clone())
            .subject(notice.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(notice.body.clone()),
        Charset::Iso2022Jp => {
            let name = from.name.as_deref().map(jis_words).unwrap_or_default();
            let from_value = format!("{name} <{}>", from.email).trim_start().to_owned();
            let jis = |header: &str, raw: &str, encoded: String| {
                HeaderValue::dangerous_new_pre_encoded(
                    HeaderName::new_from_ascii(header.to_owned()).expect("ASCII header name"),
                    raw.to_owned(),
                    encoded,
                )
            };
            let body = jis_bytes(&notice.body.replace('\n', "\r\n"));
            builder
                .raw_header(jis("From", &from.to_string(), from_value))
                .raw_header(jis("Subject", &notice.subject, jis_words(&notice.subject)))
                .header(
                    ContentType::parse("text/plain; charset=ISO-2022-JP")
                        .expect("a literal content type"),
                )
                .header(ContentTransferEncoding::SevenBit)
                .body(
                    Body::new_with_encoding(body, ContentTransferEncoding::SevenBit)
                        .map_err(|_| ComposeError::NotSevenBit)?,
                )
        }
    };
    Ok(message?.formatted())
}

fn jis_bytes(text: &str) -> Vec<u8> {
    encoding_rs::ISO_2022_JP.encode(text).0.into_owned()
}

/// RFC 2047 encoded words in ISO-2022-JP, each short enough for a header line and each
/// returning to ASCII, folded onto continuation lines.
fn jis_words(text: &str) -> String {
    use base64::Engine;
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(12)
        .map(|chunk| {
            let piece: String = chunk.iter().collect();
            let encoded = base64::engine::general_purpose::STANDARD.encode(jis_bytes(&piece));
            format!("=?ISO-2022-JP?B?{encoded}?=")
        })
        .collect::<Vec<_>>()
        .join("\r\n ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use madoguchi_domain::NoticeKind;

    fn outgoing() -> Outgoing {
        Outgoing {
            id: 7,
            application_id: 3,
            prefecture: "13".parse().unwrap(),
            kind: NoticeKind::Issuance,
            to: "jimu@hospital.example.jp".into(),
            subject: "【厚生労働省G-MIS事務局】G-MISのご利用準備完了に伴うパスワード登録のご依頼"
                .into(),
            body: "テスト病院 ご担当者様\n\nG-MISへようこそ！\n".into(),
            created_at: "2026-11-28T23:00:00Z".into(),
            attempts: 0,
        }
    }

    #[test]
    fn japanese_mail_in_both_charsets() {
        let from: Mailbox = madoguchi_domain::notice::SENDER.parse().unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-28T23:30:00Z").unwrap().to_utc();
        for charset in [Charset::Utf8, Charset::Iso2022Jp] {
            let raw = compose(&outgoing(), &from, charset, "<n7.x@bounce.example>", now).unwrap();
            let text = String::from_utf8(raw.clone()).unwrap();
            assert!(raw.is_ascii(), "headers and body are encoded: {text}");
            assert!(text.contains("Date: Sun, 29 Nov 2026 08:30:00 +0900\r\n"), "{text}");
            assert_eq!(text.matches("\r\nDate:").count() + text.starts_with("Date:") as usize, 1);
            assert!(text.contains("Message-ID: <n7.x@bounce.example>"), "{text}");
            let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
            assert_eq!(parsed.subject(), Some(outgoing().subject.as_str()), "{charset:?}");
            assert_eq!(parsed.from().unwrap().first().unwrap().name(), Some("G-MIS事務局"));
            let body = parsed.body_text(0).unwrap().replace("\r\n", "\n");
            assert_eq!(body.trim_end(), outgoing().body.trim_end(), "{charset:?}");
        }
    }
}
