//! The matrix's unit tests.

use super::differences::*;
use super::report::*;
use super::runs::*;
use super::*;
use crate::differential::DifferentialResult;
use crate::differential::Disagreement;
use tcpmd5::{Semantics, VerdictId};
use tcpmd5_report::{
    Behaviour, CaseReport, Counts, Environment, ExitStatus, Outcome, SemanticsSource, Step, Steps,
};

fn environment(semantics: &str) -> Environment {
    let semantics = Semantics::from_id(semantics).unwrap();
    Environment {
        kernel_release: "6.x".to_owned(),
        kernel_version: None,
        privilege: "root".to_owned(),
        ipv6: true,
        tcp_ao: false,
        vrf: None,
        tracing_unavailable: None,
        semantics,
        semantics_source: SemanticsSource::KernelVersion,
        semantics_reason: "by version".to_owned(),
        implied_semantics: semantics,
        observed_semantics: vec![semantics],
        semantics_probes: Vec::new(),
    }
}

/// A case's outcome from its status label.
fn outcome(status: &str) -> Outcome {
    match status {
        "pass" => Outcome::Pass,
        "xfail" => Outcome::ExpectedFail("known".to_owned()),
        "skip" => Outcome::Skip("skipped".to_owned()),
        "error" => Outcome::Error("lab".to_owned()),
        _ => Outcome::Fail("differs".to_owned()),
    }
}

/// What a kernel did, as a step: a verdict where `observed` is one.
fn observed(observed: &str) -> Behaviour {
    match observed.parse::<VerdictId>() {
        Ok(v) => Behaviour::Verdict(v),
        Err(_) => Behaviour::Words(observed.to_owned()),
    }
}

fn kernel(label: &str, semantics: &str, cases: &[(&str, &str, &str)]) -> KernelResult {
    KernelResult {
        label: label.to_owned(),
        spec: label.to_owned(),
        environment: Some(environment(semantics)),
        accel: RanOn::Qemu(crate::qemu::Accel::Tcg),
        kvm_fallback: None,
        boot_seconds: 1.0,
        suite_seconds: 2.0,
        counts: Counts::default(),
        suite_status: ExitStatus::Pass,
        differential: None,
        status: ExitStatus::Pass,
        error: None,
        known_defects: Vec::new(),
        cases: cases
            .iter()
            .map(|(id, st, obs)| CaseReport {
                id: (*id).to_owned(),
                area: String::new(),
                family: "ipv4".to_owned(),
                summary: String::new(),
                outcome: outcome(st),
                known_defect: None,
                steps: Steps(if obs.is_empty() {
                    Vec::new()
                } else {
                    vec![Step::new("model", observed(obs))]
                }),
                notes: Vec::new(),
                duration: std::time::Duration::ZERO,
            })
            .collect(),
    }
}

fn matrix_args(argv: &[&str]) -> MatrixArgs {
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        matrix: MatrixArgs,
    }
    let argv = std::iter::once("matrix").chain(argv.iter().copied());
    <Cli as clap::Parser>::try_parse_from(argv).unwrap().matrix
}

#[test]
fn a_kernel_is_held_to_a_semantics_by_its_label() {
    let args = matrix_args(&[
        "--kernel",
        "fixed=/k/bzImage",
        "--kernel",
        "fixed.held=/k/bzImage",
        "--host",
        "--semantics-for",
        "fixed.held=linux-ao-bypass-fixed",
        "--semantics-for",
        "host=linux",
    ]);
    let held = held_semantics(&args).unwrap();
    let plan = Plan {
        suite_args: &["--format".to_owned(), "json".to_owned()],
        seed: "00",
        differential_cases: None,
        held,
    };
    assert_eq!(plan.suite_args_for("fixed"), ["--format", "json"]);
    assert_eq!(
        plan.suite_args_for("fixed.held"),
        ["--format", "json", "--semantics", "linux-ao-bypass-fixed"]
    );
    assert_eq!(
        plan.differential_args_for("fixed.held", 5)[7..],
        ["--semantics", "linux-ao-bypass-fixed"]
    );
    assert_eq!(plan.differential_args_for("fixed", 5).len(), 7);
    assert_eq!(plan.suite_args_for("host")[2..], ["--semantics", "linux"]);
}

