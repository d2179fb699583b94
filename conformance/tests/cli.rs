//! The built `tcpmd5-conformance` binary as its users meet it: help, usage
//! errors, exit statuses, a closed or full stdout, and each report format
//! read back by a parser (KTAP), its schema (JSON) or a JUnit reader.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_tcpmd5-conformance");
/// A few quick cases with tracepoint, counter and reply witnesses.
const FEW: [&str; 4] = [
    "--filter",
    "semantics/",
    "--filter",
    "layouts-key/md5_len17",
];

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_no_panic(o: &Output) {
    assert_ne!(o.status.code(), Some(101), "{}", stderr(o));
    assert!(!stderr(o).contains("panicked"), "{}", stderr(o));
}

#[test]
fn help_goes_to_stdout_with_status_0() {
    for args in [
        &["--help"][..],
        &["probe", "--help"],
        &["capture-vectors", "--help"],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(text.contains("Usage:"), "{args:?}: {text}");
    }
    let help = String::from_utf8(run(&["--help"]).stdout).unwrap();
    assert!(
        help.contains("(OR)"),
        "repeated --filter is not explained: {help}"
    );
}

#[test]
fn capture_vectors_help_creates_nothing() {
    let dir = std::env::temp_dir().join(format!("tcpmd5-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let o = Command::new(BIN)
        .args(["capture-vectors", "--help"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let missing = Command::new(BIN)
        .args(["capture-vectors", "no-such-dir"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2), "{}", stderr(&missing));
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    let no_keys = Command::new(BIN)
        .args(["capture-vectors", "empty"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(no_keys.status.code(), Some(2), "{}", stderr(&no_keys));
    assert!(stderr(&no_keys).contains("keys"), "{}", stderr(&no_keys));
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(left, ["empty"], "capture-vectors created {left:?}");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["--format", "nonsense"][..],
        &["--jobs", "0"],
        &["--jobs", "99999999999999999999"],
        &["--semantics", "bsd"],
        &["--filter", "no-such-case"],
        &["--list", "--filter", "no-such-case"],
        &["--no-such-flag"],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "{args:?}");
        assert!(!stderr(&o).is_empty(), "{args:?}: no message");
    }
    let json_eq = run(&["--format=json", "--list"]);
    assert_eq!(json_eq.status.code(), Some(0), "{}", stderr(&json_eq));
}

#[test]
fn full_stdout_is_an_error_not_a_panic() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    for args in [&["--list"][..], &["--help"], &FEW[..]] {
        let o = Command::new(BIN)
            .args(args)
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        assert_no_panic(&o);
        if args != ["--help"] {
            assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
            assert!(stderr(&o).contains("write error"), "{}", stderr(&o));
        }
    }
}

#[test]
fn closed_stdout_ends_quietly() {
    for args in [&["--list"][..], &FEW[..]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = Command::new(BIN)
            .args(args)
            .stdout(writer)
            .output()
            .unwrap();
        assert_no_panic(&o);
        assert_eq!(o.status.code(), Some(141), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("write error"), "{}", stderr(&o));
    }
}

/// Runs the binary where no network namespace can be had: root of a user
/// namespace (not real root) whose limit of nested user namespaces is 0.
/// Where `unshare` itself is refused, the binary already runs without
/// privilege.
/// Whether `unshare` itself refused (no privilege for the namespaces this
/// test needs): the test is then skipped with the reason, never under CI,
/// which runs as root.
fn unshare_unavailable(test: &str, o: &Output) -> bool {
    if !stderr(o).starts_with("unshare:") {
        return false;
    }
    assert!(
        std::env::var("CI").is_err(),
        "CI runs as root: {}",
        stderr(o)
    );
    eprintln!("SKIP {test}: {}", stderr(o));
    true
}

fn without_namespaces(args: &[&str]) -> Output {
    let script = r#"echo 0 > /proc/sys/user/max_user_namespaces && exec "$0" "$@""#;
    let o = Command::new("unshare")
        .args(["--user", "--map-root-user", "sh", "-c", script, BIN])
        .args(args)
        .output()
        .unwrap();
    if stderr(&o).starts_with("unshare:") {
        return run(args);
    }
    o
}

#[test]
fn nothing_ran_exits_4_and_says_so() {
    let o = without_namespaces(&FEW);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("NOTHING RAN"), "{text}");
    assert!(!text.contains("no divergence"), "{text}");
    assert!(!text.contains("behaved as the model predicts"), "{text}");
    let probe = without_namespaces(&["probe"]);
    assert_eq!(probe.status.code(), Some(4), "{}", stderr(&probe));
    assert!(
        String::from_utf8(probe.stdout)
            .unwrap()
            .contains("NO CASE CAN RUN")
    );
}

/// A KTAP version 1 document, checked while parsed: plan, numbering, and
/// every diagnostic line of a test before that test's result line.
#[derive(Debug)]
struct Ktap {
    results: Vec<(bool, String, Option<String>)>,
}

fn parse_ktap(text: &str) -> Ktap {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("KTAP version 1"));
    let mut plan = None;
    let mut results = Vec::new();
    let mut pending: Vec<&str> = Vec::new();
    for line in lines {
        if let Some(n) = line.strip_prefix("1..") {
            assert!(plan.is_none() && results.is_empty(), "plan out of place");
            plan = Some(n.parse::<usize>().unwrap());
        } else if let Some(diag) = line.strip_prefix("# ") {
            pending.push(diag);
        } else {
            let (ok, rest) = match line.strip_prefix("not ok ") {
                Some(rest) => (false, rest),
                None => (
                    true,
                    line.strip_prefix("ok ").unwrap_or_else(|| panic!("{line}")),
                ),
            };
            let (num, rest) = rest.split_once(' ').unwrap();
            assert_eq!(num.parse::<usize>().unwrap(), results.len() + 1, "{line}");
            let (name, directive) = match rest.split_once(" # ") {
                Some((n, d)) => (n, Some(d.to_owned())),
                None => (rest, None),
            };
            // Diagnostics naming a test come right before its result line.
            for d in pending.drain(..) {
                if let Some((subject, _)) = d.split_once(": ")
                    && subject.contains('/')
                {
                    assert_eq!(subject, name, "diagnostic {d:?} is not before its result");
                }
            }
            if !ok {
                assert!(
                    text.contains(&format!("# {name}: ")),
                    "{name} failed without a diagnostic"
                );
            }
            results.push((ok, name.to_owned(), directive));
        }
    }
    assert_eq!(plan, Some(results.len()), "plan does not match the results");
    Ktap { results }
}

#[test]
fn ktap_is_well_formed() {
    let o = run(&[
        &FEW[..],
        &["--format", "ktap", "--semantics", "linux-legacy"],
    ]
    .concat());
    assert_no_panic(&o);
    let ktap = parse_ktap(&String::from_utf8_lossy(&o.stdout));
    assert_eq!(ktap.results.len(), 5);
    let failed = ktap.results.iter().filter(|r| !r.0).count();
    match o.status.code() {
        // Held to the pre-6.7 parser, a 6.7+ kernel fails the semantics case.
        Some(1) => assert!(failed >= 1),
        Some(4) => assert!(
            ktap.results
                .iter()
                .all(|r| r.2.as_deref().is_some_and(|d| d.starts_with("SKIP")))
        ),
        other => panic!("status {other:?}: {}", stderr(&o)),
    }
}

fn schema_validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../report/report.schema.json")).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn json_report(args: &[&str]) -> (Output, serde_json::Value) {
    let o = run(&[args, &["--format", "json"]].concat());
    assert_no_panic(&o);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)));
    let errors: Vec<String> = schema_validator()
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        doc["exit_status"].as_i64(),
        o.status.code().map(i64::from),
        "exit_status field"
    );
    (o, doc)
}

