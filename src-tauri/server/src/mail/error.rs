//! What mail's settings can be refused for, said at start.

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MailConfigError {
    #[error("MADOGUCHI_SMTP_RELAY {0:?}: use smtp://host:port or smtps://host:port")]
    RelayUrl(String),
    #[error("MADOGUCHI_MAIL_FROM {0:?} is not one mail address")]
    From(String),
    #[error(
        "MADOGUCHI_BOUNCE_DOMAIN is needed to send: bounces come back to bounce+<id>@<domain>"
    )]
    NoBounceDomain,
    #[error("MADOGUCHI_MAIL_CHARSET {0:?}: use utf-8 or iso-2022-jp")]
    Charset(String),
    #[error("cannot read the relay's password file {0}")]
    PasswordFile(String),
    #[error("cannot read the relay's CA {0}")]
    Ca(String),
    #[error(
        "the relay's password goes only over TLS: use smtps:// or smtp:// (STARTTLS), not tls=none"
    )]
    AuthWithoutTls,
    #[error("cannot take bounces on {0}")]
    Listen(String),
}
