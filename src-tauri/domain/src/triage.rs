//! トラブル対応: the help desk's decision tree — questions, instructions and endings tagged
//! with an outcome — as content in `data/triage.toml`, checked whole before use, with a
//! prefecture's own wording of some nodes laid over it (都道府県版).

use crate::practice::{Caller, Practice, When, PRACTICE_FACTS};
use crate::Code;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

/// The national tree as shipped with this build.
pub const NATIONAL: &str = include_str!("../data/triage.toml");

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Ask,
    Instruct,
    End,
}

/// How a call ended.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 解決
    Resolved,
    /// 再申請案内
    Reapply,
    /// 都道府県から連絡
    PrefectureContacts,
    /// エスカレーション
    Escalate,
}

impl Outcome {
    pub const ALL: [Outcome; 4] =
        [Self::Resolved, Self::Reapply, Self::PrefectureContacts, Self::Escalate];

    /// The wire name (`resolved`, `reapply` …), for tables and charts.
    pub fn key(self) -> &'static str {
        match self {
            Self::Resolved => "resolved",
            Self::Reapply => "reapply",
            Self::PrefectureContacts => "prefecture_contacts",
            Self::Escalate => "escalate",
        }
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            Self::Resolved => "解決",
            Self::Reapply => "再申請案内",
            Self::PrefectureContacts => "都道府県から連絡",
            Self::Escalate => "エスカレーション",
        }
    }
}

/// A screen a node's answer needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    Queue,
    Lookup,
    /// This prefecture's 定期報告 window against today.
    ReportingWindow,
    /// ログインIDの開示, after the identity checks.
    LoginDisclosure,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub label: String,
    pub next: String,
    /// Offered only where the prefecture's practice holds this ([`Tree::for_prefecture`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub when: Option<When>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Node {
    pub kind: NodeKind,
    pub title: String,
    /// What the officer reads to the caller.
    pub say: String,
    /// For the officer only.
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub choices: Vec<Choice>,
    #[serde(default)]
    pub next: Option<String>,
    #[serde(default)]
    pub outcome: Option<Outcome>,
    #[serde(default)]
    pub links: Vec<Link>,
    /// The seed's items this node answers.
    #[serde(default)]
    pub seed: Vec<String>,
    /// Mail facts that lead a call linked to an application straight here.
    #[serde(default)]
    pub enter_on: Vec<crate::delivery::MailFact>,
    /// At this question a call linked to an application goes on from its mail facts.
    #[serde(default)]
    pub ask_facts: bool,
    /// The national wording, when a prefecture's replaces it (都道府県版).
    #[serde(default, skip_deserializing)]
    pub national_say: Option<String>,
}

impl Node {
    /// Every text of the node that names words filled in for the caller: what is read out,
    /// the title, the officer's note and the answers' labels.
    fn texts_mut(&mut self) -> impl Iterator<Item = &mut String> {
        [&mut self.say, &mut self.title]
            .into_iter()
            .chain(self.national_say.as_mut())
            .chain(self.note.as_mut())
            .chain(self.choices.iter_mut().map(|c| &mut c.label))
    }

    fn texts(&self) -> impl Iterator<Item = &String> {
        [&self.say, &self.title]
            .into_iter()
            .chain(self.note.as_ref())
            .chain(self.choices.iter().map(|c| &c.label))
    }

