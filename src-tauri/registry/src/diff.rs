//! 差分: what a newer snapshot of a list changes — opened, closed, renamed, moved.

use std::collections::HashMap;

use serde::Serialize;

/// What the diff compares of one institution, keyed by its source key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub name: String,
    pub address: String,
    pub postal_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeKind {
    /// 新規: in the new snapshot only.
    Opened,
    /// 廃止等: in the old snapshot only (within the prefectures the new file covers).
    Closed,
    /// 名称変更
    Renamed { from: String },
    /// 移転: address or postal code changed.
    Moved { from: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Change {
    pub key: String,
    pub name: String,
    #[serde(flatten)]
    pub kind: ChangeKind,
}

/// The changes of one institution between snapshots (both renamed and moved can apply).
/// Text is compared as published: any changed character is a change.
pub fn compare(key: &str, old: Option<&Snapshot>, new: &Snapshot) -> Vec<Change> {
    let change = |kind| Change { key: key.to_owned(), name: new.name.clone(), kind };
    let Some(old) = old else { return vec![change(ChangeKind::Opened)] };
    let mut out = Vec::new();
    if old.name != new.name {
        out.push(change(ChangeKind::Renamed { from: old.name.clone() }));
    }
    if old.address != new.address || old.postal_code != new.postal_code {
        out.push(change(ChangeKind::Moved { from: old.address.clone() }));
    }
    out
}

/// Every institution of `gone` (listed before, not in the new snapshot) as closed.
pub fn closed(gone: &HashMap<String, Snapshot>) -> impl Iterator<Item = Change> + '_ {
    gone.iter().map(|(k, s)| Change {
        key: k.clone(),
        name: s.name.clone(),
        kind: ChangeKind::Closed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(name: &str, address: &str) -> Snapshot {
        Snapshot { name: name.into(), address: address.into(), postal_code: Some("0600001".into()) }
    }

    #[test]
    fn each_kind_of_change() {
        let a = snap("愛全病院", "札幌市南区");
        assert_eq!(compare("k", None, &a)[0].kind, ChangeKind::Opened);
        assert!(compare("k", Some(&a), &a).is_empty());
        let renamed = compare("k", Some(&a), &snap("愛全記念病院", "札幌市南区"));
        assert_eq!(renamed[0].kind, ChangeKind::Renamed { from: "愛全病院".into() });
        let both = compare("k", Some(&a), &snap("愛全記念病院", "札幌市北区"));
        assert_eq!(both.len(), 2);
        let gone: HashMap<String, Snapshot> = [("gone".to_string(), a)].into();
        let closed: Vec<_> = closed(&gone).collect();
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].key, "gone");
    }
}
