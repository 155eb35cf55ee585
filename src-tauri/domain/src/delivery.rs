//! 配信状況: what became of a notice mail — handed to the prefecture's relay, refused by it,
//! bounced back, delayed or delivered — and what kind of trouble a bounce is, so the help
//! desk can act on facts instead of asking the caller to guess.

use serde::{Deserialize, Serialize};

/// Where a notice's delivery stands. `Queued` covers retries after a temporary refusal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// 送信待ち
    #[default]
    Queued,
    /// 送信済み: the relay accepted it.
    Sent,
    /// 送信失敗: the relay refused it for good, or a day of retries ran out.
    Failed,
    /// 遅延: a report says the receiving side keeps retrying.
    Deferred,
    /// 不達: a report says it will not be delivered.
    Bounced,
    /// 配信済み: a success report arrived.
    Delivered,
}

impl DeliveryState {
    pub fn name_ja(self) -> &'static str {
        match self {
            Self::Queued => "送信待ち",
            Self::Sent => "送信済み",
            Self::Failed => "送信失敗",
            Self::Deferred => "遅延",
            Self::Bounced => "不達",
            Self::Delivered => "配信済み",
        }
    }

    /// The mail will not reach the institution without someone acting.
    pub fn is_trouble(self) -> bool {
        matches!(self, Self::Failed | Self::Bounced)
    }
}

/// What kind of failure a refusal or bounce is: each has its own branch at the help desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BounceCategory {
    /// メールボックスの容量超過 (5.2.2 / 552)
    MailboxFull,
    /// 宛先なし (5.1.1 / 550 …): the address is wrong.
    NoSuchUser,
    /// 迷惑メール・ポリシーによる拒否 (5.7.x)
    Rejected,
    /// その他
    Other,
}

impl BounceCategory {
    pub fn name_ja(self) -> &'static str {
        match self {
            Self::MailboxFull => "メールボックスの容量超過",
            Self::NoSuchUser => "宛先のメールアドレスが存在しない",
            Self::Rejected => "迷惑メール・ポリシーにより受信拒否",
            Self::Other => "その他の配信エラー",
        }
    }

    /// From an enhanced status code (RFC 3463, `5.2.2`), a basic reply code and the
    /// diagnostic text; the enhanced code wins where there is one.
    pub fn classify(enhanced: Option<&str>, smtp_code: Option<u16>, text: &str) -> Self {
        let lower = text.to_lowercase();
        let says = |words: &[&str]| words.iter().any(|w| lower.contains(w));
        if let Some(status) = enhanced {
            let mut parts = status.splitn(3, '.').skip(1);
            match (parts.next(), parts.next()) {
                (Some("2"), Some("2")) => return Self::MailboxFull,
                (Some("1"), Some("1" | "0" | "2" | "3" | "6")) => return Self::NoSuchUser,
                (Some("7"), _) => return Self::Rejected,
                _ => {}
            }
        }
        if smtp_code == Some(552)
            || says(&["mailbox full", "quota", "over quota", "insufficient storage", "容量"])
        {
            Self::MailboxFull
        } else if says(&["spam", "policy", "blocked", "blacklist", "denied", "迷惑"]) {
            Self::Rejected
        } else if smtp_code == Some(550)
            || smtp_code == Some(551)
            || smtp_code == Some(553)
            || says(&[
                "user unknown",
                "unknown user",
                "no such user",
                "does not exist",
                "not found",
                "recipnotfound",
                "存在しません",
            ])
        {
            Self::NoSuchUser
        } else {
            Self::Other
        }
    }
}

/// One step of a notice's delivery, as kept in its history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryEvent {
    pub state: DeliveryState,
    /// RFC 3339, UTC.
    pub at: String,
    pub category: Option<BounceCategory>,
    pub smtp_code: Option<u16>,
    /// `5.2.2`
    pub enhanced_status: Option<String>,
    /// The relay's reply or the report's diagnostic, as received.
    pub diagnostic: Option<String>,
}

/// A notice's delivery: its current state (the last event's) and every step before it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct Delivery {
    pub state: DeliveryState,
    pub category: Option<BounceCategory>,
    pub smtp_code: Option<u16>,
    pub enhanced_status: Option<String>,
    pub diagnostic: Option<String>,
    pub at: String,
    /// Hand-overs to the relay tried so far.
    pub attempts: u32,
    #[serde(default)]
    pub history: Vec<DeliveryEvent>,
}

/// Reports kept per notice: a real receiving side sends a delay or two and then a final
/// word; anything past this is someone replaying the notice's tag.
pub const MAX_REPORTS: usize = 8;
/// Events kept in a notice's history: the first (queued) and the latest.
pub const MAX_HISTORY: usize = 32;