    /// Where each numbered answer leads (an instruction has one: 次へ).
    pub fn exits(&self) -> Vec<&str> {
        match self.kind {
            NodeKind::Ask => self.choices.iter().map(|c| c.next.as_str()).collect(),
            NodeKind::Instruct => self.next.as_deref().into_iter().collect(),
            NodeKind::End => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Tree {
    pub version: String,
    pub start: String,
    pub nodes: BTreeMap<String, Node>,
    /// What G-MIS or the prefecture decides and may change — the senders to allow, the labels
    /// of G-MIS's screens, the time issuance takes — by name, each said in one place: a node
    /// names one as `{name}` ([`Tree::for_caller`]).
    #[serde(default)]
    pub facts: BTreeMap<String, String>,
    /// The national value of each fact the prefecture set its own for.
    #[serde(default, skip_deserializing)]
    pub national_facts: BTreeMap<String, String>,
    /// The prefecture whose wording is laid over the national one, if any.
    #[serde(default, skip_deserializing)]
    pub prefecture: Option<String>,
}

/// A prefecture's wording of some nodes, kept apart from the national file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Overrides {
    /// Node id → the text to read instead of the national one.
    #[serde(default)]
    pub say: BTreeMap<String, String>,
    /// Fact name → the prefecture's value (its mails come from another sender as well).
    #[serde(default)]
    pub facts: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    #[error("the tree file does not parse: {0}")]
    Parse(String),
    #[error("the tree has problems: {}", .0.join("; "))]
    Invalid(Vec<String>),
}

impl crate::Coded for TreeError {
    fn code(&self) -> Code {
        match self {
            Self::Parse(_) => Code::TriageParse,
            Self::Invalid(_) => Code::TriageInvalid,
        }
    }
    fn message_ja(&self) -> String {
        match self {
            Self::Parse(_) => self.code().message_ja().into(),
            Self::Invalid(problems) => {
                format!("トラブル対応の手順に誤りがあります（{}）。", problems.join("、"))
            }
        }
    }
}

/// Number keys 1–9 pick an answer: an ask node has at most nine.
pub const MAX_CHOICES: usize = 9;

impl Tree {
    /// Parses and checks a tree file.
    pub fn parse(text: &str) -> Result<Self, TreeError> {
        let tree: Tree = toml::from_str(text).map_err(|e| TreeError::Parse(e.to_string()))?;
        let problems = tree.problems();
        if problems.is_empty() {
            Ok(tree)
        } else {
            Err(TreeError::Invalid(problems))
        }
    }

    /// The national tree, parsed and checked once per process; a build whose file is broken
    /// fails its tests, never an officer.
    pub fn national() -> &'static Self {
        static TREE: std::sync::OnceLock<Tree> = std::sync::OnceLock::new();
        TREE.get_or_init(|| {
            Self::parse(NATIONAL).expect("the shipped tree is checked by its tests")
        })
    }

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.get(id)
    }

    /// The node a mail fact enters, if the tree names one.
    pub fn fact_target(&self, fact: crate::delivery::MailFact) -> Option<&str> {
        self.nodes.iter().find(|(_, n)| n.enter_on.contains(&fact)).map(|(id, _)| id.as_str())
    }

    /// Nodes reachable from the start.
    pub fn reachable(&self) -> BTreeSet<&str> {
        let mut seen = BTreeSet::new();
        let mut todo = VecDeque::from([self.start.as_str()]);
        while let Some(id) = todo.pop_front() {
            if self.nodes.contains_key(id) && seen.insert(id) {
                todo.extend(self.nodes[id].exits());
                if self.nodes[id].ask_facts {
                    let by_fact = self.nodes.iter().filter(|(_, n)| !n.enter_on.is_empty());
                    todo.extend(by_fact.map(|(t, _)| t.as_str()));
                }
            }
        }
        seen
    }

