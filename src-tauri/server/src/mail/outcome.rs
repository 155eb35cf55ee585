//! 送信の結果: what one attempt to hand a notice to the relay came to, from the relay's words.

/// What one attempt came to.
pub(super) enum Outcome {
    Sent {
        reply: String,
    },
    /// Refused for good (5xx), or the address cannot be used.
    Refused {
        code: Option<u16>,
        text: String,
    },
    /// Try again later (4xx, connection trouble before the end of DATA).
    Retry {
        code: Option<u16>,
        text: String,
    },
    /// The connection went after the whole message was written: the relay may have it.
    Uncertain {
        text: String,
    },
}

/// The relay's words for a refusal: its code and text.
fn words(e: &lettre::transport::smtp::Error) -> (Option<u16>, String) {
    let code = e.status().map(u16::from);
    let text = std::error::Error::source(e).map_or_else(|| e.to_string(), |s| s.to_string());
    let text = match code {
        Some(c) if !text.starts_with(&c.to_string()) => format!("{c} {text}"),
        _ => text,
    };
    (code, text)
}

pub(super) fn refused(e: &lettre::transport::smtp::Error) -> Outcome {
    let (code, text) = words(e);
    Outcome::Refused { code, text }
}

pub(super) fn retry(e: &lettre::transport::smtp::Error) -> Outcome {
    let (code, text) = words(e);
    Outcome::Retry { code, text }
}

/// Trouble reaching the relay: tried again later.
impl From<lettre::transport::smtp::Error> for Outcome {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        retry(&e)
    }
}