#[test]
fn semantics_for_an_unknown_label_or_twice_is_refused() {
    for argv in [
        &["--kernel", "a=/k", "--semantics-for", "b=linux"][..],
        &["--kernel", "/k", "--semantics-for", "/k=linux"][..],
        &["--kernel", "a=/k", "--semantics-for", "host=linux"][..],
        &["--kernel", "a=/k", "--semantics-for", "a"][..],
        &[
            "--kernel",
            "a=/k",
            "--semantics-for",
            "a=linux",
            "--semantics-for",
            "a=linux-ao",
        ][..],
    ] {
        assert!(held_semantics(&matrix_args(argv)).is_err(), "{argv:?}");
    }
}

#[test]
fn a_changed_behaviour_names_the_semantics_that_predicted_each_side() {
    let ks = vec![
        kernel(
            "6.1",
            "linux-legacy",
            &[
                ("len17", "pass", "accepted unsigned"),
                ("same", "pass", "dropped"),
            ],
        ),
        kernel(
            "6.12",
            "linux",
            &[
                ("len17", "pass", "dropped TCP_AUTH_HDR"),
                ("same", "pass", "dropped"),
            ],
        ),
        kernel(
            "ao",
            "linux-ao",
            &[("len17", "skip", ""), ("same", "pass", "dropped")],
        ),
    ];
    let d = differences(&ks);
    assert_eq!(d.len(), 1);
    let d = d.first().expect("one difference");
    assert_eq!(d.id, "len17");
    assert_eq!(d.kernels.len(), 2, "the skipped kernel has no side");
    assert_eq!(
        d.kernels.first().map(|s| s.predicted_by.clone()),
        Some(vec![Semantics::LinuxLegacy])
    );
    let human = MatrixReport {
        kernels: ks,
        differences: vec![d.clone()],
    }
    .human();
    assert!(
        human.contains("6.12    pass  dropped TCP_AUTH_HDR  [predicted by linux]"),
        "{human}"
    );
}

/// One kernel has tracepoints, another not: the verdict inferred from
/// silence is the same behaviour as the one a tracepoint showed.
#[test]
fn an_inferred_verdict_is_the_behaviour_it_infers() {
    let mut traced = kernel("traced", "linux", &[("x", "pass", "drop:TCP_AUTH_HDR")]);
    let untraced = kernel("untraced", "linux", &[("x", "pass", "drop:TCP_AUTH_HDR")]);
    assert!(differences(&[traced.clone(), untraced.clone()]).is_empty());
    let mut inferred = untraced;
    for c in &mut inferred.cases {
        for step in &mut c.steps.0 {
            step.observed = Behaviour::Inferred("drop:TCP_AUTH_HDR".parse().unwrap());
        }
    }
    assert!(differences(&[traced.clone(), inferred]).is_empty());
    traced.cases[0].steps.0[0].observed = observed("accept");
    assert_eq!(
        differences(&[
            traced,
            kernel("b", "linux", &[("x", "pass", "drop:TCP_AUTH_HDR")])
        ])
        .len(),
        1
    );
}

#[test]
fn families_fold_when_they_agree() {
    let ks = vec![
        kernel(
            "a",
            "linux-legacy",
            &[
                ("x/y/ipv4", "pass", "1"),
                ("x/y/ipv6", "pass", "1"),
                ("z/ipv4", "pass", "1"),
                ("z/ipv6", "pass", "3"),
            ],
        ),
        kernel(
            "b",
            "linux",
            &[
                ("x/y/ipv4", "pass", "2"),
                ("x/y/ipv6", "pass", "2"),
                ("z/ipv4", "pass", "2"),
                ("z/ipv6", "pass", "2"),
            ],
        ),
    ];
    let ids: Vec<String> = differences(&ks).into_iter().map(|d| d.id).collect();
    assert_eq!(ids, ["x/y/{ipv4,ipv6}", "z/ipv4", "z/ipv6"]);
}

