//! 対応記録: the help desk's calls — started with one key, walked through the troubleshooting
//! tree with the time spent at each node, linked to an institution and an application, paused
//! and resumed, ended with an outcome and a note — kept in the local store first and synced to
//! every desk of the prefecture, with the audited login-ID disclosure. The walk's rules are
//! the domain's (`madoguchi_domain::call`); here they are persisted and timed. `stats` counts.

mod stats;

use madoguchi_domain::Code;
use std::path::Path;

use chrono::{DateTime, Utc};
use madoguchi_domain::api::{CallInstitution, CallRecord, CallState};
use madoguchi_domain::call::{parse_stamp, stamp, WalkError};
use madoguchi_domain::triage::{Outcome, Tree};
use madoguchi_domain::{Coded, InsuranceCode};
use serde::Serialize;

pub use madoguchi_domain::call::IdentityChecks;
pub use stats::{calls_table, stats, CallStats};

use crate::applications::existing_account;
use crate::desk::Desk;
use crate::export::{self, CsvEncoding, ExportError, ExportReport};
use crate::mail::MailFacts;
use crate::records::RecordKind;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no call {0}")]
    NoSuchCall(String),
    #[error(transparent)]
    Walk(#[from] WalkError),
    #[error("the desk has no prefecture set")]
    NoPrefecture,
    #[error("no account known for the institution")]
    NoAccount,
    #[error(transparent)]
    Export(#[from] ExportError),
}

impl Coded for CallError {
    fn code(&self) -> Code {
        match self {
            Self::Store(e) => e.code(),
            Self::NoSuchCall(_) => Code::CallNotFound,
            Self::Walk(e) => e.code(),
            Self::NoPrefecture => Code::CallPrefecture,
            Self::NoAccount => Code::DiscloseNoAccount,
            Self::Export(e) => e.code(),
        }
    }
    fn message_ja(&self) -> String {
        match self {
            Self::Store(e) => e.message_ja(),
            Self::Walk(e) => e.message_ja(),
            Self::Export(e) => e.message_ja(),
            _ => self.code().message_ja().into(),
        }
    }
}

pub type Result<T> = std::result::Result<T, CallError>;

/// A login ID shown to the officer, and the call that now records the disclosure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Disclosed {
    pub login_id: String,
    pub call: CallRecord,
}

/// The 対応記録 screen's data from one read: every call and their statistics.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct CallsOverview {
    pub calls: Vec<CallRecord>,
    pub stats: CallStats,
}

/// What links a call to: the institution (from the lookup) and an application.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, ts_rs::TS)]
pub struct CallLinks {
    pub institution: Option<CallInstitution>,
    pub application_id: Option<i64>,
}

/// At a node that takes mail facts, goes on from them (the officer can still go back).
fn follow(call: &mut CallRecord, tree: &Tree, facts: Option<&MailFacts>, now: DateTime<Utc>) {
    if let Some(f) = facts {
        if call.follow_fact(tree, f.fact, &f.said, now) {
            log::info!("call {} went on from mail fact {:?}", call.id, f.fact);
        }
    }
}

impl Store {
    pub async fn call(&self, id: &str) -> Result<CallRecord> {
        let (payload, _) = self
            .record(RecordKind::Call, id)
            .await?
            .ok_or_else(|| CallError::NoSuchCall(id.into()))?;
        Ok(serde_json::from_str(&payload).map_err(StoreError::from)?)
    }

    /// Loads a call to change it at `now`: the clock of its current node is added up first.
    async fn open_call(&self, id: &str, now: DateTime<Utc>) -> Result<CallRecord> {
        let (payload, running) = self
            .record(RecordKind::Call, id)
            .await?
            .ok_or_else(|| CallError::NoSuchCall(id.into()))?;
        let mut call: CallRecord = serde_json::from_str(&payload).map_err(StoreError::from)?;
        call.ensure_open()?;
        if let Some(since) = running.as_deref().and_then(parse_stamp) {
            call.add_time((now - since).num_seconds());
        }
        Ok(call)
    }

