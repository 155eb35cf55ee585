//! フリーメール: domains where anyone can get an address — web mail, mobile carriers, ISPs —
//! from a maintained public list (`data/free_mail_domains.txt`, whose header names its source
//! and how to update it). An address there proves only that the applicant reads it, not that
//! the applicant is the institution: 一括承認 leaves such applications to a phone call.

use std::collections::HashSet;
use std::sync::OnceLock;

const LIST: &str = include_str!("../data/free_mail_domains.txt");

fn domains() -> &'static HashSet<&'static str> {
    static DOMAINS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    DOMAINS.get_or_init(|| {
        LIST.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
    })
}

/// The listed domain `email`'s domain is, or is under (`mail.ocn.ne.jp` → `ocn.ne.jp`).
pub fn free_mail_domain(email: &str) -> Option<&'static str> {
    let (_, domain) = email.trim().rsplit_once('@')?;
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let list = domains();
    let mut rest = domain.as_str();
    loop {
        if let Some(listed) = list.get(rest) {
            return Some(listed);
        }
        rest = rest.split_once('.')?.1;
    }
}

/// The domain of an address, lower-cased: what "the same organisation's mail" is judged by.
pub fn mail_domain(email: &str) -> Option<String> {
    let (_, domain) = email.trim().rsplit_once('@')?;
    Some(domain.trim_end_matches('.').to_ascii_lowercase()).filter(|d| !d.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_mail_carriers_and_isps_are_free_and_an_institutions_domain_is_not() {
        for free in
            ["a@gmail.com", "b@YAHOO.CO.JP", "c@docomo.ne.jp", "d@ezweb.ne.jp", "e@xyz.ocn.ne.jp"]
        {
            assert!(free_mail_domain(free).is_some(), "{free}");
        }
        assert_eq!(free_mail_domain("x@abc.ocn.ne.jp"), Some("ocn.ne.jp"));
        for own in ["jimu@aizen.example.jp", "info@hospital.or.jp", "a@pref.tokyo.lg.jp", "no-at"] {
            assert_eq!(free_mail_domain(own), None, "{own}");
        }
        assert!(domains().len() > 10_000, "the whole list is read");
        assert_eq!(mail_domain(" Jimu@Aizen.Example.JP "), Some("aizen.example.jp".into()));
    }
}