/// Why an event does not change the notice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryTransitionError {
    /// No mail system makes this step (a bounce undone, a refused send reported delivered).
    #[error("delivery {from:?} cannot become {to:?}")]
    Transition { from: DeliveryState, to: DeliveryState },
    /// The same word again (a report sent twice, a replay).
    #[error("delivery {0:?} repeated")]
    Repeat(DeliveryState),
    /// The notice already holds [`MAX_REPORTS`] reports.
    #[error("delivery already has {MAX_REPORTS} reports")]
    TooManyReports,
}

impl DeliveryState {
    /// A state only a report that came back can bring.
    pub fn is_reported(self) -> bool {
        matches!(self, Self::Deferred | Self::Bounced | Self::Delivered)
    }
}

impl Delivery {
    /// A notice just written to the outbox.
    pub fn queued(at: &str) -> Self {
        let event = DeliveryEvent { at: at.to_owned(), ..Default::default() };
        Self { at: at.to_owned(), history: vec![event], ..Default::default() }
    }

    /// Applies `event`: the relay's answer to an attempt (`Sent`, `Failed`, or `Queued` again
    /// for a retry), a report that came back, or the operator's retry of a refused or bounced
    /// notice (`Queued`: no report and no relay answer makes one for a notice that left). Only steps a real mail system makes count:
    /// nothing undoes a bounce, a send the relay refused can only be confirmed as bounced
    /// (never reported delivered), a repeated word and reports past [`MAX_REPORTS`] change
    /// nothing — a notice's tag is in every mail it sent, so anyone who got one can forge.
    pub fn apply(&mut self, event: DeliveryEvent) -> Result<(), DeliveryTransitionError> {
        use DeliveryState::*;
        let allowed = matches!(
            (self.state, event.state),
            (Queued, Queued | Sent | Failed)
                | (Sent | Deferred, Deferred | Bounced | Delivered)
                | (Failed | Delivered, Bounced)
                | (Failed | Bounced, Queued)
        );
        if !allowed {
            return Err(DeliveryTransitionError::Transition { from: self.state, to: event.state });
        }
        if event.state.is_reported() {
            let same = |e: &DeliveryEvent| {
                e.state == event.state
                    && e.enhanced_status == event.enhanced_status
                    && e.smtp_code == event.smtp_code
                    && e.diagnostic == event.diagnostic
            };
            if self.history.iter().any(same) {
                return Err(DeliveryTransitionError::Repeat(event.state));
            }
            if self.history.iter().filter(|e| e.state.is_reported()).count() >= MAX_REPORTS {
                return Err(DeliveryTransitionError::TooManyReports);
            }
        }
        if self.state == Queued {
            self.attempts += 1;
        }
        self.state = event.state;
        self.category = event.category;
        self.smtp_code = event.smtp_code;
        self.enhanced_status = event.enhanced_status.clone();
        self.diagnostic = event.diagnostic.clone();
        self.at = event.at.clone();
        self.history.push(event);
        if self.history.len() > MAX_HISTORY {
            self.history.remove(1);
        }
        Ok(())
    }
}

/// 配信の事実: what the records say happened to the mail a caller is waiting for. A node of
/// the troubleshooting tree can say which facts enter it, so a call linked to an application
/// starts from what happened instead of asking.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum MailFact {
    /// Not decided yet (受付・審査中): no mail has been sent.
    NotDecided,
    /// 差戻し: waiting for the institution's corrected application.
    ApplicationReturned,
    /// 却下.
    ApplicationRejected,
    /// Accepted by the relay (or delivered) and nothing came back.
    Sent,
    /// The receiving side keeps retrying (often a full mailbox).
    Deferred,
    MailboxFull,
    NoSuchUser,
    /// Refused as spam or by policy.
    Rejected,
    /// Waiting to be sent, refused by the relay, or bounced for another reason: the
    /// prefecture has to act.
    NotSent,
}

