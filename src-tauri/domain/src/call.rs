//! 対応の進め方: the rules of a help-desk call's walk through the troubleshooting tree —
//! answer, go back, pause, finish, record a login-ID disclosure — as pure changes to a
//! [`CallRecord`], like [`crate::ApplicationStatus::apply`] for applications. The desk
//! persists the result and keeps the clock; the time is passed in.

use crate::Code;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::api::{CallRecord, CallState, CallStep, Disclosure};
use crate::triage::{NodeKind, Outcome, Tree};
use crate::Prefecture;

/// Why a call cannot take a step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalkError {
    #[error("call {0} is finished")]
    Finished(String),
    #[error("call {0} is paused")]
    Paused(String),
    #[error("no answer {0} at this node")]
    NoSuchChoice(usize),
    #[error("identity checks incomplete")]
    ChecksIncomplete,
    #[error("no institution linked to the call")]
    NoInstitution,
}

impl crate::Coded for WalkError {
    fn code(&self) -> Code {
        match self {
            Self::Finished(_) => Code::CallFinished,
            Self::Paused(_) => Code::CallPaused,
            Self::NoSuchChoice(_) => Code::CallChoice,
            Self::ChecksIncomplete => Code::DiscloseChecks,
            Self::NoInstitution => Code::DiscloseInstitution,
        }
    }
    fn message_ja(&self) -> String {
        match self {
            Self::NoSuchChoice(n) => format!("{n}番の回答はありません。"),
            _ => self.code().message_ja().into(),
        }
    }
}

/// The identity checks an officer ticks before a login ID is shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct IdentityChecks {
    pub phone: bool,
    pub email: bool,
    pub contact_name: bool,
}

impl IdentityChecks {
    pub fn complete(self) -> bool {
        self.phone && self.email && self.contact_name
    }
}

/// A call's time stamps: microseconds, UTC, so steps taken within a second keep their order.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn parse_stamp(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc))
}

fn step(tree: &Tree, node: &str, now: DateTime<Utc>) -> CallStep {
    let title = tree.node(node).expect("a checked tree's targets exist").title.clone();
    CallStep { node: node.to_owned(), title, answer: None, entered_at: stamp(now), seconds: 0 }
}

