//! トラブル対応: the decision tree as this desk uses it — the national file with the
//! prefecture's wording laid over it — and よくある質問 search across every node's text,
//! folded like the registry's lookup (width, kana, variants).

use madoguchi_domain::practice::{Caller, Practice, ReportingAnswer, Scheme, JST};
use madoguchi_domain::triage::{NodeKind, Tree};
use madoguchi_domain::{InstitutionKind, InsuranceCode};
use madoguchi_registry::fold::fold;
use serde::Serialize;

/// A node that answers a search, for the FAQ box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct FaqHit {
    pub node: String,
    pub title: String,
    /// The start of what the officer would read.
    pub excerpt: String,
}

/// Nodes whose texts hold every word of `query` (folded), titles first, then answers before
/// questions, and nodes only the records lead to (配信状況) after those a walk reaches; among
/// equals, those answering the seed's own items first; at most `limit`.
pub fn search(tree: &Tree, query: &str, limit: usize) -> Vec<FaqHit> {
    let words: Vec<String> = query.split_whitespace().map(fold).filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return Vec::new();
    }
    let by_hand: std::collections::BTreeSet<&str> =
        tree.nodes.values().flat_map(|n| n.exits()).chain([tree.start.as_str()]).collect();
    let mut hits: Vec<(u8, &String, &madoguchi_domain::triage::Node)> = tree
        .nodes
        .iter()
        .filter_map(|(id, node)| {
            let title = fold(&node.title);
            let labels: Vec<&str> = node.choices.iter().map(|c| c.label.as_str()).collect();
            let body = fold(
                &[node.say.as_str(), node.note.as_deref().unwrap_or(""), &labels.join(" ")]
                    .join(" "),
            );
            if !words.iter().all(|w| title.contains(w.as_str()) || body.contains(w.as_str())) {
                return None;
            }
            let in_title = words.iter().all(|w| title.contains(w.as_str()));
            let rank = match (in_title, node.kind) {
                (true, _) => 0,
                (false, NodeKind::End | NodeKind::Instruct) => 1,
                (false, NodeKind::Ask) => 2,
            } + if by_hand.contains(id.as_str()) { 0 } else { 3 };
            Some((rank, id, node))
        })
        .collect();
    hits.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.2.seed.is_empty().cmp(&b.2.seed.is_empty()))
            .then_with(|| a.1.cmp(b.1))
    });
    hits.into_iter()
        .take(limit)
        .map(|(_, id, node)| FaqHit {
            node: id.clone(),
            title: node.title.clone(),
            excerpt: node.say.chars().take(80).collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_answers_in_any_width_and_script() {
        let tree = Tree::national();
        let hits = search(tree, "迷惑　ﾒｰﾙ", 10);
        assert_eq!(hits[0].node, "mail_spam", "{hits:?}");
        let hits = search(tree, "キャッシュ", 10);
        assert!(hits.iter().any(|h| h.node == "url_cache"));
        let hits = search(tree, "ＩＤ", 10);
        assert!(
            hits.iter().any(|h| h.node == "login_identity"),
            "full-width letters fold: {hits:?}"
        );
        assert!(search(tree, "   ", 10).is_empty());
        assert!(search(tree, "存在しない言葉", 10).is_empty());
    }
}

/// The 定期報告 answer as the screen shows it: the scheme it is for, the state, the
/// sentence, and which answer of the window question the data points to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ReportingView {
    pub scheme: Option<Scheme>,
    pub answer: ReportingAnswer,
    pub message: String,
    pub suggested_choice: Option<usize>,
}

/// Who is on the line of a call, as far as the desk knows: their scheme's caller and the
/// address of the institution linked (for its 保健所).
struct Hearer {
    caller: Caller,
    address: Option<String>,
}

