//! 対応記録: the help desk's calls — started with one key, walked through the troubleshooting
//! tree with the time spent at each node, linked to an institution and an application, paused
//! and resumed, ended with an outcome and a note — kept in the local store first and synced to
//! every desk of the prefecture. Also the 定期報告 window and 都道府県版 wording the prefecture
//! sets (records of the same kind), the audited login-ID disclosure, and the call statistics.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use madoguchi_domain::api::{CallInstitution, CallRecord, CallState, CallStep, Disclosure, PrefectureSettings};
use madoguchi_domain::triage::{NodeKind, Outcome, Overrides, ReportingWindow, Tree};
use madoguchi_domain::{Coded, InsuranceCode, Prefecture};
use serde::Serialize;

use crate::export::Table;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no call {0}")]
    NoSuchCall(String),
    #[error("call {0} is finished")]
    Finished(String),
    #[error("call {0} is paused")]
    Paused(String),
    #[error("no answer {0} at this node")]
    NoSuchChoice(usize),
    #[error("the desk has no prefecture set")]
    NoPrefecture,
    #[error("identity checks incomplete")]
    ChecksIncomplete,
    #[error("no institution linked to the call")]
    NoInstitution,
    #[error("no account known for the institution")]
    NoAccount,
    #[error("stored call unreadable: {0}")]
    Corrupt(String),
    #[error("bad reporting window")]
    BadWindow,
}

impl From<sqlx::Error> for CallError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Query(e))
    }
}

impl Coded for CallError {
    fn code(&self) -> &'static str {
        match self {
            Self::Store(e) => e.code(),
            Self::NoSuchCall(_) => "E-CALL-NOT-FOUND",
            Self::Finished(_) => "E-CALL-FINISHED",
            Self::Paused(_) => "E-CALL-PAUSED",
            Self::NoSuchChoice(_) => "E-CALL-CHOICE",
            Self::NoPrefecture => "E-CALL-PREFECTURE",
            Self::ChecksIncomplete => "E-DISCLOSE-CHECKS",
            Self::NoInstitution => "E-DISCLOSE-INSTITUTION",
            Self::NoAccount => "E-DISCLOSE-NO-ACCOUNT",
            Self::Corrupt(_) => "E-CALL-CORRUPT",
            Self::BadWindow => "E-REPORTING-WINDOW",
        }
    }
    fn message_ja(&self) -> String {
        match self {
            Self::Store(e) => e.message_ja(),
            Self::NoSuchCall(_) => "この対応記録は見つかりません。".into(),
            Self::Finished(_) => "この対応は終了しています。新しい対応を始めてください。".into(),
            Self::Paused(_) => "この対応は保留中です。再開してから操作してください。".into(),
            Self::NoSuchChoice(n) => format!("{n}番の回答はありません。"),
            Self::NoPrefecture => "設定で担当の都道府県を選んでから対応を始めてください。".into(),
            Self::ChecksIncomplete => "本人確認（登録の電話番号・メールアドレス・担当者名）がすべて確認済みになるまで、ログインIDは表示できません。".into(),
            Self::NoInstitution => "先に、対応中の機関を機関検索で選んでください。".into(),
            Self::NoAccount => "この機関のアカウントはこの端末に届いていません。同期してからもう一度お試しください。".into(),
            Self::Corrupt(_) => "対応記録を読み取れませんでした。サポートへご連絡ください。".into(),
            Self::BadWindow => "定期報告期間の開始日は終了日以前にしてください。".into(),
        }
    }
}

pub type Result<T> = std::result::Result<T, CallError>;

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc))
}

/// The identity checks an officer ticks before a login ID is shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct IdentityChecks {
    pub phone: bool,
    pub email: bool,
    pub contact_name: bool,
}

/// A login ID shown to the officer, and the call that now records the disclosure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disclosed {
    pub login_id: String,
    pub call: CallRecord,
}

/// The 対応記録 screen's data from one read: every call and their statistics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallsOverview {
    pub calls: Vec<CallRecord>,
    pub stats: CallStats,
}

/// What links a call to: the institution (from the lookup) and an application.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct CallLinks {
    pub institution: Option<CallInstitution>,
    pub application_id: Option<i64>,
}