impl CallRecord {
    /// 対応開始: a new call at the tree's start, pinned to the tree's version.
    pub fn start(
        tree: &Tree,
        id: String,
        prefecture: Prefecture,
        desk: &str,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            prefecture,
            desk: desk.to_owned(),
            tree_version: tree.version.clone(),
            started_at: stamp(now),
            ended_at: None,
            state: CallState::Active,
            institution: None,
            application_id: None,
            steps: vec![step(tree, &tree.start, now)],
            ending: None,
            outcome: None,
            note: String::new(),
            disclosures: Vec::new(),
            contact: None,
            updated_at: stamp(now),
            version: 0,
        }
    }

    /// A finished call takes no more changes.
    pub fn ensure_open(&self) -> Result<(), WalkError> {
        match self.state {
            CallState::Finished => Err(WalkError::Finished(self.id.clone())),
            _ => Ok(()),
        }
    }

    /// Adds the time spent at the current node (pauses are never counted: the desk stops the
    /// clock while a call is paused).
    pub fn add_time(&mut self, seconds: i64) {
        if let Some(step) = self.steps.last_mut() {
            step.seconds += seconds.max(0);
        }
    }

    /// At a question that takes mail facts, goes on to the node `fact` enters, noting what
    /// the records said as the answer. Elsewhere, or with no such node, nothing changes.
    pub fn follow_fact(
        &mut self,
        tree: &Tree,
        fact: crate::delivery::MailFact,
        said: &str,
        now: DateTime<Utc>,
    ) -> bool {
        if self.state != CallState::Active {
            return false;
        }
        let Some(current) = self.steps.last().map(|s| &s.node) else { return false };
        let (Some(node), Some(target)) = (tree.node(current), tree.fact_target(fact)) else {
            return false;
        };
        if !node.ask_facts {
            return false;
        }
        let target = target.to_owned();
        self.steps.last_mut().expect("a call has a step").answer =
            Some(format!("記録から：{said}"));
        self.steps.push(step(tree, &target, now));
        true
    }

    /// Takes answer `choice` (0-based; an instruction's only answer is 0, 次へ) at the current
    /// node and moves on; an ending sets the outcome.
    pub fn choose(
        &mut self,
        tree: &Tree,
        choice: usize,
        now: DateTime<Utc>,
    ) -> Result<(), WalkError> {
        self.ensure_open()?;
        if self.state == CallState::Paused {
            return Err(WalkError::Paused(self.id.clone()));
        }
        // A call from elsewhere may be damaged (no step at all): no answer to take, no panic.
        let current = self.steps.last().map(|s| &s.node);
        let node = current.and_then(|c| tree.node(c)).ok_or(WalkError::NoSuchChoice(choice + 1))?;
        let (label, next) = match node.kind {
            NodeKind::Ask => node.choices.get(choice).map(|c| (c.label.clone(), c.next.clone())),
            NodeKind::Instruct if choice == 0 => node.next.clone().map(|n| ("次へ".to_owned(), n)),
            _ => None,
        }
        .ok_or(WalkError::NoSuchChoice(choice + 1))?;
        self.steps.last_mut().expect("a call has a step").answer = Some(label);
        self.steps.push(step(tree, &next, now));
        let next_node = tree.node(&next).expect("a checked tree's targets exist");
        if next_node.kind == NodeKind::End {
            self.outcome = next_node.outcome;
            self.ending = Some(next);
        }
        Ok(())
    }

    /// 戻る: back to the previous node; the time spent on the step taken back stays with it.
    pub fn back(&mut self) -> Result<(), WalkError> {
        self.ensure_open()?;
        if self.steps.len() > 1 {
            let left = self.steps.pop().expect("checked");
            let previous = self.steps.last_mut().expect("checked");
            previous.answer = None;
            previous.seconds += left.seconds;
            self.ending = None;
            self.outcome = None;
        }
        Ok(())
    }

    /// 保留 / 再開.
    pub fn pause(&mut self, paused: bool) -> Result<(), WalkError> {
        self.ensure_open()?;
        self.state = if paused { CallState::Paused } else { CallState::Active };
        Ok(())
    }

    /// 対応終了, with the officer's note. A walk that stopped before an ending (the caller
    /// hung up, the answer was found elsewhere) takes the outcome the officer gives.
    pub fn finish(
        &mut self,
        note: &str,
        outcome: Option<Outcome>,
        now: DateTime<Utc>,
    ) -> Result<(), WalkError> {
        self.ensure_open()?;
        self.note = note.trim().to_owned();
        self.outcome = self.outcome.or(outcome);
        self.state = CallState::Finished;
        self.ended_at = Some(stamp(now));
        Ok(())
    }

    /// Whether a login ID may be shown on this call: all three identity checks ticked and an
    /// institution linked.
    pub fn may_disclose(&self, checks: IdentityChecks) -> Result<(), WalkError> {
        if !checks.complete() {
            return Err(WalkError::ChecksIncomplete);
        }
        self.ensure_open()?;
        self.institution.as_ref().map(|_| ()).ok_or(WalkError::NoInstitution)
    }

    /// Records that the login ID of the account `institution_code` was shown (never the ID).
    pub fn record_disclosure(
        &mut self,
        checks: IdentityChecks,
        desk: &str,
        institution_code: &str,
        now: DateTime<Utc>,
    ) -> Result<(), WalkError> {
        self.may_disclose(checks)?;
        self.disclosures.push(Disclosure {
            at: stamp(now),
            desk: desk.to_owned(),
            account_institution_code: institution_code.to_owned(),
            checked_phone: checks.phone,
            checked_email: checks.email,
            checked_contact_name: checks.contact_name,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000 + s, 0).unwrap()
    }

    #[test]
    fn a_walk_answers_goes_back_and_ends_with_the_ending_outcome() {
        let tree = Tree::national();
        let mut call = CallRecord::start(tree, "c1".into(), "13".parse().unwrap(), "desk", t(0));
        assert_eq!(call.steps[0].node, tree.start);
        call.add_time(20);
        call.choose(tree, 0, t(20)).unwrap();
        call.add_time(5);
        call.back().unwrap();
        assert_eq!(call.steps.len(), 1);
        assert_eq!(call.steps[0].seconds, 25, "the step taken back keeps its time");
        assert_eq!(call.steps[0].answer, None);
        // Walk the first answer until an ending.
        let mut n = 0;
        while call.ending.is_none() {
            call.choose(tree, 0, t(30 + n)).unwrap();
            n += 1;
        }
        assert!(call.outcome.is_some());
        assert_eq!(call.choose(tree, 0, t(100)).unwrap_err(), WalkError::NoSuchChoice(1));
        call.finish("  メモ ", None, t(200)).unwrap();
        assert_eq!(call.note, "メモ");
        assert_eq!(call.ended_at.as_deref(), Some(stamp(t(200)).as_str()));
        assert!(matches!(call.back(), Err(WalkError::Finished(_))));
    }

    #[test]
    fn a_paused_call_takes_no_answer_and_a_cut_short_one_takes_the_officers_outcome() {
        let tree = Tree::national();
        let mut call = CallRecord::start(tree, "c2".into(), "13".parse().unwrap(), "desk", t(0));
        call.pause(true).unwrap();
        assert!(matches!(call.choose(tree, 0, t(1)), Err(WalkError::Paused(_))));
        call.pause(false).unwrap();
        call.finish("", Some(Outcome::Escalate), t(0) + Duration::seconds(9)).unwrap();
        assert_eq!(call.outcome, Some(Outcome::Escalate));
    }

    #[test]
    fn a_disclosure_needs_every_check_and_an_institution() {
        let tree = Tree::national();
        let mut call = CallRecord::start(tree, "c3".into(), "13".parse().unwrap(), "desk", t(0));
        let all = IdentityChecks { phone: true, email: true, contact_name: true };
        let two = IdentityChecks { contact_name: false, ..all };
        assert_eq!(call.may_disclose(two), Err(WalkError::ChecksIncomplete));
        assert_eq!(call.may_disclose(all), Err(WalkError::NoInstitution));
        call.institution =
            Some(crate::api::CallInstitution { name: "医院".into(), insurance_code: None });
        call.record_disclosure(all, "desk", "1310000001", t(5)).unwrap();
        assert_eq!(call.disclosures[0].account_institution_code, "1310000001");
    }
}
