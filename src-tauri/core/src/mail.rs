//! 配信状況: what became of the mails sent about each application, as the feed brought them
//! — a short timeline in the application's detail, a flag in the queue when a mail did not
//! arrive, and the facts a 「メールが届かない」 call starts from instead of asking.

use std::collections::HashMap;

use chrono::DateTime;
use madoguchi_domain::api::{Application, CallRecord, Notice};
use madoguchi_domain::delivery::MailFact;
use madoguchi_domain::practice::JST;
use madoguchi_domain::{Code, DeliveryState, InsuranceCode, NoticeKind};
use serde::Serialize;

use crate::flags::Flag;
use crate::store::{Store, StoreError};

/// One notice as the detail shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct NoticeView {
    pub id: i64,
    pub kind: NoticeKind,
    pub kind_ja: String,
    /// The officer's own screen: the address in full.
    pub to: String,
    pub subject: String,
    pub state: DeliveryState,
    pub state_ja: String,
    pub steps: Vec<DeliveryStep>,
}

/// One line of a notice's timeline: when, and what happened in Japanese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct DeliveryStep {
    pub at: String,
    pub state: DeliveryState,
    pub text: String,
}

/// What the records say about the mail a caller is waiting for, and that sentence for the
/// officer (the address masked: the caller says it, the officer compares).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct MailFacts {
    pub application_id: i64,
    pub fact: MailFact,
    pub said: String,
    /// When the applicant last read the status page (申請状況の確認), and whether they told
    /// the window from it that the mail did not arrive: what they saw there is `said`.
    pub status_page: Option<String>,
}

/// What the applicant did on the status page, as the officer reads it.
fn status_page_said(app: &Application) -> Option<String> {
    let used = &app.status_page;
    let looked = used
        .looked_at
        .as_deref()
        .map(|at| format!("申請者は {} に状況確認ページを見ています。", when_ja(at)));
    let told = used
        .mail_missing_at
        .as_deref()
        .map(|at| format!("{} に「メールが届いていない」と伝えてきました。", when_ja(at)));
    match (looked, told) {
        (None, None) => None,
        (looked, told) => {
            Some(format!("{}{}", looked.unwrap_or_default(), told.unwrap_or_default()))
        }
    }
}

/// `11月28日 10:02` (JST), or the text as given when it is no time.
pub fn when_ja(at: &str) -> String {
    DateTime::parse_from_rfc3339(at)
        .map(|t| t.with_timezone(&JST).format("%-m月%-d日 %H:%M").to_string())
        .unwrap_or_else(|_| at.to_owned())
}

/// `ji***@hospital.example.jp`: enough for the caller to recognise, not to learn.
pub fn mask_address(address: &str) -> String {
    match address.trim().rsplit_once('@') {
        Some((local, domain)) => {
            let shown: String = local.chars().take(2).collect();
            format!("{shown}***@{domain}")
        }
        None => "***".into(),
    }
}