    /// Saves a call changed at `now`; an active call's clock restarts at `now`.
    async fn save_call(&self, call: &mut CallRecord, now: DateTime<Utc>) -> Result<()> {
        call.updated_at = stamp(now);
        let running = (call.state == CallState::Active).then(|| stamp(now));
        let (id, at) = (call.id.clone(), call.updated_at.clone());
        Ok(self.write_record(RecordKind::Call, &id, call, &at, running.as_deref()).await?)
    }

    /// Opens call `id` at `now`, applies `change`, and saves it.
    async fn change_call(
        &self,
        id: &str,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut CallRecord) -> std::result::Result<(), WalkError>,
    ) -> Result<CallRecord> {
        let mut call = self.open_call(id, now).await?;
        change(&mut call)?;
        self.save_call(&mut call, now).await?;
        Ok(call)
    }

    /// 対応開始: a new call at the tree's start, pinned to the tree's version.
    pub async fn start_call(
        &self,
        tree: &Tree,
        desk: &str,
        now: DateTime<Utc>,
    ) -> Result<CallRecord> {
        let prefecture = self.desk_settings().await?.prefecture.ok_or(CallError::NoPrefecture)?;
        let id = uuid::Uuid::new_v4().to_string();
        let mut call = CallRecord::start(tree, id, prefecture, desk, now);
        self.save_call(&mut call, now).await?;
        log::info!("call {} started on tree {}", call.id, call.tree_version);
        Ok(call)
    }

    /// Takes answer `choice` (0-based) at the call's current node and moves on.
    pub async fn choose(
        &self,
        tree: &Tree,
        id: &str,
        choice: usize,
        now: DateTime<Utc>,
    ) -> Result<CallRecord> {
        let facts = self.mail_facts(&self.call(id).await?).await?;
        self.change_call(id, now, |call| {
            call.choose(tree, choice, now)?;
            follow(call, tree, facts.as_ref(), now);
            Ok(())
        })
        .await
    }

    /// 戻る: back to the previous node (its time keeps adding up).
    pub async fn back(&self, id: &str, now: DateTime<Utc>) -> Result<CallRecord> {
        self.change_call(id, now, CallRecord::back).await
    }

    /// 保留 / 再開: a paused call's clock stands still.
    pub async fn pause_call(
        &self,
        id: &str,
        paused: bool,
        now: DateTime<Utc>,
    ) -> Result<CallRecord> {
        self.change_call(id, now, |call| call.pause(paused)).await
    }

    /// Links the call to an institution and an application; at a question that takes mail
    /// facts, the walk goes on from what the records say.
    pub async fn link_call(
        &self,
        tree: &Tree,
        id: &str,
        links: CallLinks,
        now: DateTime<Utc>,
    ) -> Result<CallRecord> {
        let mut links = links;
        if let (None, Some(app)) = (&links.institution, links.application_id) {
            // The application names its institution: a call about it is about that one.
            links.institution = self.application(app).await?.map(|(a, _)| CallInstitution {
                name: a.form.name.trim().to_owned(),
                insurance_code: a.form.insurance_code.clone(),
            });
        }
        let mut linked = self.call(id).await?;
        linked.institution = links.institution.clone();
        linked.application_id = links.application_id;
        let facts = self.mail_facts(&linked).await?;
        self.change_call(id, now, |call| {
            call.institution = links.institution;
            call.application_id = links.application_id;
            follow(call, tree, facts.as_ref(), now);
            Ok(())
        })
        .await
    }

    /// Links the call to the 要連絡 entry it was made for (an outbound call).
    pub async fn mark_call_contact(
        &self,
        id: &str,
        contact: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<CallRecord> {
        self.change_call(id, now, |call| {
            call.contact = contact;
            Ok(())
        })
        .await
    }

    /// 対応終了, with the officer's note (and outcome, for a walk cut short).
    pub async fn finish_call(
        &self,
        id: &str,
        note: &str,
        outcome: Option<Outcome>,
        now: DateTime<Utc>,
    ) -> Result<CallRecord> {
        let call = self.change_call(id, now, |call| call.finish(note, outcome, now)).await?;
        log::info!("call {} finished at {:?} ({:?})", call.id, call.ending, call.outcome);
        Ok(call)
    }

    /// ログインIDの開示: only after all three identity checks, only the account of the
    /// institution linked to the call; recorded in the call (synced, so audited centrally).
    pub async fn disclose_login_id(
        &self,
        id: &str,
        checks: IdentityChecks,
        desk: &str,
        now: DateTime<Utc>,
    ) -> Result<Disclosed> {
        if !checks.complete() {
            return Err(WalkError::ChecksIncomplete.into());
        }
        let mut call = self.open_call(id, now).await?;
        call.may_disclose(checks)?;
        let institution = call.institution.as_ref().expect("checked by may_disclose");
        let code = institution
            .insurance_code
            .as_deref()
            .and_then(|c| c.parse::<InsuranceCode>().ok())
            .map(|c| c.digits());
        let accounts = self.known_accounts().await?;
        let mut account = accounts.iter().find(|a| {
            a.prefecture == call.prefecture && code.is_some() && a.insurance_code == code
        });
        if let (None, Some(app)) = (account, call.application_id) {
            // No insurance code (a 助産所): the linked application's 機関コード finds it.
            if let Some((app, _)) = self.application(app).await? {
                account = existing_account(&app, &accounts);
            }
        }
        let account = account.cloned().ok_or(CallError::NoAccount)?;
        call.record_disclosure(checks, desk, &account.institution_code, now)?;
        self.save_call(&mut call, now).await?;
        log::info!(
            "call {}: login ID of institution {} disclosed after identity checks",
            call.id,
            account.institution_code
        );
        Ok(Disclosed { login_id: account.login_id, call })
    }

    /// Every call the desk holds (its own and those synced from the prefecture), newest first.
    pub async fn calls(&self) -> Result<Vec<CallRecord>> {
        let mut calls: Vec<CallRecord> = self
            .records(RecordKind::Call)
            .await?
            .iter()
            .filter_map(|p| {
                serde_json::from_str(p)
                    .map_err(|e| log::warn!("unreadable call left out: {e}"))
                    .ok()
            })
            .collect();
        calls.sort_by(|a, b| b.started_at.cmp(&a.started_at));
        Ok(calls)
    }
}

