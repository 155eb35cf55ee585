//! 対応の統計 and the 対応記録 table for Excel.

use std::collections::BTreeMap;

use madoguchi_domain::api::CallRecord;
use madoguchi_domain::call::parse_stamp;
use madoguchi_domain::practice::JST;
use madoguchi_domain::triage::Outcome;
use serde::Serialize;

use crate::export::Table;

/// 対応の統計 over some calls.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
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

pub fn stats(calls: &[CallRecord]) -> CallStats {
    let mut per_day: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_outcome: BTreeMap<Option<Outcome>, usize> = BTreeMap::new();
    let mut branches: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut time: BTreeMap<String, (usize, i64)> = BTreeMap::new();
    for call in calls {
        if let Some(t) = parse_stamp(&call.started_at) {
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
    let mut branches: Vec<(String, String, usize)> =
        branches.into_iter().map(|((n, a), c)| (n, a, c)).collect();
    branches.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    branches.truncate(15);
    let mut node_time: Vec<(String, usize, f64)> =
        time.into_iter().map(|(n, (v, s))| (n, v, s as f64 / v as f64)).collect();
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
        header: vec![
            "開始",
            "終了",
            "端末",
            "手順の版",
            "機関",
            "保険医療機関コード",
            "申請番号",
            "結果",
            "経路",
            "所要秒",
            "ログインID開示",
            "メモ",
        ],
        rows: calls
            .iter()
            .map(|c| {
                vec![
                    c.started_at.clone(),
                    c.ended_at.clone().unwrap_or_default(),
                    c.desk.clone(),
                    c.tree_version.clone(),
                    c.institution.as_ref().map(|i| i.name.clone()).unwrap_or_default(),
                    c.institution
                        .as_ref()
                        .and_then(|i| i.insurance_code.clone())
                        .unwrap_or_default(),
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