#[test]
fn one_failing_kernel_fails_the_matrix_and_nothing_run_is_no_pass() {
    let mut bad = kernel("a", "linux", &[]);
    bad.status = ExitStatus::Fail;
    let good = kernel("b", "linux", &[]);
    let r = MatrixReport {
        kernels: vec![bad, good],
        differences: vec![],
    };
    assert_eq!(r.status(), ExitStatus::Fail);
    let mut skipped = kernel("c", "linux", &[]);
    skipped.status = ExitStatus::Skip;
    let r = MatrixReport {
        kernels: vec![skipped],
        differences: vec![],
    };
    assert_eq!(r.status(), ExitStatus::Skip);
    assert!(r.ktap().contains("ok 1 c # SKIP nothing ran"));
}

fn differential(status: ExitStatus, disagreement: Option<Disagreement>) -> DifferentialResult {
    DifferentialResult {
        cases_per_family: 200,
        seed: "5eed".to_owned(),
        semantics: Semantics::from_id("linux"),
        status,
        seconds: 12.5,
        cases: 400,
        agreements: 400 - u64::from(disagreement.is_some()),
        disagreements: u64::from(disagreement.is_some()),
        inferred: 0,
        skipped: Vec::new(),
        errors: Vec::new(),
        disagreement_cases: disagreement.into_iter().collect(),
        ao: Vec::new(),
    }
}

#[test]
fn a_differential_disagreement_fails_its_kernel_in_every_format() {
    let bad = Disagreement {
        family: "ipv4".to_owned(),
        kind: "listener syn".to_owned(),
        shrunk: true,
        packet_hex: "4500abcd".to_owned(),
        expected: "drop:TCP_AUTH_HDR".to_owned(),
        observed: "accept".to_owned(),
        problems: vec!["verdict differs".to_owned()],
        notes: Vec::new(),
    };
    let a = with_differential(
        kernel("a", "linux", &[("x", "pass", "1")]),
        Some(differential(ExitStatus::Fail, Some(bad))),
    );
    let b = with_differential(
        kernel("b", "linux", &[("x", "pass", "1")]),
        Some(differential(ExitStatus::Pass, None)),
    );
    assert_eq!(
        (a.suite_status, a.status),
        (ExitStatus::Pass, ExitStatus::Fail)
    );
    assert_eq!(b.status, ExitStatus::Pass);
    let r = MatrixReport {
        kernels: vec![a, b],
        differences: vec![],
    };
    assert_eq!(r.status(), ExitStatus::Fail);

    let human = r.human();
    assert!(
        human.contains(
            "DISAGREEMENT ipv4 listener syn (shrunk): kernel accept, model drop:TCP_AUTH_HDR; segment 4500abcd"
        ),
        "{human}"
    );
    assert!(human.contains("seed 5eed"), "{human}");
    assert!(
        human.contains("  b           0     0     0     0     0     400        0  pass"),
        "{human}"
    );

    let ktap = r.ktap();
    assert!(ktap.contains("    1..2\n    ok 1 x\n"), "{ktap}");
    assert!(
        ktap.contains(
            "    # differential: ipv4 listener syn: kernel accept, model drop:TCP_AUTH_HDR, segment 4500abcd\n    not ok 2 differential\n"
        ),
        "{ktap}"
    );
    assert!(ktap.contains("    ok 2 differential\n"), "{ktap}");
    assert!(ktap.contains("not ok 1 a\n"), "{ktap}");
    assert!(ktap.contains("ok 2 b\n"), "{ktap}");

    let json: serde_json::Value = serde_json::from_str(&r.json()).expect("json");
    let d = &json["kernels"][0]["differential"];
    assert_eq!(d["disagreements"], 1);
    assert_eq!(d["disagreement_cases"][0]["observed"], "accept");
    assert_eq!(d["disagreement_cases"][0]["expected"], "drop:TCP_AUTH_HDR");
    assert_eq!(json["kernels"][0]["status"], 1);
    assert_eq!(json["kernels"][0]["suite_status"], 0);
    assert_eq!(json["kernels"][0]["accel"], "tcg");
}

