//! 正解集: the questions prefectures answer on their public pages (`data/truth.toml`), each
//! walked through the tree of a prefecture configured as its page describes, to the ending
//! that answers it; what is read out on the way must say what the page says.

use std::collections::{BTreeMap, BTreeSet};

use madoguchi_domain::practice::{Caller, Practice};
use madoguchi_domain::triage::{NodeKind, Overrides, Tree};
use madoguchi_domain::Prefecture;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Truth {
    prefectures: BTreeMap<String, Configured>,
    questions: Vec<Question>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Configured {
    name: String,
    #[serde(default)]
    practice: Practice,
    #[serde(default)]
    facts: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Question {
    prefecture: String,
    source: String,
    question: String,
    answer: String,
    caller: Caller,
    #[serde(default)]
    address: Option<String>,
    path: Vec<String>,
    ending: String,
    says: Vec<String>,
}

fn truth() -> Truth {
    toml::from_str(include_str!("data/truth.toml")).expect("the truth set parses")
}

/// The ending a walk by `labels` reaches, and every text read out on the way.
fn walk(tree: &Tree, labels: &[String]) -> Result<(String, String), String> {
    let (mut at, mut heard, mut labels) = (tree.start.clone(), String::new(), labels.iter());
    loop {
        let node = tree.node(&at).ok_or(format!("no node {at}"))?;
        heard.push_str(&node.say);
        match node.kind {
            NodeKind::End => {
                return match labels.next() {
                    None => Ok((at, heard)),
                    Some(extra) => Err(format!("{at} ends before 「{extra}」")),
                }
            }
            NodeKind::Instruct => at = node.next.clone().expect("checked"),
            NodeKind::Ask => {
                let label = labels.next().ok_or(format!("the path stops at the question {at}"))?;
                let choice = node.choices.iter().find(|c| &c.label == label).ok_or_else(|| {
                    let offered: Vec<&str> =
                        node.choices.iter().map(|c| c.label.as_str()).collect();
                    format!("{at} offers no 「{label}」 (offered: {offered:?})")
                })?;
                at = choice.next.clone();
            }
        }
    }
}

#[test]
fn the_truth_set_is_answered_as_the_prefectures_answer() {
    let truth = truth();
    assert!(truth.questions.len() >= 40, "{} questions", truth.questions.len());
    let prefectures: BTreeSet<Prefecture> = truth
        .prefectures
        .values()
        .map(|p| Prefecture::from_address_prefix(&p.name).expect("named by its prefecture"))
        .collect();
    assert!(prefectures.len() >= 10, "{} prefectures", prefectures.len());
    let mut failures = Vec::new();
    for q in &truth.questions {
        let configured = &truth.prefectures[&q.prefecture];
        configured.practice.check().unwrap_or_else(|e| panic!("{}: {e}", configured.name));
        assert!(q.source.starts_with("http") && !q.answer.is_empty() && !q.question.is_empty());
        let own = Overrides { facts: configured.facts.clone(), ..Overrides::default() };
        let practice = &configured.practice;
        let tree = Tree::national()
            .clone()
            .with_overrides(&q.prefecture, &own)
            .unwrap()
            .for_prefecture(practice)
            .for_caller(practice, q.caller, q.address.as_deref());
        let at = format!("{} 「{}」 ({})", configured.name, q.question, q.source);
        match walk(&tree, &q.path) {
            Err(e) => failures.push(format!("{at}: {e}")),
            Ok((ending, _)) if ending != q.ending => {
                failures.push(format!("{at}: ends at {ending}, not {}", q.ending))
            }
            Ok((_, heard)) => {
                for word in q.says.iter().filter(|w| !heard.contains(w.as_str())) {
                    failures.push(format!("{at}: does not say 「{word}」 — {heard}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {}:\n{}",
        failures.len(),
        truth.questions.len(),
        failures.join("\n")
    );
}