impl Desk {
    pub async fn start_call(&self) -> Result<CallRecord> {
        let tree = self.triage_tree().await?;
        self.store().start_call(&tree, &self.desk_name().await?, Utc::now()).await
    }

    pub async fn choose(&self, call: &str, choice: usize) -> Result<CallRecord> {
        let tree = self.triage_tree().await?;
        self.store().choose(&tree, call, choice, Utc::now()).await
    }

    pub async fn back(&self, call: &str) -> Result<CallRecord> {
        self.store().back(call, Utc::now()).await
    }

    pub async fn pause_call(&self, call: &str, paused: bool) -> Result<CallRecord> {
        self.store().pause_call(call, paused, Utc::now()).await
    }

    pub async fn link_call(&self, call: &str, links: CallLinks) -> Result<CallRecord> {
        let tree = self.triage_tree().await?;
        self.store().link_call(&tree, call, links, Utc::now()).await
    }

    /// What the records say about the mail the call is about (none: nothing linked or known).
    pub async fn call_mail_facts(&self, call: &str) -> Result<Option<MailFacts>> {
        let call = self.store().call(call).await?;
        Ok(self.store().mail_facts(&call).await?)
    }

    pub async fn finish_call(
        &self,
        call: &str,
        note: &str,
        outcome: Option<Outcome>,
    ) -> Result<CallRecord> {
        self.store().finish_call(call, note, outcome, Utc::now()).await
    }

    pub async fn disclose_login_id(&self, call: &str, checks: IdentityChecks) -> Result<Disclosed> {
        let desk = self.desk_name().await?;
        self.store().disclose_login_id(call, checks, &desk, Utc::now()).await
    }

    /// Every call the desk holds and their statistics, read once.
    pub async fn calls_overview(&self) -> Result<CallsOverview> {
        let calls = self.store().calls().await?;
        Ok(CallsOverview { stats: stats(&calls), calls })
    }

    /// 対応記録のCSV出力.
    pub async fn export_calls(&self, encoding: CsvEncoding, path: &Path) -> Result<ExportReport> {
        Ok(export::write(&calls_table(&self.store().calls().await?), encoding, path)?)
    }
}