#[test]
fn a_skipped_differential_neither_passes_nor_fails_a_kernel() {
    let mut skipped = differential(ExitStatus::Skip, None);
    skipped.cases = 0;
    skipped.skipped = vec!["no CONFIG_TCP_MD5SIG".to_owned()];
    let mut k = kernel("a", "linux", &[]);
    k.suite_status = ExitStatus::Skip;
    let k = with_differential(k, Some(skipped.clone()));
    assert_eq!(k.status, ExitStatus::Skip);
    let k = with_differential(kernel("b", "linux", &[]), Some(skipped));
    assert_eq!(k.status, ExitStatus::Pass, "the suite passed");
    let r = MatrixReport {
        kernels: vec![k],
        differences: vec![],
    };
    assert!(
        r.ktap()
            .contains("ok 1 differential # SKIP no CONFIG_TCP_MD5SIG"),
        "{}",
        r.ktap()
    );
}

#[test]
fn labels_are_split_from_paths_only_before_an_equals_sign() {
    assert_eq!(split_label("ao=/tmp/bzImage"), (Some("ao"), "/tmp/bzImage"));
    assert_eq!(split_label("/a=b/bzImage"), (None, "/a=b/bzImage"));
    assert_eq!(
        split_label("linux-image-6.1.0-57-cloud-amd64"),
        (None, "linux-image-6.1.0-57-cloud-amd64")
    );
}

#[test]
fn a_known_defect_is_an_xfail_the_matrix_keeps() {
    // An affected kernel (the bypass XFAIL) and a patched one held to the fix
    // (PASS): both as predicted by their semantics, neither fails.
    let mut affected = kernel(
        "affected",
        "linux",
        &[("ao-bypass/data-on-md5-session/ipv4", "xfail", "accept")],
    );
    affected.known_defects = vec![tcpmd5_report::DefectFinding {
        defect: tcpmd5_report::KnownDefect {
            id: "ao-bypass".into(),
            advisory: "docs/advisories/ao-bypass.md".into(),
            summary: "a TCP-AO option in place of MD5 skips the MD5 check".into(),
            affected: vec![Semantics::Linux { tcp_ao: false }].into(),
            fixed: Semantics::LinuxAoBypassFixed,
        },
        status: tcpmd5_report::DefectStatus::Present,
        cases: vec!["ao-bypass/data-on-md5-session/ipv4".to_owned()],
        shown: 1,
        not_passed: 0,
    }];
    let fixed = kernel(
        "fixed",
        "linux-ao-bypass-fixed",
        &[(
            "ao-bypass/data-on-md5-session/ipv4",
            "pass",
            "drop:TCP_MD5NOTFOUND",
        )],
    );
    let kernels = vec![affected, fixed];
    let differences = super::differences::differences(&kernels);
    let sides = &differences.first().expect("the behaviour differs").kernels;
    assert_eq!(
        sides.first().map(|s| s.predicted_by.clone()),
        Some(vec![Semantics::Linux { tcp_ao: false }])
    );
    let r = MatrixReport {
        kernels,
        differences,
    };
    assert_eq!(r.status(), ExitStatus::Pass);
    let ktap = r.ktap();
    assert!(
        ktap.contains("ok 1 ao-bypass/data-on-md5-session/ipv4 # XFAIL"),
        "{ktap}"
    );
    assert!(!ktap.contains("not ok 1 ao-bypass"), "{ktap}");
    assert!(
        r.human()
            .contains("security: known defect ao-bypass PRESENT")
    );
}

/// A step's label stays with its behaviour, as on the case's line.
#[test]
fn a_labelled_step_keeps_its_label() {
    let mut a = kernel("a", "linux", &[("vrf/x/ipv4", "pass", "accept")]);
    let b = kernel(
        "b",
        "linux",
        &[("vrf/x/ipv4", "pass", "drop:TCP_MD5NOTFOUND")],
    );
    let mut b_labelled = b.clone();
    for k in [&mut a, &mut b_labelled] {
        for c in &mut k.cases {
            c.steps.label("unsigned");
        }
    }
    let d = differences(&[a.clone(), b_labelled]);
    let sides: Vec<String> = d[0].kernels.iter().map(|s| words(&s.observed)).collect();
    assert_eq!(
        sides,
        ["unsigned: accept", "unsigned: drop:TCP_MD5NOTFOUND"]
    );
    // Only the label differs: still a difference of the line.
    let mut same = a.clone();
    for c in &mut same.cases {
        c.steps.0[0].label = None;
    }
    assert_eq!(differences(&[a, same]).len(), 1);
}