    /// Everything wrong with the tree, in words: unknown targets, dead ends, unreachable
    /// nodes, untagged endings, nodes that cannot reach an ending, too many choices.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !self.nodes.contains_key(&self.start) {
            problems.push(format!("start node {:?} is missing", self.start));
        }
        for (id, node) in &self.nodes {
            for target in node.exits() {
                if !self.nodes.contains_key(target) {
                    problems.push(format!("{id} leads to unknown node {target:?}"));
                }
            }
            match node.kind {
                NodeKind::Ask if node.choices.is_empty() => {
                    problems.push(format!("{id} asks with no choices"))
                }
                NodeKind::Ask if node.choices.len() > MAX_CHOICES => {
                    problems.push(format!("{id} has more than {MAX_CHOICES} choices"))
                }
                NodeKind::Ask if node.choices.iter().all(|c| c.when.is_some()) => {
                    problems.push(format!("{id} offers nothing in some prefectures"))
                }
                NodeKind::Instruct if node.next.is_none() => {
                    problems.push(format!("{id} instructs with no next node"))
                }
                NodeKind::End if node.outcome.is_none() => {
                    problems.push(format!("{id} ends without an outcome"))
                }
                NodeKind::End if !node.choices.is_empty() || node.next.is_some() => {
                    problems.push(format!("{id} ends but leads on"))
                }
                _ => {}
            }
            if node.say.trim().is_empty() || node.title.trim().is_empty() {
                problems.push(format!("{id} has no title or text"));
            }
            for text in node.texts() {
                if let Some(word) = self.unknown_placeholder(text) {
                    problems.push(format!("{id} says unknown placeholder {word}"));
                }
            }
            for choice in &node.choices {
                let named = |f: &&&str| choice.label.contains(&format!("{{{f}}}"));
                if let Some(fact) = PRACTICE_FACTS.iter().find(named) {
                    problems.push(format!("{id} names {fact} in an answer's label"));
                }
            }
        }
        for (name, value) in &self.facts {
            if value.trim().is_empty() || value.contains('{') {
                problems.push(format!("fact {name} is empty or names a placeholder"));
            }
            let named = format!("{{{name}}}");
            if !self.nodes.values().any(|n| n.texts().any(|t| t.contains(&named))) {
                problems.push(format!("fact {name} is named by no node"));
            }
        }
        let mut entered = BTreeMap::new();
        for (id, node) in &self.nodes {
            for fact in &node.enter_on {
                if let Some(other) = entered.insert(*fact, id) {
                    problems.push(format!("{fact:?} enters both {other} and {id}"));
                }
            }
            if node.ask_facts && node.kind != NodeKind::Ask {
                problems.push(format!("{id} takes mail facts but asks nothing"));
            }
        }
        let reachable = self.reachable();
        for id in self.nodes.keys().filter(|id| !reachable.contains(id.as_str())) {
            problems.push(format!("{id} cannot be reached from the start"));
        }
        // Nodes from which some ending can be reached, grown backwards from the endings.
        let mut ends_reached: BTreeSet<&str> = self
            .nodes
            .iter()
            .filter(|(_, n)| n.kind == NodeKind::End)
            .map(|(id, _)| id.as_str())
            .collect();
        loop {
            let before = ends_reached.len();
            for (id, node) in &self.nodes {
                if node.exits().iter().any(|t| ends_reached.contains(t)) {
                    ends_reached.insert(id);
                }
            }
            if ends_reached.len() == before {
                break;
            }
        }
        for id in self.nodes.keys().filter(|id| !ends_reached.contains(id.as_str())) {
            problems.push(format!("{id} never reaches an ending"));
        }
        problems
    }

    /// Lays a prefecture's wording over this tree; each replaced node keeps the national text
    /// beside it so the screen can say which it shows. Unknown node ids are refused.
    pub fn with_overrides(
        mut self,
        prefecture: &str,
        overrides: &Overrides,
    ) -> Result<Self, TreeError> {
        self.check_overrides(overrides)?;
        for (id, say) in overrides.say.iter().filter(|(_, s)| !s.trim().is_empty()) {
            let node = self.nodes.get_mut(id).expect("checked above");
            node.national_say = Some(std::mem::replace(&mut node.say, say.clone()));
        }
        for (name, value) in overrides.facts.iter().filter(|(_, v)| !v.trim().is_empty()) {
            if let Some(national) = self.facts.insert(name.clone(), value.clone()) {
                self.national_facts.insert(name.clone(), national);
            }
        }
        self.prefecture = Some(prefecture.to_owned());
        Ok(self)
    }

    /// The tree as a prefecture runs it: the answers its practice does not give are dropped,
    /// with the nodes only they led to. The practice's facts are said per caller
    /// ([`Tree::for_caller`]); no answer's label names one, so a call's log reads as shown.
    pub fn for_prefecture(mut self, practice: &Practice) -> Self {
        for node in self.nodes.values_mut() {
            node.choices.retain(|c| c.when.is_none_or(|w| practice.holds(w)));
        }
        let reachable: BTreeSet<String> = self.reachable().into_iter().map(str::to_owned).collect();
        self.nodes.retain(|id, _| reachable.contains(id));
        self
    }

    /// The tree as said to one caller: {貴院} and {制度} filled in for the kind of
    /// institution on the line (or words that fit any the window serves while it is not
    /// known), their deadline and 保健所 from the practice, and every fact a node names.
    pub fn for_caller(self, practice: &Practice, caller: Caller, address: Option<&str>) -> Self {
        let (you, scheme) = practice.words(caller);
        let mut tree = self.with_practice_facts(practice, caller, address).with_facts_said();
        for node in tree.nodes.values_mut() {
            for text in node.texts_mut().filter(|t| t.contains('{')) {
                *text = text.replace("{貴院}", you).replace("{制度}", scheme);
            }
        }
        tree
    }

    /// The address this deployment's notices really come from (the server's
    /// `MADOGUCHI_MAIL_FROM`, sent with its changes) joins the senders and domains callers are
    /// told to allow, unless the prefecture's own list names it already.
    pub fn with_sender(mut self, address: &str) -> Self {
        let domain = address.rsplit_once('@').map_or(address, |(_, d)| d);
        for (fact, value) in [("送信元", address), ("受信許可ドメイン", domain)] {
            if let Some(said) = self.facts.get_mut(fact) {
                if !said.split('・').any(|s| s.trim() == value) {
                    said.push('・');
                    said.push_str(value);
                }
            }
        }
        self
    }

    fn with_practice_facts(
        mut self,
        practice: &Practice,
        caller: Caller,
        address: Option<&str>,
    ) -> Self {
        for (name, value) in practice.facts(caller, address) {
            self.facts.insert(name.to_owned(), value);
        }
        self
    }

    /// Every fact a node names filled in, whoever calls: what a call's log records (the
    /// answers' labels) reads as the officer saw it.
    pub fn with_facts_said(mut self) -> Self {
        for node in self.nodes.values_mut() {
            for text in node.texts_mut().filter(|t| t.contains('{')) {
                for (name, value) in &self.facts {
                    *text = text.replace(&format!("{{{name}}}"), value);
                }
            }
        }
        self
    }

    /// A prefecture's wording may only replace nodes this tree has.
    pub fn check_overrides(&self, overrides: &Overrides) -> Result<(), TreeError> {
        let mut unknown: Vec<String> = overrides
            .say
            .iter()
            .filter_map(|(id, say)| {
                if !self.nodes.contains_key(id) {
                    Some(format!("override for unknown node {id:?}"))
                } else {
                    self.unknown_placeholder(say)
                        .map(|w| format!("{id} says unknown placeholder {w}"))
                }
            })
            .collect();
        for (name, value) in &overrides.facts {
            if !self.facts.contains_key(name) {
                unknown.push(format!("override for unknown fact {name:?}"));
            } else if value.contains('{') {
                unknown.push(format!("fact {name} names a placeholder"));
            }
        }
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(TreeError::Invalid(unknown))
        }
    }

    /// Every (node id, seed item) pair, for the coverage test and the FAQ index.
    pub fn seed_items(&self) -> BTreeMap<&str, Vec<&str>> {
        let mut items: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (id, node) in &self.nodes {
            for item in &node.seed {
                items.entry(item.as_str()).or_default().push(id.as_str());
            }
        }
        items
    }
}

