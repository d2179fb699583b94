//! Shared helpers of the vector generator and checker. The records' spelling
//! (hex, scans, verdicts) is `tcpmd5_testkit::record`'s.

use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde_json::Value;

use tcpmd5::{AddrPair, Verdict};
pub(crate) use tcpmd5_testkit::record::{family_id, hex, scan_class};

/// `vectors/` at the root of the package.
pub(crate) fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

/// The bytes of a hex field (panics on a malformed one).
pub(crate) fn unhex(s: &str) -> Vec<u8> {
    tcpmd5_testkit::record::unhex(s).unwrap_or_else(|| panic!("not hex: {s:?}"))
}

/// The verdict a vector expects (`fields` holds `verdict` and, for an
/// accept, `acceptance`).
pub(crate) fn expected_verdict(fields: &serde_json::Value) -> Verdict {
    tcpmd5_testkit::record::read_verdict(fields)
        .unwrap_or_else(|| panic!("not a verdict: {fields}"))
}

/// The address pair `src -> dst`.
pub(crate) fn addrs(src: &str, dst: &str) -> AddrPair {
    let s: IpAddr = src.parse().expect("addr");
    let d: IpAddr = dst.parse().expect("addr");
    AddrPair::new(s, d).expect("same family")
}

/// Every vector file (`vectors/**/*.json` but the schema), sorted.
pub(crate) fn vector_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "json")
                && p.file_name().is_some_and(|n| n != "schema.json")
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&vectors_dir(), &mut out);
    out.sort();
    out
}

/// A vector file's JSON (panics, naming the file, on a malformed one).
pub(crate) fn load(p: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(p).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `(file, vector)` of every vector of `group`.
pub(crate) fn vectors(group: &str) -> Vec<(PathBuf, Value)> {
    let mut out = Vec::new();
    for f in vector_files() {
        let v = load(&f);
        if v["group"] == group {
            for x in v["vectors"].as_array().unwrap() {
                out.push((f.clone(), x.clone()));
            }
        }
    }
    out
}

/// One recorded live run (`ci/py/observed_run.py`, for the layouts and the
/// decisions alike): the kernel, the semantics it was held to, when and by
/// which script, and each case's status.
#[derive(Debug)]
pub(crate) struct RecordedRun {
    pub kernel: String,
    pub semantics: String,
    pub date: String,
    pub script: String,
    pub cases: std::collections::BTreeMap<String, String>,
}

/// Every run recorded in `dir` (`*.json`, by file name).
pub(crate) fn recorded_runs(dir: &Path) -> Vec<RecordedRun> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|x| x == "json"));
    files.sort();
    files
        .iter()
        .map(|p| {
            let v: Value = serde_json::from_str(&fs::read_to_string(p).expect("readable"))
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let field = |k: &str| {
                v[k].as_str()
                    .unwrap_or_else(|| panic!("{}: no {k}", p.display()))
                    .to_owned()
            };
            RecordedRun {
                kernel: field("kernel"),
                semantics: field("semantics"),
                date: field("date"),
                script: field("script"),
                cases: v["cases"]
                    .as_object()
                    .unwrap_or_else(|| panic!("{}: no cases", p.display()))
                    .iter()
                    .map(|(id, status)| {
                        let status = status
                            .as_str()
                            .unwrap_or_else(|| panic!("{}: status of {id}", p.display()));
                        (id.clone(), status.to_owned())
                    })
                    .collect(),
            }
        })
        .collect()
}