impl Store {
    async fn record(&self, kind: &str, id: &str) -> Result<Option<(String, Option<String>)>> {
        Ok(sqlx::query_as("SELECT payload, running_since FROM records WHERE kind = ?1 AND id = ?2")
            .bind(kind)
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Writes a record changed here: dirty until the server accepts it.
    async fn write_record(&self, kind: &str, id: &str, payload: &impl Serialize, updated_at: &str, running_since: Option<&str>) -> Result<()> {
        sqlx::query(
            "INSERT INTO records (kind, id, payload, updated_at, dirty, running_since) VALUES (?1, ?2, ?3, ?4, 1, ?5)
             ON CONFLICT (kind, id) DO UPDATE SET payload = excluded.payload, updated_at = excluded.updated_at,
                 dirty = 1, running_since = excluded.running_since",
        )
        .bind(kind)
        .bind(id)
        .bind(serde_json::to_string(payload).expect("records serialise"))
        .bind(updated_at)
        .bind(running_since)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn call(&self, id: &str) -> Result<CallRecord> {
        let (payload, _) = self.record("call", id).await?.ok_or_else(|| CallError::NoSuchCall(id.into()))?;
        serde_json::from_str(&payload).map_err(|e| CallError::Corrupt(e.to_string()))
    }

    /// Loads a call to change it at `now`: the clock of its current node is added up first.
    async fn open_call(&self, id: &str, now: DateTime<Utc>) -> Result<CallRecord> {
        let (payload, running) = self.record("call", id).await?.ok_or_else(|| CallError::NoSuchCall(id.into()))?;
        let mut call: CallRecord = serde_json::from_str(&payload).map_err(|e| CallError::Corrupt(e.to_string()))?;
        if call.state == CallState::Finished {
            return Err(CallError::Finished(id.into()));
        }
        if let (Some(since), Some(step)) = (running.as_deref().and_then(parse_time), call.steps.last_mut()) {
            step.seconds += (now - since).num_seconds().max(0);
        }
        Ok(call)
    }

    /// Saves a call changed at `now`; an active call's clock restarts at `now`.
    async fn save_call(&self, call: &mut CallRecord, now: DateTime<Utc>) -> Result<()> {
        call.updated_at = stamp(now);
        let running = (call.state == CallState::Active).then(|| stamp(now));
        self.write_record("call", &call.id, call, &call.updated_at, running.as_deref()).await
    }

    /// 対応開始: a new call at the tree's start, pinned to the tree's version.
    pub async fn start_call(&self, tree: &Tree, desk: &str, now: DateTime<Utc>) -> Result<CallRecord> {
        let prefecture: Prefecture = self.desk_settings().await?.prefecture.ok_or(CallError::NoPrefecture)?;
        let start = tree.node(&tree.start).expect("a checked tree has its start");
        let mut call = CallRecord {
            id: uuid::Uuid::new_v4().to_string(),
            prefecture,
            desk: desk.to_owned(),
            tree_version: tree.version.clone(),
            started_at: stamp(now),
            ended_at: None,
            state: CallState::Active,
            institution: None,
            application_id: None,
            steps: vec![CallStep { node: tree.start.clone(), title: start.title.clone(), answer: None, entered_at: stamp(now), seconds: 0 }],
            ending: None,
            outcome: None,
            note: String::new(),
            disclosures: Vec::new(),
            updated_at: stamp(now),
        };
        self.save_call(&mut call, now).await?;
        log::info!("call {} started on tree {}", call.id, call.tree_version);
        Ok(call)
    }

    /// Takes answer `choice` (0-based; an instruction's only answer is 0, 次へ) at the call's
    /// current node and moves on; an ending sets the outcome.
    pub async fn choose(&self, tree: &Tree, id: &str, choice: usize, now: DateTime<Utc>) -> Result<CallRecord> {
        let mut call = self.open_call(id, now).await?;
        if call.state == CallState::Paused {
            return Err(CallError::Paused(id.into()));
        }
        let current = call.steps.last().expect("a call has a step").node.clone();
        let node = tree.node(&current).ok_or(CallError::NoSuchChoice(choice + 1))?;
        let (label, next) = match node.kind {
            NodeKind::Ask => node.choices.get(choice).map(|c| (c.label.clone(), c.next.clone())),
            NodeKind::Instruct if choice == 0 => node.next.clone().map(|n| ("次へ".to_owned(), n)),
            _ => None,
        }
        .ok_or(CallError::NoSuchChoice(choice + 1))?;
        let next_node = tree.node(&next).expect("a checked tree's targets exist");
        call.steps.last_mut().expect("a call has a step").answer = Some(label);
        call.steps.push(CallStep { node: next.clone(), title: next_node.title.clone(), answer: None, entered_at: stamp(now), seconds: 0 });
        if next_node.kind == NodeKind::End {
            call.ending = Some(next);
            call.outcome = next_node.outcome;
        }
        self.save_call(&mut call, now).await?;
        Ok(call)
    }

    /// 戻る: back to the previous node (its time keeps adding up).
    pub async fn back(&self, id: &str, now: DateTime<Utc>) -> Result<CallRecord> {
        let mut call = self.open_call(id, now).await?;
        if call.steps.len() > 1 {
            let left = call.steps.pop().expect("checked");
            let previous = call.steps.last_mut().expect("checked");
            previous.answer = None;
            previous.seconds += left.seconds;
            call.ending = None;
            call.outcome = None;
        }
        self.save_call(&mut call, now).await?;
        Ok(call)
    }

    /// 保留 / 再開: a paused call's clock stands still.
    pub async fn pause_call(&self, id: &str, paused: bool, now: DateTime<Utc>) -> Result<CallRecord> {
        let mut call = self.open_call(id, now).await?;
        call.state = if paused { CallState::Paused } else { CallState::Active };
        self.save_call(&mut call, now).await?;
        Ok(call)
    }

    pub async fn link_call(&self, id: &str, links: CallLinks, now: DateTime<Utc>) -> Result<CallRecord> {
        let mut call = self.open_call(id, now).await?;
        call.institution = links.institution;
        call.application_id = links.application_id;
        self.save_call(&mut call, now).await?;
        Ok(call)
    }

    /// 対応終了, with the officer's note. A walk that stopped before an ending (the caller
    /// hung up, the answer was found elsewhere) takes the outcome the officer gives.
    pub async fn finish_call(&self, id: &str, note: &str, outcome: Option<Outcome>, now: DateTime<Utc>) -> Result<CallRecord> {
        let mut call = self.open_call(id, now).await?;
        call.note = note.trim().to_owned();
        call.outcome = call.outcome.or(outcome);
        call.state = CallState::Finished;
        call.ended_at = Some(stamp(now));
        self.save_call(&mut call, now).await?;
        log::info!("call {} finished at {:?} ({:?})", call.id, call.ending, call.outcome);
        Ok(call)
    }

    /// ログインIDの開示: only after all three identity checks, only the account of the
    /// institution linked to the call; recorded in the call (synced, so audited centrally).
    pub async fn disclose_login_id(&self, id: &str, checks: IdentityChecks, desk: &str, now: DateTime<Utc>) -> Result<Disclosed> {
        if !(checks.phone && checks.email && checks.contact_name) {
            return Err(CallError::ChecksIncomplete);
        }
        let mut call = self.open_call(id, now).await?;
        let institution = call.institution.clone().ok_or(CallError::NoInstitution)?;
        let code = institution.insurance_code.as_deref().and_then(|c| c.parse::<InsuranceCode>().ok()).map(|c| c.digits());
        let account = self
            .known_accounts()
            .await?
            .into_iter()
            .find(|a| a.prefecture == call.prefecture && code.is_some() && a.insurance_code == code)
            .ok_or(CallError::NoAccount)?;
        call.disclosures.push(Disclosure {
            at: stamp(now),
            desk: desk.to_owned(),
            account_institution_code: account.institution_code.clone(),
            checked_phone: checks.phone,
            checked_email: checks.email,
            checked_contact_name: checks.contact_name,
        });
        self.save_call(&mut call, now).await?;
        log::info!("call {}: login ID of institution {} disclosed after identity checks", call.id, account.institution_code);
        Ok(Disclosed { login_id: account.login_id, call })
    }

    /// Every call the desk holds (its own and those synced from the prefecture), newest first.
    pub async fn calls(&self) -> Result<Vec<CallRecord>> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT payload FROM records WHERE kind = 'call'").fetch_all(self.pool()).await?;
        let mut calls: Vec<CallRecord> = rows
            .into_iter()
            .filter_map(|(p,)| serde_json::from_str(&p).map_err(|e| log::warn!("unreadable call left out: {e}")).ok())
            .collect();
        calls.sort_by(|a, b| b.started_at.cmp(&a.started_at));
        Ok(calls)
    }

    /// The prefecture's settings as this desk holds them.
    pub async fn prefecture_settings(&self) -> Result<Option<PrefectureSettings>> {
        let Some(prefecture) = self.desk_settings().await?.prefecture else { return Ok(None) };
        let Some((payload, _)) = self.record("prefecture_settings", &prefecture.code()).await? else { return Ok(None) };
        serde_json::from_str(&payload).map(Some).map_err(|e| CallError::Corrupt(e.to_string()))
    }

    /// Sets the 定期報告 window and the 都道府県版 wording for the prefecture (synced).
    pub async fn save_prefecture_settings(&self, window: Option<ReportingWindow>, overrides: Overrides, desk: &str, now: DateTime<Utc>) -> Result<PrefectureSettings> {
        if window.is_some_and(|w| w.starts > w.ends) {
            return Err(CallError::BadWindow);
        }
        let prefecture = self.desk_settings().await?.prefecture.ok_or(CallError::NoPrefecture)?;
        let settings = PrefectureSettings { prefecture, reporting_window: window, triage_overrides: overrides, updated_at: stamp(now), updated_by: desk.to_owned() };
        self.write_record("prefecture_settings", &prefecture.code(), &settings, &settings.updated_at, None).await?;
        Ok(settings)
    }
}

/// 対応の統計 over some calls.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CallStats {
    pub calls: usize,
    /// (date in JST, calls)
    pub per_day: Vec<(String, usize)>,
    /// (outcome, its Japanese name, calls); unfinished walks under "未完了".
    pub per_outcome: Vec<(String, String, usize)>,
    /// The most-taken answers: (node title, answer, times), most first.
    pub branches: Vec<(String, String, usize)>,
    /// Time per node: (node title, visits, average seconds), longest first.
    pub node_time: Vec<(String, usize, f64)>,
}

/// Japan's time, for the dates the office counts by (no daylight saving).
pub(crate) const JST: chrono::FixedOffset = chrono::FixedOffset::east_opt(9 * 3600).expect("a valid offset");

pub fn stats(calls: &[CallRecord]) -> CallStats {
    let mut per_day: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_outcome: BTreeMap<Option<Outcome>, usize> = BTreeMap::new();
    let mut branches: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut time: BTreeMap<String, (usize, i64)> = BTreeMap::new();
    for call in calls {
        if let Some(t) = parse_time(&call.started_at) {
            *per_day.entry(t.with_timezone(&JST).format("%Y-%m-%d").to_string()).or_default() += 1;
        }
        *per_outcome.entry(call.outcome).or_default() += 1;
        for step in &call.steps {
            if let Some(answer) = &step.answer {
                *branches.entry((step.title.clone(), answer.clone())).or_default() += 1;
            }
            let t = time.entry(step.title.clone()).or_default();
            t.0 += 1;
            t.1 += step.seconds;
        }
    }
    let mut branches: Vec<(String, String, usize)> = branches.into_iter().map(|((n, a), c)| (n, a, c)).collect();
    branches.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    branches.truncate(15);
    let mut node_time: Vec<(String, usize, f64)> = time.into_iter().map(|(n, (v, s))| (n, v, s as f64 / v as f64)).collect();
    node_time.sort_by(|a, b| b.2.total_cmp(&a.2));
    CallStats {
        calls: calls.len(),
        per_day: per_day.into_iter().collect(),
        per_outcome: per_outcome
            .into_iter()
            .map(|(o, n)| match o {
                Some(o) => (o.key().to_owned(), o.name_ja().to_owned(), n),
                None => ("open".to_owned(), "未完了".to_owned(), n),
            })
            .collect(),
        branches,
        node_time,
    }
}

/// The calls as a table for Excel: one row a call, the path in one cell.
pub fn calls_table(calls: &[CallRecord]) -> Table {
    Table {
        header: vec!["開始", "終了", "端末", "手順の版", "機関", "保険医療機関コード", "申請番号", "結果", "経路", "所要秒", "ログインID開示", "メモ"],
        rows: calls
            .iter()
            .map(|c| {
                vec![
                    c.started_at.clone(),
                    c.ended_at.clone().unwrap_or_default(),
                    c.desk.clone(),
                    c.tree_version.clone(),
                    c.institution.as_ref().map(|i| i.name.clone()).unwrap_or_default(),
                    c.institution.as_ref().and_then(|i| i.insurance_code.clone()).unwrap_or_default(),
                    c.application_id.map(|a| a.to_string()).unwrap_or_default(),
                    c.outcome.map_or("未完了", Outcome::name_ja).into(),
                    c.steps.iter().map(|s| s.title.as_str()).collect::<Vec<_>>().join(" → "),
                    c.steps.iter().map(|s| s.seconds).sum::<i64>().to_string(),
                    c.disclosures.len().to_string(),
                    c.note.clone(),
                ]
            })
            .collect(),
    }
}
