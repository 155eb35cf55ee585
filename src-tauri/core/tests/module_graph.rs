//! The core's modules depend on each other one way: no file of `src/` reaches, through the
//! paths it names (`use crate::…`, `super::…`, a child module's items), back to itself. A new
//! cycle fails here with the loop spelled out, before it grows into the tangle the store,
//! queue and sync once were.

mod graph;

use std::path::PathBuf;

use graph::{edges, find_cycle};

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn modules() -> std::collections::BTreeMap<String, String> {
    graph::modules(&src())
}

fn sources() -> std::collections::BTreeMap<String, String> {
    graph::sources(&src())
}

#[test]
fn core_modules_depend_on_each_other_one_way() {
    let known = modules();
    let graph = edges(&known);
    // The checker sees the edges that matter: the desk's state uses the sync client, and
    // the queue's capability builds on the desk.
    assert!(graph["desk"].contains("sync::client"), "{:?}", graph["desk"]);
    assert!(graph["queue"].contains("desk"), "{:?}", graph["queue"]);
    assert!(graph["sync"].contains("sync::client"), "{:?}", graph["sync"]);
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle among core modules: {}", cycle.join(" → "));
    }
}

#[test]
fn the_checker_finds_a_planted_cycle() {
    let mut graph = edges(&modules());
    graph.get_mut("store").unwrap().insert("queue".into());
    let cycle = find_cycle(&graph).expect("store → queue → … → store");
    assert_eq!(cycle.first(), cycle.last());
    assert!(cycle.contains(&"store".to_owned()) && cycle.contains(&"queue".to_owned()));
}

#[test]
fn every_file_stays_readable_in_one_sitting() {
    for (module, text) in sources() {
        let lines = text.lines().count();
        assert!(lines <= 450, "{module} has {lines} lines: split it by what it does");
    }
}
