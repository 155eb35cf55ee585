//! The server's modules depend on each other one way, as the core's and the domain's do (the
//! same reading of the sources, shared by path): storage and the mailer never reach up into the
//! web layer, a folder's `mod.rs` only names its parts, and no file grows past what one reads
//! in a sitting.

#[path = "../../core/tests/graph/mod.rs"]
mod graph;

use std::path::PathBuf;

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn server_modules_depend_on_each_other_one_way() {
    let known = graph::modules(&src());
    let graph = graph::edges(&known);
    // The checker sees the edges that matter: the web layer reads storage, a page builds on
    // the intake, the sender on the composer.
    assert!(graph["http::failure"].contains("storage"), "{:?}", graph["http::failure"]);
    assert!(
        graph["http::page::apply"].contains("http::intake"),
        "{:?}",
        graph["http::page::apply"]
    );
    assert!(graph["mail::send"].contains("mail::compose"), "{:?}", graph["mail::send"]);
    for (module, targets) in &graph {
        if module.starts_with("storage") || module.starts_with("mail") {
            let up: Vec<_> = targets.iter().filter(|t| t.starts_with("http")).collect();
            assert!(up.is_empty(), "{module} reaches up into the web layer: {up:?}");
        }
    }
    if let Some(cycle) = graph::find_cycle(&graph) {
        panic!("import cycle among server modules: {}", cycle.join(" → "));
    }
}

#[test]
fn the_checker_finds_a_planted_cycle() {
    let mut graph = graph::edges(&graph::modules(&src()));
    graph.get_mut("storage::rows").unwrap().insert("http::failure".into());
    let cycle = graph::find_cycle(&graph).expect("storage::rows → http::failure → storage → …");
    assert_eq!(cycle.first(), cycle.last());
}

#[test]
fn every_file_stays_readable_in_one_sitting() {
    for (module, text) in graph::sources(&src()) {
        let lines = text.lines().count();
        assert!(lines <= 450, "{module} has {lines} lines: split it by what it does");
    }
}