impl MailFact {
    /// The fact for an application in `status` whose latest notice has `delivery` (none: the
    /// application has sent no mail).
    /// A pending, returned or rejected application is its status, whatever its mail did:
    /// the caller waits for a decision or a correction, not for a mail in the spam folder.
    pub fn of(status: crate::ApplicationStatus, delivery: Option<&Delivery>) -> Self {
        use crate::ApplicationStatus as S;
        match status {
            S::Submitted | S::InReview => return Self::NotDecided,
            S::ReturnedForCorrection => return Self::ApplicationReturned,
            S::Rejected => return Self::ApplicationRejected,
            S::ApprovedNewAccount | S::ApprovedExistingAccount | S::Resubmitted => {}
        }
        let Some(d) = delivery else {
            return if status.is_final() { Self::NotSent } else { Self::NotDecided };
        };
        match (d.state, d.category) {
            (DeliveryState::Sent | DeliveryState::Delivered, _) => Self::Sent,
            (DeliveryState::Deferred, _) => Self::Deferred,
            (DeliveryState::Bounced | DeliveryState::Failed, Some(BounceCategory::MailboxFull)) => {
                Self::MailboxFull
            }
            (DeliveryState::Bounced | DeliveryState::Failed, Some(BounceCategory::NoSuchUser)) => {
                Self::NoSuchUser
            }
            (DeliveryState::Bounced | DeliveryState::Failed, Some(BounceCategory::Rejected)) => {
                Self::Rejected
            }
            _ => Self::NotSent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use BounceCategory::*;

    #[test]
    fn categories_from_codes_and_text() {
        assert_eq!(BounceCategory::classify(Some("5.2.2"), Some(552), ""), MailboxFull);
        assert_eq!(BounceCategory::classify(Some("4.2.2"), None, ""), MailboxFull);
        assert_eq!(BounceCategory::classify(Some("5.1.1"), Some(550), ""), NoSuchUser);
        assert_eq!(BounceCategory::classify(Some("5.7.1"), Some(550), "spam"), Rejected);
        assert_eq!(
            BounceCategory::classify(None, Some(552), "Requested action aborted"),
            MailboxFull
        );
        assert_eq!(BounceCategory::classify(None, Some(550), "User unknown"), NoSuchUser);
        assert_eq!(BounceCategory::classify(None, Some(554), "blocked by policy"), Rejected);
        assert_eq!(BounceCategory::classify(Some("5.4.4"), Some(554), "no route"), Other);
    }

    #[test]
    fn an_undecided_returned_or_rejected_application_is_its_status_not_its_mail() {
        use crate::ApplicationStatus as S;
        let mut sent = Delivery::queued("t0");
        sent.apply(DeliveryEvent { state: DeliveryState::Sent, ..Default::default() }).unwrap();
        assert_eq!(MailFact::of(S::InReview, Some(&sent)), MailFact::NotDecided);
        assert_eq!(
            MailFact::of(S::ReturnedForCorrection, Some(&sent)),
            MailFact::ApplicationReturned
        );
        assert_eq!(MailFact::of(S::Rejected, None), MailFact::ApplicationRejected);
        assert_eq!(MailFact::of(S::ApprovedNewAccount, Some(&sent)), MailFact::Sent);
        assert_eq!(MailFact::of(S::ApprovedExistingAccount, None), MailFact::NotSent);
    }

    #[test]
    fn reports_never_undo_a_bounce() {
        let ev = |state| DeliveryEvent { state, at: "t".into(), ..Default::default() };
        let mut d = Delivery::queued("t0");
        d.apply(ev(DeliveryState::Queued)).unwrap();
        d.apply(ev(DeliveryState::Sent)).unwrap();
        assert_eq!(d.attempts, 2);
        d.apply(ev(DeliveryState::Deferred)).unwrap();
        d.apply(ev(DeliveryState::Bounced)).unwrap();
        assert!(d.apply(ev(DeliveryState::Delivered)).is_err());
        assert!(d.apply(ev(DeliveryState::Sent)).is_err());
        assert_eq!(d.history.len(), 5);
        assert!(d.state.is_trouble());
    }

    #[test]
    fn forged_reports_are_bounded_and_cannot_clear_a_failure() {
        let ev = |state, text: &str| DeliveryEvent {
            state,
            at: "t".into(),
            diagnostic: Some(text.into()),
            ..Default::default()
        };
        let mut failed = Delivery::queued("t0");
        failed.apply(ev(DeliveryState::Failed, "550 no")).unwrap();
        let err = failed.apply(ev(DeliveryState::Delivered, "ok")).unwrap_err();
        assert!(matches!(err, DeliveryTransitionError::Transition { .. }), "{err}");
        assert!(failed.apply(ev(DeliveryState::Deferred, "later")).is_err());
        failed.apply(ev(DeliveryState::Bounced, "550 5.1.1")).unwrap();

        let mut d = Delivery::queued("t0");
        d.apply(ev(DeliveryState::Sent, "250")).unwrap();
        d.apply(ev(DeliveryState::Deferred, "try 1")).unwrap();
        let again = d.apply(ev(DeliveryState::Deferred, "try 1"));
        assert_eq!(again, Err(DeliveryTransitionError::Repeat(DeliveryState::Deferred)));
        for n in 2..=MAX_REPORTS {
            d.apply(ev(DeliveryState::Deferred, &format!("try {n}"))).unwrap();
        }
        let more = d.apply(ev(DeliveryState::Bounced, "550"));
        assert_eq!(more, Err(DeliveryTransitionError::TooManyReports));
        assert_eq!(d.history.len(), 2 + MAX_REPORTS);

        let mut retried = Delivery::queued("t0");
        for n in 0..100 {
            retried.apply(ev(DeliveryState::Queued, &format!("451 busy {n}"))).unwrap();
        }
        assert_eq!(retried.history.len(), MAX_HISTORY, "retries keep the first and the latest");
        assert_eq!(retried.history[0].diagnostic, None);
        assert_eq!(retried.attempts, 100);
    }
}
