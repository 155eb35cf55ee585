//! 伏せ字: a URL as it may be shown in a log, an error or a debug print — the relay's or the
//! database's, whose user part may carry a password.

/// `url` with the password of its user part replaced by `***`.
pub fn redact(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, rest)), Some(_)) => {
            let (creds, host) = rest.rsplit_once('@').expect("has @");
            let user = creds.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}
