//! 配信の健全性: how a prefecture's notices fared over the last day against the week before —
//! accepted, refused by the relay (relay side: our relay or its policy said no), bounced by the
//! receiving side (recipient side), by category — which recipient domains refuse most, and how
//! many 疎通確認 mails were confirmed. What an operator watches and a desk's 設定 shows: a jump in
//! bounces of one category or one domain is a provider blocking the prefecture's mail, not a
//! typo.

use serde::{Deserialize, Serialize};

use crate::delivery::{BounceCategory, DeliveryState};
use crate::notice::NoticeKind;
use crate::prefecture::Prefecture;

/// Hours in the recent window, and days in the baseline before it.
pub const RECENT_HOURS: i64 = 24;
pub const BASELINE_DAYS: i64 = 7;
/// Refusing domains listed at most.
pub const TOP_DOMAINS: usize = 5;

/// What became of the notices of one window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailTally {
    pub notices: i64,
    /// Handed to the relay and not (yet) reported back as failed: 送信済み, 配信済み, 遅延.
    pub accepted: i64,
    /// 送信失敗: the relay refused (relay side).
    pub relay_refused: i64,
    /// 不達: the receiving side returned it (recipient side).
    pub bounced: i64,
    pub mailbox_full: i64,
    pub no_such_user: i64,
    pub rejected: i64,
    pub other: i64,
    /// Refused and bounced notices per thousand that left the queue (0 when none did).
    pub trouble_per_mille: i64,
}

impl MailTally {
    fn per_mille(&self) -> i64 {
        let left = self.accepted + self.relay_refused + self.bounced;
        if left == 0 {
            0
        } else {
            (self.relay_refused + self.bounced) * 1000 / left
        }
    }

    fn add(&mut self, fate: &NoticeFate) {
        self.notices += 1;
        match fate.state {
            DeliveryState::Queued => {}
            DeliveryState::Sent | DeliveryState::Delivered | DeliveryState::Deferred => {
                self.accepted += 1
            }
            DeliveryState::Failed => self.relay_refused += 1,
            DeliveryState::Bounced => self.bounced += 1,
        }
        if fate.state.is_trouble() {
            match fate.category {
                Some(BounceCategory::MailboxFull) => self.mailbox_full += 1,
                Some(BounceCategory::NoSuchUser) => self.no_such_user += 1,
                Some(BounceCategory::Rejected) => self.rejected += 1,
                Some(BounceCategory::Other) | None => self.other += 1,
            }
        }
    }
}

/// A recipient domain's failures in the whole window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DomainTally {
    pub domain: String,
    pub relay_refused: i64,
    pub bounced: i64,
}

/// One prefecture's mail health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailHealth {
    pub prefecture: Prefecture,
    /// The last [`RECENT_HOURS`] hours.
    pub recent: MailTally,
    /// The [`BASELINE_DAYS`] days before them.
    pub baseline: MailTally,
    /// The domains with most failures over both windows, most first.
    pub refusing_domains: Vec<DomainTally>,
    /// 疎通確認 mails over both windows (of applications still on record), and how many of
    /// them were confirmed.
    pub checks_sent: i64,
    pub checks_confirmed: i64,
    /// The last day's trouble rate is over twice the week's, with at least five troubled
    /// notices: a change worth a look (a provider blocking the prefecture's mail).
    pub worse_than_usual: bool,
}

/// A notice as the tally reads it: never its address, only the address's domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeFate {
    pub kind: NoticeKind,
    pub state: DeliveryState,
    pub category: Option<BounceCategory>,
    /// The recipient's domain (empty once the address was purged).
    pub domain: String,
    /// Made within the recent window (else within the baseline).
    pub recent: bool,
    /// For a 疎通確認 mail: its application was confirmed.
    pub confirmed: bool,
}