impl crate::desk::Desk {
    /// The tree as this desk's prefecture has it, with the practice it runs: the national
    /// file, its wording and facts, the answers its practice gives.
    async fn prefecture_tree(&self) -> Result<(Tree, Practice), crate::store::StoreError> {
        let national = Tree::national();
        let (tree, practice) = match self.store().prefecture_settings().await? {
            None => (national.clone(), Practice::default()),
            Some(settings) => {
                let prefecture = settings.prefecture.code();
                let tree = national
                    .clone()
                    .with_overrides(&prefecture, &settings.triage_overrides)
                    .unwrap_or_else(|e| {
                        log::warn!("prefecture wording not applied: {e}");
                        national.clone()
                    });
                (tree, settings.practice_in_force())
            }
        };
        // The server's own sender joins the list, whichever wording the prefecture keeps.
        let tree = match self.store().server_sender().await? {
            Some(sender) => tree.with_sender(&sender),
            None => tree,
        };
        Ok((tree.for_prefecture(&practice), practice))
    }

    /// The tree this desk walks (a call's answers are counted on it): the prefecture's, the
    /// tree's facts said.
    pub async fn triage_tree(&self) -> Result<Tree, crate::store::StoreError> {
        Ok(self.prefecture_tree().await?.0.with_facts_said())
    }

    /// The tree as said to the caller of `call`: {貴院} and {制度} for the institution linked
    /// to it (its insurance code's 点数表, or the linked application's kind), their deadline
    /// and 保健所; words that fit any caller the window serves while none is linked.
    pub async fn triage_tree_for(
        &self,
        call: Option<&str>,
    ) -> Result<Tree, crate::store::StoreError> {
        let (tree, practice) = self.prefecture_tree().await?;
        let hearer = self.hearer(call).await?;
        Ok(tree.for_caller(&practice, hearer.caller, hearer.address.as_deref()))
    }

    /// The 定期報告 window of the caller's scheme (any the window serves without a call)
    /// against today's date in Japan.
    pub async fn reporting_answer(
        &self,
        call: Option<&str>,
    ) -> Result<ReportingView, crate::store::StoreError> {
        let practice = match self.store().prefecture_settings().await? {
            Some(settings) => settings.practice_in_force(),
            None => Practice::default(),
        };
        let caller = self.hearer(call).await?.caller;
        let today = chrono::Utc::now().with_timezone(&JST).date_naive();
        let (scheme, answer) = practice.reporting_answer(caller, today);
        let several = practice.schemes().len() > 1;
        let message = match scheme.filter(|_| several && answer != ReportingAnswer::NotSet) {
            Some(scheme) => format!("【{}】{}", scheme.report_ja(), answer.message_ja()),
            None => answer.message_ja(),
        };
        Ok(ReportingView { scheme, message, suggested_choice: answer.suggested_choice(), answer })
    }

    /// The caller of `call`: from the insurance code linked, else the application's kind;
    /// the address from the application, else the registry's row for the code.
    async fn hearer(&self, call: Option<&str>) -> Result<Hearer, crate::store::StoreError> {
        let unknown = Hearer { caller: Caller::Unknown, address: None };
        let Some(call) = call else { return Ok(unknown) };
        let Ok(call) = self.store().call(call).await else { return Ok(unknown) };
        let code = call.institution.as_ref().and_then(|i| i.insurance_code.as_deref());
        let code = code.and_then(|c| c.parse::<InsuranceCode>().ok());
        let mut hearer = Hearer {
            caller: code.as_ref().map_or(Caller::Unknown, Caller::of_code),
            address: None,
        };
        if let Some(id) = call.application_id {
            if let Some((app, _)) = self.store().application(id).await? {
                if hearer.caller == Caller::Unknown {
                    hearer.caller = match app.form.kind {
                        InstitutionKind::Pharmacy => Caller::Pharmacy,
                        _ => Caller::Medical,
                    };
                }
                hearer.address = Some(app.form.address);
            }
        }
        if let (None, Some(code)) = (&hearer.address, code) {
            hearer.address = self.store().registry_address(&code.digits()).await?;
        }
        Ok(hearer)
    }

    /// よくある質問 over the tree this desk walks.
    pub async fn faq_search(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<FaqHit>, crate::store::StoreError> {
        Ok(search(&self.triage_tree_for(None).await?, query, limit))
    }
}
