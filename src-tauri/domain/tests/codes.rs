//! Every error and flag code the desk, the server or the window can show is in the one table
//! (`madoguchi_domain::Code`): product code names codes only through it, and every code a
//! test, a story or the UI spells out is one the table knows.

use std::path::{Path, PathBuf};

use madoguchi_domain::Code;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn files(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if path.is_dir() {
            if !matches!(name.as_ref(), "target" | "node_modules" | "dist" | "gen" | "artifacts") {
                files(&path, extensions, out);
            }
        } else if path.extension().is_some_and(|e| extensions.iter().any(|x| e == *x)) {
            out.push(path);
        }
    }
}

/// Quoted codes in `text` (`"E-…"`, `'FLAG-…'`), with the byte offset of each.
fn quoted_codes(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (at, quote) in text.char_indices().filter(|(_, c)| *c == '"' || *c == '\'') {
        let rest = &text[at + 1..];
        if !(rest.starts_with("E-") || rest.starts_with("FLAG-")) {
            continue;
        }
        let end = rest.find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'));
        // A prefix such as "E-CODE-" (a test matching a family of codes) is not a code.
        let whole = |e: usize| rest[e..].starts_with(quote) && !rest[..e].ends_with('-');
        if let Some(end) = end.filter(|&e| whole(e)) {
            found.push((at, rest[..end].to_owned()));
        }
    }
    found
}

#[test]
fn every_code_spelled_anywhere_is_in_the_table() {
    let root = root();
    let mut all = Vec::new();
    files(&root.join("src-tauri"), &["rs"], &mut all);
    files(&root.join("tests"), &["rs"], &mut all);
    files(&root.join("ui/src"), &["ts", "svelte"], &mut all);
    let table = root.join("src-tauri/domain/src/error.rs");
    let mut unknown = Vec::new();
    let mut checked = 0;
    for file in all.iter().filter(|f| **f != table) {
        let text = std::fs::read_to_string(file).unwrap();
        for (_, code) in quoted_codes(&text) {
            checked += 1;
            if Code::parse(&code).is_none() {
                unknown.push(format!("{}: {code}", file.strip_prefix(&root).unwrap().display()));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "codes missing from madoguchi_domain::Code:\n{}",
        unknown.join("\n")
    );
    assert!(checked > 50, "the scan found only {checked} codes: is it looking in the right place?");
}

#[test]
fn product_code_names_codes_only_through_the_table() {
    let root = root();
    let mut sources = Vec::new();
    for krate in ["domain", "registry", "core", "app", "server", "xtask"] {
        files(&root.join("src-tauri").join(krate).join("src"), &["rs"], &mut sources);
    }
    let table = root.join("src-tauri/domain/src/error.rs");
    let mut spelled = Vec::new();
    for file in sources.iter().filter(|f| **f != table) {
        let text = std::fs::read_to_string(file).unwrap();
        // A file's tests may spell codes out to check them; what runs in the product may not.
        let product = text.find("#[cfg(test)]").map_or(text.as_str(), |i| &text[..i]);
        for (at, code) in quoted_codes(product) {
            let line = product[..at].lines().count();
            spelled.push(format!("{}:{line}: {code}", file.strip_prefix(&root).unwrap().display()));
        }
    }
    assert!(spelled.is_empty(), "use madoguchi_domain::Code instead of:\n{}", spelled.join("\n"));
}

#[test]
fn the_scan_sees_a_stray_code() {
    let found = quoted_codes(r#"let a = "E-CODE-CHECK"; let b = 'FLAG-DUPLICATE'; "E-"; "E-x""#);
    let codes: Vec<&str> = found.iter().map(|(_, c)| c.as_str()).collect();
    assert_eq!(codes, ["E-CODE-CHECK", "FLAG-DUPLICATE"]);
}