#[test]
fn json_follows_its_schema() {
    let (o, doc) = json_report(&FEW);
    assert_eq!(doc["cases"].as_array().unwrap().len(), 5);
    // The matrix reads the same report from each guest.
    let read = tcpmd5_vm::suite_report::parse(&o.stdout, "the report").unwrap();
    assert_eq!(read.cases.len(), 5);
    // The typed defect status the matrix reads back is the one written.
    let written: Vec<&str> = doc["known_defects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["status"].as_str().unwrap())
        .collect();
    let read_back: Vec<&str> = read.known_defects.iter().map(|d| d.status.id()).collect();
    assert_eq!(read_back, written);
    assert_eq!(
        read.environment.unwrap().semantics.id(),
        doc["environment"]["semantics"].as_str().unwrap()
    );
    let (_, skipped) = {
        let o = without_namespaces(&[&FEW[..], &["--format", "json"]].concat());
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(schema_validator().is_valid(&doc));
        (o, doc)
    };
    assert_eq!(skipped["result"], "nothing-ran");
    assert_eq!(skipped["environment"]["status"], "unsupported");
    let read = tcpmd5_vm::suite_report::parse(
        serde_json::to_string(&skipped).unwrap().as_bytes(),
        "the report",
    )
    .unwrap();
    assert!(read.environment.is_err());
}

/// Issue: a kernel judged against its own behaviour always passes. Held to
/// the semantics of a kernel before 6.7, a 6.7+ kernel must fail, and the
/// semantics case must say so with the probes' evidence.
#[test]
fn wrong_semantics_fails() {
    let (o, doc) = json_report(&[
        "--semantics",
        "linux-legacy",
        "--filter",
        "semantics/",
        "--filter",
        "layouts-key/",
    ]);
    let env = &doc["environment"];
    if env["status"] != "available" {
        assert!(std::env::var("CI").is_err(), "CI must run the suite: {env}");
        eprintln!("SKIP wrong_semantics_fails: {env}");
        return;
    }
    assert_eq!(env["semantics"], "linux-legacy");
    assert_eq!(env["semantics_source"], "command-line");
    if env["implied_semantics"] == "linux-legacy" {
        eprintln!("SKIP wrong_semantics_fails: this kernel is pre-6.7");
        return;
    }
    assert_eq!(o.status.code(), Some(1));
    let cases = doc["cases"].as_array().unwrap();
    let semantics = cases
        .iter()
        .find(|c| c["id"] == "semantics/probes/ipv4")
        .unwrap();
    assert_eq!(semantics["status"], "fail", "{semantics}");
    assert!(
        semantics["reason"].as_str().unwrap().contains("probes fit"),
        "{semantics}"
    );
    assert!(
        semantics["notes"][0].as_str().unwrap().contains("layout"),
        "{semantics}"
    );
    let failed = cases.iter().filter(|c| c["status"] == "fail").count();
    eprintln!(
        "--semantics linux-legacy: {failed} of {} cases fail",
        cases.len()
    );
    assert!(failed > 1);
    // And held to its own version's semantics, the same cases pass.
    let (right, _) = json_report(&["--filter", "semantics/", "--filter", "layouts-key/"]);
    assert_eq!(right.status.code(), Some(0), "{}", stderr(&right));
}

#[test]
fn junit_parses() {
    let o = run(&[
        &FEW[..],
        &["--format", "junit", "--semantics", "linux-legacy"],
    ]
    .concat());
    assert_no_panic(&o);
    let xml = String::from_utf8(o.stdout).unwrap();
    let report = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    let cases: Vec<&quick_junit::TestCase> = report
        .test_suites
        .iter()
        .flat_map(|s| s.test_cases.iter())
        .collect();
    assert_eq!(cases.len(), 5);
    for c in &cases {
        if let quick_junit::TestCaseStatus::NonSuccess { message, .. }
        | quick_junit::TestCaseStatus::Skipped { message, .. } = &c.status
        {
            assert!(
                message.as_ref().is_some_and(|m| !m.as_str().is_empty()),
                "{c:?}"
            );
        }
    }
}

#[test]
fn probe_honours_format() {
    let o = run(&["probe", "--format", "json"]);
    assert_no_panic(&o);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    match o.status.code() {
        Some(0) => assert_eq!(doc["status"], "available", "{doc}"),
        Some(4) => assert_eq!(doc["status"], "unsupported", "{doc}"),
        other => panic!("status {other:?}: {}", stderr(&o)),
    }
    let human = run(&["probe"]);
    assert!(!String::from_utf8(human.stdout).unwrap().starts_with('{'));
}

/// Issue: a failed environment probe was a green run. Starved of file
/// descriptors, the probe cannot build its lab: that is a harness error
/// (status 1, every case an error with the cause), never a skip.
#[test]
fn broken_probe_is_an_error() {
    let o = Command::new("prlimit")
        .args(["--nofile=6:6", BIN])
        .args(FEW)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_no_panic(&o);
    let doc: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
    assert!(schema_validator().is_valid(&doc));
    if doc["environment"]["status"] == "unsupported" {
        assert!(std::env::var("CI").is_err(), "CI must run the suite: {doc}");
        eprintln!("SKIP broken_probe_is_an_error: {}", doc["environment"]);
        return;
    }
    assert_eq!(doc["environment"]["status"], "probe-failed", "{doc}");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(doc["result"], "fail");
    for c in doc["cases"].as_array().unwrap() {
        assert_eq!(c["status"], "error", "{c}");
        assert!(
            c["reason"]
                .as_str()
                .unwrap()
                .contains("Too many open files"),
            "{c}"
        );
    }
}

/// Issue: a root run left tracefs mounted for good. Where no tracefs is
/// mounted (here: a private mount namespace with every tracefs unmounted),
/// the suite mounts its own, detached at once: the tracepoint witness works
/// and nothing is mounted afterwards (`--check-leftovers` checks it too).
#[test]
fn private_tracefs_leaves_nothing_mounted() {
    let script = r#"umount -a -t tracefs 2>/dev/null
"$0" "$@"; rc=$?
echo "tracefs mounts after: $(grep -c ' - tracefs ' /proc/self/mountinfo)" >&2
exit $rc"#;
    let o = Command::new("unshare")
        .args([
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            script,
            BIN,
        ])
        .args(FEW)
        .args(["--format", "json", "--check-leftovers"])
        .output()
        .unwrap();
    if unshare_unavailable("private_tracefs_leaves_nothing_mounted", &o) {
        return;
    }
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("tracefs mounts after: 0"),
        "{}",
        stderr(&o)
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["environment"]["privilege"], "root");
    assert!(doc["environment"]["tracing_unavailable"].is_null(), "{doc}");
}

