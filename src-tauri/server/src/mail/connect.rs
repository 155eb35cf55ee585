//! 中継サーバーへの接続: TCP or TLS from the first byte, STARTTLS as the relay URL asks,
//! and AUTH only once the connection is encrypted (the relay's password never goes in clear).

use std::time::Instant;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::commands::Ehlo;
use lettre::transport::smtp::extension::ClientId;

use super::outcome::Outcome;
use super::settings::{Relay, Security, Settings};

/// One kept-open connection to the relay.
pub(super) struct Connection {
    pub smtp: AsyncSmtpConnection,
    pub dsn: bool,
    pub last_used: Instant,
}

pub(super) async fn connect(
    relay: &Relay,
    settings: &Settings,
    domain: &str,
) -> Result<Connection, Outcome> {
    let hello = ClientId::Domain(domain.to_owned());
    let tls = || {
        let mut builder = TlsParameters::builder(relay.host.clone());
        if let Some(pem) = &relay.ca_pem {
            builder = builder.add_root_certificate(Certificate::from_pem(pem)?);
        }
        builder.build_rustls()
    };
    let implicit = match relay.security {
        Security::Implicit => Some(tls()?),
        _ => None,
    };
    let address = (relay.host.as_str(), relay.port);
    let mut smtp = match implicit {
        Some(tls) => {
            let timeout = Some(settings.timeout);
            AsyncSmtpConnection::connect_tokio1(address, timeout, &hello, Some(tls), None).await?
        }
        None => {
            // Commands are small writes answered one by one: without TCP_NODELAY each one
            // waits out the peer's delayed ACK (40 ms a notice on loopback).
            let connecting = tokio::net::TcpStream::connect(address);
            let tcp = match tokio::time::timeout(settings.timeout, connecting).await {
                Ok(Ok(tcp)) => tcp,
                Ok(Err(e)) => {
                    return Err(Outcome::Retry {
                        code: None, text: format!("接続できません: {e}")
                    })
                }
                Err(_) => {
                    return Err(Outcome::Retry {
                        code: None,
                        text: "接続がタイムアウトしました".into(),
                    })
                }
            };
            let _ = tcp.set_nodelay(true);
            AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &hello).await?
        }
    };
    match relay.security {
        Security::StartTls => smtp.starttls(tls()?, &hello).await?,
        Security::Opportunistic if smtp.can_starttls() => smtp.starttls(tls()?, &hello).await?,
        _ => {}
    }
    if let (Some(user), Some(password)) = (&relay.user, &relay.password) {
        // Refused at start for `tls=none`; here a relay that did not offer STARTTLS under
        // `tls=opportunistic` is not given the password in the clear.
        if !smtp.is_encrypted() {
            return Err(Outcome::Retry {
                code: None,
                text: "中継サーバーが暗号化（STARTTLS）に応じないため、パスワードを送っていません"
                    .into(),
            });
        }
        let credentials = Credentials::new(user.clone(), password.clone());
        smtp.auth(&[Mechanism::Plain, Mechanism::Login], &credentials).await?;
    }
    // lettre keeps only the extensions it uses; DSN is read from a second EHLO.
    let ehlo = smtp.command(Ehlo::new(hello)).await?;
    let dsn = ehlo.message().any(|l| l.trim().eq_ignore_ascii_case("DSN"));
    Ok(Connection { smtp, dsn, last_used: Instant::now() })
}
