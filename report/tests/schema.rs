//! The JSON the contract's types write follows the schemas, and reads back
//! into the same values.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

use tcpmd5::{DropReason, Family, Semantics, VerdictId};
use tcpmd5_report::differential::{self, Body, FamilyReport};
use tcpmd5_report::{
    Behaviour, CaseReport, Counts, DefectFinding, DefectStatus, Environment, ExitStatus,
    KnownDefect, Outcome, RunResult, SCHEMA_VERSION, SemanticsSource, Status, Step, Steps,
    SuiteReport, Unavailable,
};

fn errors(schema: &str, doc: &serde_json::Value) -> Vec<String> {
    let schema: serde_json::Value = serde_json::from_str(schema).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

fn suite_report(environment: Result<Environment, Unavailable>) -> SuiteReport {
    let linux = Semantics::Linux { tcp_ao: false };
    let mut total = Counts::default();
    let cases = vec![
        CaseReport {
            id: "ao-bypass/data-on-md5-session/ipv4".to_owned(),
            area: "ao-bypass".to_owned(),
            family: "ipv4".to_owned(),
            summary: "AO-only data".to_owned(),
            outcome: Outcome::ExpectedFail("known defect ao-bypass".to_owned()),
            known_defect: Some("ao-bypass".to_owned()),
            steps: Steps(vec![Step::new(VerdictId::Accept, VerdictId::Accept)]),
            notes: vec!["TcpExt: no counter moved".to_owned()],
            duration: Duration::from_millis(12),
        },
        CaseReport {
            id: "listener-syn/unsigned/ipv6".to_owned(),
            area: "listener-syn".to_owned(),
            family: "ipv6".to_owned(),
            summary: "an unsigned SYN".to_owned(),
            outcome: Outcome::Pass,
            known_defect: None,
            steps: Steps(vec![Step::new(
                VerdictId::Drop(DropReason::AuthHeader),
                Behaviour::Inferred(VerdictId::Drop(DropReason::AuthHeader)),
            )]),
            notes: Vec::new(),
            duration: Duration::from_millis(3),
        },
        CaseReport {
            id: "vrf/binding/ipv4".to_owned(),
            area: "vrf".to_owned(),
            family: "ipv4".to_owned(),
            summary: "VRF".to_owned(),
            outcome: Outcome::Skip("no CONFIG_NET_VRF".to_owned()),
            known_defect: None,
            steps: Steps::default(),
            notes: Vec::new(),
            duration: Duration::ZERO,
        },
    ];
    for c in &cases {
        total.add(c.outcome.status());
    }
    let result = RunResult::of(&total);
    SuiteReport {
        schema_version: SCHEMA_VERSION,
        tool: "tcpmd5-conformance".to_owned(),
        version: "0.1.0".to_owned(),
        environment,
        result,
        exit_status: result.exit_status(),
        duration: Duration::from_millis(1500),
        total,
        areas: BTreeMap::from([("ao-bypass".to_owned(), total)]),
        families: BTreeMap::from([("ipv4".to_owned(), total)]),
        known_defects: vec![DefectFinding {
            defect: KnownDefect {
                id: Cow::Borrowed("ao-bypass"),
                advisory: Cow::Borrowed("docs/advisories/ao-bypass.md"),
                summary: Cow::Borrowed("a TCP-AO option in place of MD5 skips the MD5 check"),
                affected: Cow::Owned(vec![linux]),
                fixed: Semantics::LinuxAoBypassFixed,
            },
            status: DefectStatus::Present,
            cases: vec!["ao-bypass/data-on-md5-session/ipv4".to_owned()],
            shown: 0,
            not_passed: 0,
        }],
        rfc2385_deviations: Vec::new(),
        cases,
    }
}

fn environment() -> Environment {
    let linux = Semantics::Linux { tcp_ao: false };
    Environment {
        kernel_release: "6.18.0".to_owned(),
        kernel_version: None,
        privilege: "root".to_owned(),
        ipv6: true,
        tcp_ao: false,
        vrf: Some(true),
        tracing_unavailable: None,
        semantics: linux,
        semantics_source: SemanticsSource::KernelVersion,
        semantics_reason: "kernel 6.18".to_owned(),
        implied_semantics: linux,
        observed_semantics: vec![linux],
        semantics_probes: vec!["signed SYN: the kernel accepted it".to_owned()],
    }
}

#[test]
fn the_suite_report_follows_its_schema_and_reads_back() {
    for env in [
        Ok(environment()),
        Err(Unavailable::Unsupported("no CONFIG_TCP_MD5SIG".to_owned())),
        Err(Unavailable::ProbeFailed("no lab".to_owned())),
    ] {
        let report = suite_report(env);
        let doc = serde_json::to_value(&report).unwrap();
        let found = errors(include_str!("../report.schema.json"), &doc);
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(doc["schema_version"], SCHEMA_VERSION);
        assert_eq!(doc["cases"][1]["observed"], "drop:TCP_AUTH_HDR (inferred)");
        let back: SuiteReport = serde_json::from_value(doc).unwrap();
        assert_eq!(back, report);
        assert_eq!(back.cases[0].outcome.status(), Status::Xfail);
    }
}

#[test]
fn the_schema_refuses_a_verdict_in_words() {
    let mut doc = serde_json::to_value(suite_report(Ok(environment()))).unwrap();
    doc["cases"][0]["steps"][0]["observed"] = serde_json::json!({"verdict": "accepted"});
    assert!(!errors(include_str!("../report.schema.json"), &doc).is_empty());
    assert!(serde_json::from_value::<SuiteReport>(doc).is_err());
}

#[test]
fn the_differential_report_follows_its_schema_and_reads_back() {
    let mut v4 = FamilyReport::new(Family::V4);
    v4.kinds.insert(
        "listener syn".to_owned(),
        differential::KindStats {
            cases: 2,
            agreements: 2,
            disagreements: 0,
            seconds: 0.5,
        },
    );
    let v6 = FamilyReport {
        skipped: Some("the kernel has no IPv6".to_owned()),
        ..FamilyReport::new(Family::V6)
    };
    for (status, body) in [
        (
            ExitStatus::Pass,
            Body::Ran {
                total: differential::Total {
                    cases: 2,
                    agreements: 2,
                    skipped_families: 1,
                    ..differential::Total::default()
                },
                seed: "ab".repeat(32),
                semantics: Semantics::Linux { tcp_ao: true },
                kernel: "6.12.0".to_owned(),
                cases_per_family: 2,
                families: vec![v4, v6],
            },
        ),
        (
            ExitStatus::Skip,
            Body::Unavailable {
                unavailable: "no CONFIG_TCP_MD5SIG".to_owned(),
                seed: "ab".repeat(32),
                cases_per_family: 2,
            },
        ),
    ] {
        let report = differential::Report {
            schema_version: differential::SCHEMA_VERSION,
            tool: "tcpmd5-conformance differential".to_owned(),
            result: match status {
                ExitStatus::Pass => RunResult::Pass,
                ExitStatus::Fail => RunResult::Fail,
                ExitStatus::Skip => RunResult::NothingRan,
            },
            exit_status: status,
            body,
        };
        let doc = serde_json::to_value(&report).unwrap();
        let found = errors(include_str!("../differential.schema.json"), &doc);
        assert!(found.is_empty(), "{found:?}");
        let back: differential::Report = serde_json::from_value(doc).unwrap();
        assert_eq!(back, report);
    }
}
