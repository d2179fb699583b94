//! Tests of the report's formats.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
use super::*;

fn case(id: &str, outcome: Outcome) -> CaseRun {
    use crate::outcome::{Step, Steps};
    use tcpmd5::{DropReason, VerdictId};
    CaseRun {
        report: CaseReport {
            id: id.to_owned(),
            area: id.split('/').next().unwrap().to_owned(),
            family: "ipv4".to_owned(),
            summary: "s".to_owned(),
            outcome,
            known_defect: None,
            steps: Steps(vec![Step::new(
                VerdictId::Drop(DropReason::Md5Failure),
                "no reply",
            )]),
            notes: vec!["TCPMD5Failure +1".to_owned()],
            duration: Duration::from_millis(3),
        },
        exercises: Vec::new(),
        deviations: Vec::new(),
    }
}

fn sample() -> Report {
    Report::new(
        Err(Unavailable::Unsupported("no privilege".to_owned())),
        vec![
            case("a/one/ipv4", Outcome::Pass),
            case("a/two/ipv4", Outcome::Fail("wrong".to_owned())),
            case("b/three/ipv4", Outcome::Skip("no ipv6".to_owned())),
            case("b/four/ipv4", Outcome::Error("lab".to_owned())),
            case("b/five/ipv4", Outcome::ExpectedFail("known".to_owned())),
        ],
        KNOWN_DEFECTS,
        Duration::from_millis(1500),
    )
}

#[test]
fn results_and_exit_statuses() {
    assert_eq!(sample().result(), RunResult::Fail);
    let skipped = Report::new(
        Err(Unavailable::Unsupported("x".to_owned())),
        vec![case("a/x/ipv4", Outcome::Skip("x".to_owned()))],
        KNOWN_DEFECTS,
        Duration::ZERO,
    );
    assert_eq!(skipped.result(), RunResult::NothingRan);
    assert_eq!(skipped.result().exit_status().code(), 4);
    assert!(skipped.human(false).contains("NOTHING RAN"));
    assert!(!skipped.human(false).contains("no divergence"));
    let passed = Report::new(
        Err(Unavailable::Unsupported("x".to_owned())),
        vec![case("a/x/ipv4", Outcome::Pass)],
        KNOWN_DEFECTS,
        Duration::ZERO,
    );
    assert_eq!(passed.result().exit_status().code(), 0);
}

#[test]
fn ktap_diagnostics_precede_their_result() {
    let text = sample().ktap();
    let lines: Vec<&str> = text.lines().collect();
    let not_ok = lines
        .iter()
        .position(|l| *l == "not ok 2 a/two/ipv4")
        .unwrap();
    assert_eq!(lines[not_ok - 1], "# a/two/ipv4: TCPMD5Failure +1");
    assert!(lines[..not_ok].contains(&"# a/two/ipv4: wrong"));
    assert!(lines.contains(&"ok 3 b/three/ipv4 # SKIP no ipv6"));
}

#[test]
fn json_matches_its_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../../report/report.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&sample().json().unwrap()).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(doc["environment"]["status"], "unsupported");
    assert_eq!(doc["cases"][1]["status"], "fail");
    assert_eq!(doc["duration_ms"], 1500.0);
    assert_eq!(doc["cases"][1]["expected"], "drop:TCP_MD5FAILURE");
    assert_eq!(
        doc["cases"][1]["steps"][0]["expected"]["verdict"],
        "drop:TCP_MD5FAILURE"
    );
    assert_eq!(doc["cases"][1]["steps"][0]["observed"]["words"], "no reply");
    // What the matrix reads back is what was written.
    let back: SuiteReport = serde_json::from_value(doc).unwrap();
    assert_eq!(back, sample().0);
}

/// An affected kernel's run: one case shows the AO bypass.
fn affected_run() -> Report {
    use tcpmd5::Semantics;
    let linux = Semantics::Linux { tcp_ao: false };
    let env = Environment {
        semantics_probes: Vec::new(),
        ..crate::environment::test_environment(linux, vec![linux])
    };
    let bypass = KNOWN_DEFECTS.iter().find(|d| d.id == "ao-bypass").unwrap();
    let mut shown = case(
        "ao-bypass/data-on-md5-session/ipv4",
        Outcome::ExpectedFail(known_defect::xfail_reason(bypass)),
    );
    shown.report.known_defect = Some(bypass.id.to_string());
    shown.exercises = vec![bypass.id.to_string()];
    shown.deviations = crate::deviation::of(&crate::known_defect::tests::ao_data(), linux)
        .into_iter()
        .collect();
    Report::new(
        Ok(env),
        vec![shown, case("a/one/ipv4", Outcome::Pass)],
        KNOWN_DEFECTS,
        Duration::from_millis(10),
    )
}

#[test]
fn a_known_defect_is_an_xfail_everywhere() {
    let r = affected_run();
    assert_eq!(r.result(), RunResult::Pass);
    let human = r.human(false);
    let header = human.lines().find(|l| l.starts_with("security ")).unwrap();
    assert!(header.contains("KNOWN DEFECT ao-bypass"), "{header}");
    assert!(
        human.contains("SECURITY: known defect ao-bypass PRESENT"),
        "{human}"
    );
    assert!(
        human.contains("[security-relevant] a TCP-AO option"),
        "{human}"
    );
    assert!(!human.contains("no divergence"), "{human}");
    let ktap = r.ktap();
    assert!(
        ktap.contains("ok 1 ao-bypass/data-on-md5-session/ipv4 # XFAIL known defect ao-bypass"),
        "{ktap}"
    );
    assert!(ktap.contains("# Totals: pass:1 fail:0 xfail:1"), "{ktap}");
    let doc: serde_json::Value = serde_json::from_str(&r.json().unwrap()).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../../report/report.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(doc["known_defects"][0]["id"], "ao-bypass");
    assert_eq!(doc["known_defects"][0]["status"], "present");
    assert_eq!(doc["cases"][0]["status"], "xfail");
    assert_eq!(doc["cases"][0]["known_defect"], "ao-bypass");
    assert_eq!(doc["rfc2385_deviations"][0]["impact"], "security-relevant");
    let xml = r.junit().unwrap();
    assert!(
        xml.contains("<skipped message=\"XFAIL known defect ao-bypass"),
        "{xml}"
    );
}

#[test]
fn junit_round_trips() {
    let xml = sample().junit().unwrap();
    let parsed = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    let cases: usize = parsed.test_suites.iter().map(|s| s.test_cases.len()).sum();
    assert_eq!(cases, 5);
    assert_eq!(parsed.test_suites.len(), 2);
}