fn step_text(state: DeliveryState, e: &madoguchi_domain::DeliveryEvent, attempts: bool) -> String {
    let why = e.category.map(|c| c.name_ja().to_owned());
    let code = [e.smtp_code.map(|c| c.to_string()), e.enhanced_status.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let reason = match (why, code.is_empty()) {
        (Some(w), false) => format!("：{w}（{code}）"),
        (Some(w), true) => format!("：{w}"),
        (None, false) if state != DeliveryState::Sent => format!("（{code}）"),
        _ => String::new(),
    };
    match state {
        DeliveryState::Queued if attempts => format!("再送待ち{reason}"),
        DeliveryState::Queued => "送信待ち".into(),
        DeliveryState::Sent => "送信済み（メールサーバーが受け取りました）".into(),
        DeliveryState::Failed if e.category.is_none() && e.smtp_code.is_none() => {
            format!("送信失敗：{}", e.diagnostic.clone().unwrap_or_default())
        }
        other => format!("{}{reason}", other.name_ja()),
    }
}

pub fn notice_view(n: &Notice) -> NoticeView {
    let steps = n
        .delivery
        .history
        .iter()
        .enumerate()
        .map(|(i, e)| DeliveryStep {
            at: e.at.clone(),
            state: e.state,
            text: step_text(e.state, e, i > 0),
        })
        .collect();
    NoticeView {
        id: n.id,
        kind: n.kind,
        kind_ja: n.kind.name_ja().into(),
        to: n.to.clone(),
        subject: n.subject.clone(),
        state: n.delivery.state,
        state_ja: n.delivery.state.name_ja().into(),
        steps,
    }
}

/// The queue's flag for an application whose latest mail bounced or could not be sent.
pub fn delivery_flag(n: &Notice) -> Option<Flag> {
    let d = &n.delivery;
    d.state.is_trouble().then(|| Flag {
        code: Code::FlagMailUndelivered,
        message: format!(
            "{}が{}です{}。",
            n.kind.name_ja(),
            d.state.name_ja(),
            d.category.map(|c| format!("（{}）", c.name_ja())).unwrap_or_default()
        ),
        fix: None,
        return_reason: None,
    })
}

/// The facts of `app` whose latest notice is `latest`.
pub fn facts(app: &Application, latest: Option<&Notice>) -> MailFacts {
    let fact = MailFact::of(app.status, latest.map(|n| &n.delivery));
    let Some(n) = latest.filter(|_| fact != MailFact::NotDecided) else {
        let said = format!(
            "申請（{} 受付）は「{}」で、まだメールは送っていません（{} から）。",
            when_ja(&app.received_at),
            app.status.name_ja(),
            when_ja(&app.updated_at)
        );
        return MailFacts {
            application_id: app.id,
            fact,
            said,
            status_page: status_page_said(app),
        };
    };
    let d = &n.delivery;
    let (kind, to, at) = (n.kind.name_ja(), mask_address(&n.to), when_ja(&d.at));
    let why = d.category.map(|c| c.name_ja()).unwrap_or("理由不明");
    let mail = match d.state {
        DeliveryState::Delivered => format!("{at} に {to} 宛の{kind}が配信されました。"),
        DeliveryState::Sent => {
            format!("{at} に {to} 宛の{kind}を送信済みです（返送はありません）。")
        }
        DeliveryState::Deferred => format!("{to} 宛の{kind}の配信が遅れています（{at}、{why}）。"),
        DeliveryState::Bounced => format!("{at} に {to} 宛の{kind}が返送されました：{why}。"),
        DeliveryState::Failed => format!("{to} 宛の{kind}を送信できませんでした（{at}、{why}）。"),
        _ => format!("{to} 宛の{kind}は送信待ちです（{at} から）。"),
    };
    let said = match fact {
        MailFact::ApplicationReturned | MailFact::ApplicationRejected => {
            format!("申請は「{}」です。{mail}", app.status.name_ja())
        }
        _ => mail,
    };
    MailFacts { application_id: app.id, fact, said, status_page: status_page_said(app) }
}

impl Store {
    /// The notices of application `id`, oldest first; an unreadable one is left out.
    pub async fn notices_of(&self, id: i64) -> Result<Vec<Notice>, StoreError> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT payload FROM notices WHERE application_id = ?1 ORDER BY id")
                .bind(id)
                .fetch_all(self.pool())
                .await?;
        Ok(rows.iter().filter_map(|(p,)| serde_json::from_str(p).ok()).collect())
    }

    /// The latest notice of every application that has one.
    pub(crate) async fn latest_notices(&self) -> Result<HashMap<i64, Notice>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT payload FROM notices WHERE id IN (SELECT MAX(id) FROM notices GROUP BY application_id)",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .filter_map(|(p,)| serde_json::from_str::<Notice>(p).ok())
            .map(|n| (n.application_id, n))
            .collect())
    }

    /// The mail facts of the application a call is about: the one linked, else the linked
    /// institution's latest application. None when the desk knows no such application.
    pub async fn mail_facts(&self, call: &CallRecord) -> Result<Option<MailFacts>, StoreError> {
        let app = match call.application_id {
            Some(id) => self.application(id).await?.map(|(a, _)| a),
            None => match call.institution.as_ref().and_then(|i| i.insurance_code.as_deref()) {
                Some(code) => self.latest_application_of(code).await?,
                None => None,
            },
        };
        let Some(mut app) = app else { return Ok(None) };
        // A returned application that was resubmitted: the caller waits for its successor.
        for _ in 0..10 {
            let Some(next) = app.resubmitted_as else { break };
            let Some((successor, _)) = self.application(next).await? else { break };
            app = successor;
        }
        let latest = self.notices_of(app.id).await?.pop();
        Ok(Some(facts(&app, latest.as_ref())))
    }

    async fn latest_application_of(&self, code: &str) -> Result<Option<Application>, StoreError> {
        let Ok(wanted) = code.parse::<InsuranceCode>() else { return Ok(None) };
        Ok(self
            .applications()
            .await?
            .into_iter()
            .map(|(a, _)| a)
            .filter(|a| {
                a.form.insurance_code.as_deref().and_then(|c| c.parse::<InsuranceCode>().ok())
                    == Some(wanted)
            })
            .max_by(|a, b| a.received_at.cmp(&b.received_at)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_read_to_a_caller_are_masked() {
        assert_eq!(mask_address("jimu1@hospital.example.jp"), "ji***@hospital.example.jp");
        assert_eq!(mask_address("a@b.jp"), "a***@b.jp");
        assert_eq!(mask_address("broken"), "***");
        assert_eq!(when_ja("2026-11-28T01:02:03Z"), "11月28日 10:02");
    }
}
