//! A crate's module graph, read from its sources: which file names which (through `use
//! crate::…`, `super::…` and a child module's items), and the first import cycle if any. Shared
//! by the crates' `module_graph` tests (the domain's includes this file by path).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src`, by module path (`sync::client`, `desk`, `lib` for the root),
/// without its comment lines.
pub fn modules(src: &Path) -> BTreeMap<String, String> {
    sources(src)
        .into_iter()
        .map(|(module, text)| {
            let code =
                text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>();
            (module, code.join("\n"))
        })
        .collect()
}

/// Every `.rs` file under `src`, whole, by module path.
pub fn sources(src: &Path) -> BTreeMap<String, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(src, &mut files);
    files
        .into_iter()
        .map(|file| {
            let relative = file.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> =
                relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            (parts.join("::"), std::fs::read_to_string(&file).unwrap())
        })
        .collect()
}

/// The longest known module that `path` (segments after `crate::`) starts with.
fn resolve(known: &BTreeMap<String, String>, segments: &[&str]) -> Option<String> {
    (1..=segments.len())
        .rev()
        .map(|n| segments[..n].join("::"))
        .find(|candidate| known.contains_key(candidate))
}

/// Segments of every path in `code` that starts with `prefix` (`crate::`, `super::`, `x::`);
/// a group (`crate::{a::B, c}`) gives one path per item.
fn paths_after<'a>(code: &'a str, prefix: &str) -> Vec<Vec<&'a str>> {
    let is_path = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let boundary = rest[..i].chars().last().is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        let tail = &rest[i + prefix.len()..];
        if boundary {
            let items: Vec<&str> = match tail.strip_prefix('{') {
                Some(group) => {
                    let (mut depth, mut end) = (1, group.len());
                    for (at, c) in group.char_indices() {
                        depth += match c {
                            '{' => 1,
                            '}' => -1,
                            _ => 0,
                        };
                        if depth == 0 {
                            end = at;
                            break;
                        }
                    }
                    group[..end].split(',').map(str::trim).collect()
                }
                None => vec![tail],
            };
            for item in items {
                let end = item.find(|c: char| !is_path(c)).unwrap_or(item.len());
                let segments: Vec<&str> =
                    item[..end].split("::").filter(|s| !s.is_empty()).collect();
                if !segments.is_empty() {
                    found.push(segments);
                }
            }
        }
        rest = tail;
    }
    found
}

pub fn edges(known: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, code) in known {
        let own: Vec<&str> = if module == "lib" { vec![] } else { module.split("::").collect() };
        let mut targets = BTreeSet::new();
        for segments in paths_after(code, "crate::") {
            targets.extend(resolve(known, &segments));
        }
        if let Some((_, parent)) = own.split_last() {
            for segments in paths_after(code, "super::") {
                let full: Vec<&str> = parent.iter().copied().chain(segments).collect();
                targets.extend(resolve(known, &full).or_else(|| {
                    Some(if parent.is_empty() { "lib".into() } else { parent.join("::") })
                }));
            }
        }
        // A child module's items named from its parent (`use client::SyncClient`).
        for child in known.keys().filter(|k| {
            k.strip_prefix(&format!("{}::", own.join("::"))).is_some_and(|c| !c.contains("::"))
        }) {
            let name = child.rsplit("::").next().unwrap();
            if !paths_after(code, &format!("{name}::")).is_empty() {
                targets.insert(child.clone());
            }
        }
        targets.remove(module);
        graph.insert(module.clone(), targets);
    }
    graph
}

pub fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}