impl MailHealth {
    pub fn tally(prefecture: Prefecture, fates: impl IntoIterator<Item = NoticeFate>) -> Self {
        let mut health = MailHealth {
            prefecture,
            recent: MailTally::default(),
            baseline: MailTally::default(),
            refusing_domains: Vec::new(),
            checks_sent: 0,
            checks_confirmed: 0,
            worse_than_usual: false,
        };
        let mut domains = std::collections::BTreeMap::<String, DomainTally>::new();
        for fate in fates {
            if fate.recent { &mut health.recent } else { &mut health.baseline }.add(&fate);
            if fate.kind == NoticeKind::AddressCheck {
                health.checks_sent += 1;
                health.checks_confirmed += i64::from(fate.confirmed);
            }
            if fate.state.is_trouble() && !fate.domain.is_empty() {
                let d = domains.entry(fate.domain.clone()).or_insert_with(|| DomainTally {
                    domain: fate.domain.clone(),
                    relay_refused: 0,
                    bounced: 0,
                });
                match fate.state {
                    DeliveryState::Failed => d.relay_refused += 1,
                    _ => d.bounced += 1,
                }
            }
        }
        let mut domains: Vec<DomainTally> = domains.into_values().collect();
        domains.sort_by_key(|d| (std::cmp::Reverse(d.relay_refused + d.bounced), d.domain.clone()));
        domains.truncate(TOP_DOMAINS);
        health.refusing_domains = domains;
        health.recent.trouble_per_mille = health.recent.per_mille();
        health.baseline.trouble_per_mille = health.baseline.per_mille();
        let troubled = health.recent.relay_refused + health.recent.bounced;
        health.worse_than_usual = troubled >= 5
            && health.recent.trouble_per_mille > 2 * health.baseline.trouble_per_mille;
        health
    }
}

/// The domain of an address (`jimu@hospital.example.jp` → `hospital.example.jp`), lower-case.
pub fn domain_of(address: &str) -> String {
    address.rsplit_once('@').map(|(_, d)| d.trim().to_ascii_lowercase()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fate(
        state: DeliveryState,
        category: Option<BounceCategory>,
        domain: &str,
        recent: bool,
    ) -> NoticeFate {
        NoticeFate {
            kind: NoticeKind::Issuance,
            state,
            category,
            domain: domain.into(),
            recent,
            confirmed: false,
        }
    }

    #[test]
    fn the_recent_day_is_weighed_against_the_week_and_domains_ranked() {
        use BounceCategory::*;
        use DeliveryState::*;
        let p: Prefecture = "13".parse().unwrap();
        let mut fates = vec![];
        for _ in 0..95 {
            fates.push(fate(Delivered, None, "a.jp", false));
        }
        for _ in 0..5 {
            fates.push(fate(Bounced, Some(NoSuchUser), "a.jp", false));
        }
        for _ in 0..4 {
            fates.push(fate(Sent, None, "b.jp", true));
        }
        for _ in 0..6 {
            fates.push(fate(Bounced, Some(Rejected), "big-provider.jp", true));
        }
        fates.push(fate(Failed, Some(MailboxFull), "c.jp", true));
        fates.push(NoticeFate {
            kind: NoticeKind::AddressCheck,
            confirmed: true,
            ..fate(Sent, None, "d.jp", true)
        });
        fates.push(NoticeFate { kind: NoticeKind::AddressCheck, ..fate(Sent, None, "d.jp", true) });
        let h = MailHealth::tally(p, fates);
        assert_eq!(h.baseline.trouble_per_mille, 50);
        assert_eq!(
            (h.recent.bounced, h.recent.relay_refused, h.recent.rejected, h.recent.mailbox_full),
            (6, 1, 6, 1)
        );
        assert_eq!(h.recent.trouble_per_mille, 7 * 1000 / 13);
        assert!(h.worse_than_usual);
        assert_eq!(h.refusing_domains[0].domain, "big-provider.jp");
        assert_eq!(h.refusing_domains[1].domain, "a.jp");
        assert_eq!((h.checks_sent, h.checks_confirmed), (2, 1));
        assert_eq!(domain_of("Jimu@Hospital.Example.JP"), "hospital.example.jp");
    }
}