/// Issue: root inside `unshare -Ur` was taken for real root (and could not
/// `setns` back). Privilege comes from capabilities in the initial user
/// namespace: there it is rootless, runs, and leaves nothing behind.
#[test]
fn root_in_a_user_namespace_is_rootless() {
    let o = Command::new("unshare")
        .args(["--user", "--map-root-user", BIN])
        .args(FEW)
        .args(["--format", "json", "--check-leftovers"])
        .output()
        .unwrap();
    if unshare_unavailable("root_in_a_user_namespace_is_rootless", &o) {
        return;
    }
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("leftover"), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["environment"]["privilege"], "rootless");
}

/// The schema's defect statuses are the type's, spelled the same.
#[test]
fn defect_statuses_are_the_schemas() {
    fn status_enum(v: &serde_json::Value) -> Option<Vec<String>> {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(serde_json::Value::Array(e)) = m.get("enum")
                    && e.iter().any(|x| x == "present")
                {
                    return Some(
                        e.iter()
                            .filter_map(|x| x.as_str().map(str::to_owned))
                            .collect(),
                    );
                }
                m.values().find_map(status_enum)
            }
            serde_json::Value::Array(a) => a.iter().find_map(status_enum),
            _ => None,
        }
    }
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../report/report.schema.json")).unwrap();
    let ids: Vec<String> = tcpmd5_report::DefectStatus::ALL
        .iter()
        .map(|s| s.id().to_owned())
        .collect();
    assert_eq!(status_enum(&schema), Some(ids));
}
