//! Requirement traceability: every requirement of `docs/requirements.md` is
//! cited next to the code that implements it (`//= <id>`) and next to a test,
//! vector check or conformance case that proves it (`//= type=test`, then
//! `//= <id>` on the following lines), and every citation names a
//! requirement. The repository's `.rs` files are scanned as text.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The marker of a citation line, built so this file cites nothing.
fn marker() -> String {
    ["//", "="].concat()
}

/// Where the scan looks, relative to the repository root.
const ROOTS: [&str; 6] = ["src", "tests", "testkit", "conformance", "benches", "fuzz"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The requirement ids: the first column of the table rows.
fn requirements() -> BTreeSet<String> {
    let text = fs::read_to_string(root().join("docs/requirements.md")).unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once("` |"))
        .map(|(id, _)| id.to_owned())
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name();
        if p.is_dir() {
            if name != "target" && !name.to_string_lossy().starts_with('.') {
                rust_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[derive(Debug, Default)]
struct Citations {
    /// id -> places citing it as implementation.
    implemented: BTreeMap<String, Vec<String>>,
    /// id -> places citing it as a test.
    tested: BTreeMap<String, Vec<String>>,
}

/// The citations in `text`: a `type=test` line makes the citation lines
/// right after it test citations; quote lines (`//#`) may follow.
fn cite(text: &str, place: &str, into: &mut Citations) {
    let marker = marker();
    let quote = ["//", "#"].concat();
    let mut test = false;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix(&marker) {
            let rest = rest.trim();
            if rest == "type=test" {
                test = true;
                continue;
            }
            let at = format!("{place}:{}", n + 1);
            let map = if test {
                &mut into.tested
            } else {
                &mut into.implemented
            };
            map.entry(rest.to_owned()).or_default().push(at);
        } else if !line.starts_with(&quote) {
            test = false;
        }
    }
}

fn scan() -> Citations {
    let mut files = Vec::new();
    for r in ROOTS {
        rust_files(&root().join(r), &mut files);
    }
    assert!(files.len() > 50, "only {} files found", files.len());
    let mut c = Citations::default();
    for f in files {
        let text = fs::read_to_string(&f).unwrap();
        let place = f.strip_prefix(root()).unwrap_or(&f).display().to_string();
        cite(&text, &place, &mut c);
    }
    c
}

#[test]
fn every_requirement_is_implemented_and_tested() {
    let reqs = requirements();
    assert!(reqs.len() >= 10, "requirements: {reqs:?}");
    let c = scan();
    let untested: Vec<&String> = reqs.iter().filter(|r| !c.tested.contains_key(*r)).collect();
    let unimplemented: Vec<&String> = reqs
        .iter()
        .filter(|r| !c.implemented.contains_key(*r))
        .collect();
    assert!(
        unimplemented.is_empty(),
        "requirements without an implementation citation: {unimplemented:?}"
    );
    assert!(
        untested.is_empty(),
        "requirements without a test citation: {untested:?}"
    );
    for r in &reqs {
        println!(
            "{r}: implemented at {}, tested at {}",
            c.implemented[r].join(", "),
            c.tested[r].join(", ")
        );
    }
}

#[test]
fn every_citation_names_a_requirement() {
    let reqs = requirements();
    let c = scan();
    let unknown: Vec<String> = c
        .implemented
        .iter()
        .chain(&c.tested)
        .filter(|(id, _)| !reqs.contains(*id))
        .map(|(id, at)| format!("{id} at {}", at.join(", ")))
        .collect();
    assert!(
        unknown.is_empty(),
        "citations of no requirement: {unknown:#?}"
    );
}

/// The reader itself: a test marker covers the citation lines after it,
/// and any other line ends that.
#[test]
fn citation_reader() {
    let m = marker();
    let text = format!(
        "{m} a/impl\nfn f() {{}}\n{m} type=test\n{m} a/test\n{q} quote\n{m} b/test\nfn g() {{}}\n{m} c/impl\n",
        q = ["//", "#"].concat()
    );
    let mut c = Citations::default();
    cite(&text, "x.rs", &mut c);
    let ids = |m: &BTreeMap<String, Vec<String>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(ids(&c.implemented), ["a/impl", "c/impl"]);
    assert_eq!(ids(&c.tested), ["a/test", "b/test"]);
    assert_eq!(c.tested["b/test"], ["x.rs:6"]);
}