impl Tree {
    /// The first `{…}` in `text` that [`Tree::for_caller`] does not fill, if any.
    fn unknown_placeholder(&self, text: &str) -> Option<String> {
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            let end = rest[start..].find('}').map_or(rest.len(), |e| start + e + 1);
            let word = &rest[start..end];
            let fact = word.strip_prefix('{').and_then(|w| w.strip_suffix('}'));
            if word != "{貴院}"
                && word != "{制度}"
                && !fact.is_some_and(|f| self.facts.contains_key(f) || PRACTICE_FACTS.contains(&f))
            {
                return Some(word.to_owned());
            }
            rest = &rest[end..];
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every branch of the seed's troubleshooting pages and every FAQ item of sections 1–4.
    const SEED_ITEMS: &[(&str, &str)] = &[
        ("TS-MAIL-WHICH", "申請後に届くのはアカウント発行通知か既存アカウント通知か"),
        ("TS-MAIL-EXISTING", "既存アカウント通知メールが届いたら既存アカウントで報告"),
        ("TS-1", "対応方法1 メールボックスの空き容量不足"),
        ("TS-1-LOGIN", "受信できなければ窓口でログインIDを確認しパスワードリセット"),
        ("TS-2", "対応方法2 迷惑メールフォルダ"),
        ("TS-2-1", "①受信トレイへ移動"),
        ("TS-2-2", "②メールのURLにアクセス"),
        ("TS-2-3", "③ユーザ情報でログインしパスワード設定"),
        ("TS-2-4", "④info@g-mis.net を安全なアドレスに"),
        ("TS-3", "対応方法3 URLにアクセスできない"),
        ("TS-3-1", "①ブラウザのキャッシュ"),
        ("TS-3-2", "②サイトのフィルター"),
        ("TS-3-3", "③メンテナンス中"),
        ("TS-4", "対応方法4 既存アカウントが無いのに届かない"),
        ("TS-4-1", "①送信エラー（メールアドレスの誤り）"),
        ("TS-4-2", "②把握していない既存アカウント"),
        ("TS-4-3", "③機関コードの誤り"),
        ("TS-4-REAPPLY", "誤りがあれば再度新規ユーザ登録申請"),
        ("FAQ-1-1", "インターネット環境がない"),
        ("FAQ-1-2", "携帯電話で申請"),
        ("FAQ-1-3", "メールアドレスがない"),
        ("FAQ-1-4", "全角・半角の入力"),
        ("FAQ-2-1", "機関コードが分からない"),
        ("FAQ-2-2", "郵便番号で住所が出ない"),
        ("FAQ-2-3", "期限に間に合わなかった"),
        ("FAQ-2-4", "新規開設"),
        ("FAQ-2-5", "申請後の情報変更"),
        ("FAQ-2-6", "入力項目が分からない"),
        ("FAQ-3-1", "通知メールを紛失"),
        ("FAQ-3-2", "このサイトにアクセスできません"),
        ("FAQ-3-3", "ログインIDが分からない"),
        ("FAQ-3-4", "パスワードが分からない"),
        ("FAQ-4-1", "定期報告でログインIDが分からない"),
        ("FAQ-4-2", "定期報告ボタンが押せない（期間）"),
        ("FAQ-4-3", "新規報告は押せるが定期報告が押せない"),
        // Beyond the troubleshooting pages: the notices' own texts and the schedule.
        ("STATUS-NOT-ISSUED", "発行されていない申請：状態（審査中・差戻し・却下）を確かめる"),
        ("STATUS-RETURNED", "差戻し中：メールのURLから再申請"),
        ("STATUS-REJECTED", "却下：理由を伝え、窓口から連絡"),
        ("SCHED-ADDRESS-CHECK", "疎通確認のためのメール"),
        ("NOTICE-UNKNOWN", "通知メールにお心当たりが無い場合は窓口へ"),
        ("NOTICE-HAD-LOGIN", "すでにログインIDを持っているのに発行通知が届いた"),
        ("PASSWORD-KNOWN", "パスワードが分かるならリセットしない"),
        ("ALLOW-MED-LOGIN", "パスワード設定の www.med-login.mhlw.go.jp も許可リストに"),
        ("REPORT-DEADLINE", "3月末までに定期報告をしないと公表されない"),
        ("REPORT-AFTER", "定期報告期間が過ぎた"),
        ("PHARMACY-SCREENS", "薬局は薬局機能情報提供制度ホーム画面"),
        // Beyond the seed: what prefectures' and 保健所's own pages answer (issue 25).
        ("PRACTICE-REPORT-ON-PC", "申請はスマートフォンでも、定期報告はパソコンで"),
        ("PRACTICE-HAS-ID", "G-MISのIDがあっても原則として申請が必要"),
        ("PRACTICE-OLD-ID", "旧都道府県システムのIDは使えない：G-MISのIDで"),
        ("PRACTICE-TWO-ACCOUNTS", "報告は機関のアカウントで、法人のIDは事務局へ"),
        ("PRACTICE-ANY-ACCOUNT", "アカウントがあるかどうか分からない"),
        ("PRACTICE-PHARMACY-RELICENSED", "薬局の開設者変更・移転は新規の報告と申請（30日以内）"),
        ("PRACTICE-SHARED-ADDRESS", "複数薬局で同じ住所・メール可、アカウントは薬局ごと"),
        ("PRACTICE-PRESS-REPORT", "入力後に「報告」を押すまで報告済みにならない"),
        ("PRACTICE-KAKARITSUKE", "かかりつけ医機能報告は同じアカウントで、権限は同じ画面から"),
        ("PRACTICE-HEALTH-CENTRE-LOGIN", "ログインIDの確認は管轄の保健所で（都道府県の運用）"),
        ("PRACTICE-HEALTH-CENTRE-CODES", "機関コードの一覧は保健所から（都道府県の運用）"),
        ("PRACTICE-PAPER", "ネット環境の無い機関は紙の調査票で（都道府県の運用）"),
        ("PRACTICE-SELF-CHECK", "都道府県のセルフチェックシートを先に（都道府県の運用）"),
    ];

    #[test]
    fn the_national_tree_is_whole() {
        let tree = Tree::parse(NATIONAL).unwrap_or_else(|e| panic!("{e}"));
        assert!(tree.problems().is_empty());
        assert_eq!(tree.reachable().len(), tree.nodes.len(), "no unreachable node");
        for node in tree.nodes.values().filter(|n| n.kind == NodeKind::End) {
            assert!(node.outcome.is_some(), "every ending tagged");
        }
        let outcomes: BTreeSet<Outcome> = tree.nodes.values().filter_map(|n| n.outcome).collect();
        assert_eq!(outcomes.len(), Outcome::ALL.len(), "every outcome is used");
    }

    #[test]
    fn every_seed_branch_and_faq_item_is_in_the_tree() {
        let tree = Tree::national();
        let items = tree.seed_items();
        let reachable = tree.reachable();
        for (item, what) in SEED_ITEMS {
            let nodes =
                items.get(item).unwrap_or_else(|| panic!("{item} ({what}) is not in the tree"));
            assert!(nodes.iter().any(|n| reachable.contains(n)), "{item} ({what}) is unreachable");
        }
        let unknown: Vec<&&str> =
            items.keys().filter(|i| !SEED_ITEMS.iter().any(|(s, _)| s == *i)).collect();
        assert!(unknown.is_empty(), "seed tags not in the list: {unknown:?}");
    }

    #[test]
    fn a_broken_tree_is_refused_with_each_problem() {
        let text = r#"
            version = "t"
            start = "a"
            [nodes.a]
            kind = "ask"
            title = "A"
            say = "?"
            choices = [{ label = "x", next = "b" }, { label = "y", next = "nowhere" }]
            [nodes.b]
            kind = "instruct"
            title = "B"
            say = "!"
            next = "a"
            [nodes.c]
            kind = "end"
            title = "C"
            say = "."
        "#;
        let TreeError::Invalid(problems) = Tree::parse(text).unwrap_err() else { panic!() };
        let all = problems.join("\n");
        for expected in [
            "a leads to unknown node \"nowhere\"",
            "c ends without an outcome",
            "c cannot be reached",
            "a never reaches an ending",
            "b never reaches an ending",
        ] {
            assert!(all.contains(expected), "{expected} missing from:\n{all}");
        }
    }

    #[test]
    fn the_caller_fills_in_who_they_are() {
        let said = |caller| {
            Tree::national().clone().for_caller(&Practice::default(), caller, None).nodes
                ["report_earlier"]
                .say
                .clone()
        };
        assert!(said(Caller::Pharmacy).contains("「薬局機能情報提供制度ホーム画面」"));
        assert!(said(Caller::Medical).contains("「医療機能情報提供制度ホーム画面」"));
        assert!(said(Caller::Unknown).contains("薬局の方は"));
        let tree =
            Tree::national().clone().for_caller(&Practice::default(), Caller::Pharmacy, None);
        assert!(tree.nodes["report_after"].say.contains("貴局の最新の情報"));
        assert!(tree.nodes.values().all(|n| !n.say.contains('{')), "every word filled");
        let national = Tree::national();
        assert_eq!(national.unknown_placeholder("{貴院}と{制度}と{送信元}"), None);
        assert_eq!(national.unknown_placeholder("{貴院}と{貴機関}").as_deref(), Some("{貴機関}"));
        let code: crate::InsuranceCode = "1341000017".parse().unwrap();
        assert_eq!(Caller::of_code(&code), Caller::Pharmacy);
    }

    #[test]
    fn the_desk_speaks_as_itself_on_the_telephone() {
        for (id, node) in &Tree::national().nodes {
            for stiff in ["貴機関", "都道府県の窓口からご連絡", "してください。"]
            {
                assert!(!node.say.contains(stiff), "{id} says {stiff}: {}", node.say);
            }
        }
    }

    #[test]
    fn outcome_keys_are_the_wire_names() {
        for o in Outcome::ALL {
            assert_eq!(serde_json::to_value(o).unwrap(), o.key());
        }
    }

    #[test]
    fn overrides_replace_the_wording_and_keep_the_national_text() {
        let mut o = Overrides::default();
        o.say.insert("faq_no_internet".into(), "本県では紙の調査票でも受け付けます。".into());
        let tree = Tree::national().clone().with_overrides("13", &o).unwrap();
        let node = tree.node("faq_no_internet").unwrap();
        assert_eq!(node.say, "本県では紙の調査票でも受け付けます。");
        assert!(node.national_say.as_deref().unwrap().starts_with("オンラインでのご報告"));
        assert_eq!(tree.prefecture.as_deref(), Some("13"));
        o.say.insert("no_such_node".into(), "x".into());
        assert!(Tree::national().clone().with_overrides("13", &o).is_err());
    }

    /// G-MIS's senders and screen labels are said from the tree's facts, never spelled in a
    /// node: every sentence that names a sender names both G-MIS sends from, the reset link
    /// has the label G-MIS's login screen shows, and a prefecture's own value reaches every
    /// node that names the fact.
    #[test]
    fn gmis_facts_are_said_from_one_place() {
        let raw = Tree::national();
        for (id, node) in &raw.nodes {
            for spelled in ["info@g-mis.net", "helpdesk@gmis.mhlw.go.jp", "パスワードを忘れた場合"]
            {
                assert!(!node.say.contains(spelled), "{id} spells {spelled} instead of a fact");
            }
        }
        let said = raw.clone().for_caller(&Practice::default(), Caller::Medical, None);
        let mut senders = 0;
        for (id, node) in &said.nodes {
            if node.say.contains("info@g-mis.net") {
                senders += 1;
                assert!(
                    node.say.contains("gmis.mhlw.go.jp"),
                    "{id} names one sender: {}",
                    node.say
                );
            }
        }
        assert!(senders >= 5, "the spam folder, safe senders, refused, waiting, 疎通確認");
        assert!(said.nodes["password_reset"].say.contains("「パスワードをお忘れですか？」"));
        assert!(said.nodes["wait_issuance"].say.contains("目安は、1〜2週間でございます"), "seed");
        let asked = &said.nodes["mail_applied"].choices;
        assert!(asked.iter().any(|c| c.label == "申請して2週間たっていない"), "{asked:?}");
        // A 医療法人's own login ID is the 事務局's to tell; a report is filed by 「報告」.
        assert!(said.nodes["two_accounts"].say.contains("G-MIS事務局（password@g-mis.net）"));
        assert!(said.nodes["press_report"].say.contains("「報告」を押していただくまで"));
        // Applying works from a phone; reporting needs a PC: no answer sends a caller to a
        // device that cannot report.
        let mobile = &said.nodes["faq_mobile"].say;
        assert!(mobile.contains("定期報告はパソコンから"), "{mobile}");

        let mut o = Overrides::default();
        o.facts.insert("送信元".into(), "info@g-mis.net・madoguchi@pref.example.lg.jp".into());
        o.facts.insert("発行までの期間".into(), "承認から1か月以内".into());
        let ours = raw.clone().with_overrides("13", &o).unwrap().for_caller(
            &Practice::default(),
            Caller::Medical,
            None,
        );
        assert!(ours.nodes["mail_spam"].say.contains("madoguchi@pref.example.lg.jp"));
        for id in ["wait_issuance", "not_applied"] {
            assert!(ours.nodes[id].say.contains("目安は、承認から1か月以内でございます"), "{id}");
        }
        o.facts.insert("確認を始める目安".into(), "1か月".into());
        let ours = raw.clone().with_overrides("13", &o).unwrap().for_caller(
            &Practice::default(),
            Caller::Medical,
            None,
        );
        let asked = &ours.nodes["mail_applied"].choices;
        assert!(asked.iter().any(|c| c.label == "申請して1か月以上たつ"), "{asked:?}");
        assert!(ours.nodes["wait_review"].note.as_deref().unwrap().starts_with("1か月を超えて"));
        assert_eq!(ours.national_facts["送信元"], raw.facts["送信元"], "kept beside, for 設定");
        // The server's own sender joins the list once, and its domain the domains.
        let joined = ours.clone().with_sender("madoguchi@pref.example.lg.jp");
        assert_eq!(joined.facts["送信元"], ours.facts["送信元"], "named already");
        let joined = raw.clone().with_sender("gmis@pref.example.lg.jp");
        assert!(joined.facts["送信元"].ends_with("・gmis@pref.example.lg.jp"));
        assert!(joined.facts["受信許可ドメイン"].ends_with("gmis.mhlw.go.jp・pref.example.lg.jp"));
        o.facts.insert("no_such_fact".into(), "x".into());
        assert!(raw.clone().with_overrides("13", &o).is_err(), "only facts the tree has");
    }
}
