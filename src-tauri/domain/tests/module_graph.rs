//! The domain's modules depend on each other one way, as the core's do (the same reading of
//! the sources, shared by path): `api` carries what `notice` writes, and neither imports the
//! other any more.

#[path = "../../core/tests/graph/mod.rs"]
mod graph;

#[test]
fn domain_modules_depend_on_each_other_one_way() {
    let known = graph::modules(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let graph = graph::edges(&known);
    assert!(graph["notice"].contains("contact"), "{:?}", graph["notice"]);
    assert!(!graph["notice"].contains("api"), "{:?}", graph["notice"]);
    if let Some(cycle) = graph::find_cycle(&graph) {
        panic!("import cycle among domain modules: {}", cycle.join(" → "));
    }
}
