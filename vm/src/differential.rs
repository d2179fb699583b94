//! The matrix's second step on every kernel: the model-vs-kernel
//! differential (`tcpmd5-conformance differential --format json`, shape
//! `conformance/differential.schema.json`), its arguments, its seed, and
//! what the matrix keeps of its report.

use serde::Serialize;

use crate::qemu::Accel;
use tcpmd5::Semantics;
use tcpmd5_report::ExitStatus;
pub use tcpmd5_report::differential::Disagreement;
use tcpmd5_report::differential::{Body, Report, SCHEMA_VERSION};

use crate::suite_report::from_serial;

/// Cases per family where the kernel runs at native speed (the host, KVM).
pub const NATIVE_CASES: u32 = 1000;
/// Cases per family under TCG, which runs them some ten times slower.
pub const TCG_CASES: u32 = 200;

/// Cases per family for a kernel run under `accel` (`None`: the host),
/// unless the command line says how many.
pub fn cases_for(requested: Option<u32>, accel: Option<Accel>) -> u32 {
    requested.unwrap_or(match accel {
        Some(Accel::Tcg) => TCG_CASES,
        _ => NATIVE_CASES,
    })
}

/// The differential's command line (`semantics`: hold the kernel to it).
pub fn args(cases: u32, seed: &str, semantics: Option<Semantics>) -> Vec<String> {
    let mut args = [
        "differential",
        "--cases",
        &cases.to_string(),
        "--seed",
        seed,
        "--format",
        "json",
    ]
    .map(str::to_owned)
    .to_vec();
    if let Some(s) = semantics {
        args.extend(["--semantics".to_owned(), s.id().to_owned()]);
    }
    args
}

/// A seed as `--seed` takes it: 64 hex digits.
pub fn parse_seed(arg: &str) -> Result<String, String> {
    if arg.len() == 64 && arg.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(arg.to_ascii_lowercase())
    } else {
        Err(format!("{arg:?} is not 64 hex digits"))
    }
}

/// A fresh seed for one matrix run (every kernel gets the same, so their
/// differentials generate the same segments). Not secret.
pub fn fresh_seed() -> String {
    use std::hash::{BuildHasher, Hasher};
    let state = std::collections::hash_map::RandomState::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    (0u8..4)
        .map(|i| {
            let mut h = state.build_hasher();
            h.write_u8(i);
            h.write_u128(now);
            h.write_u32(std::process::id());
            format!("{:016x}", h.finish())
        })
        .collect()
}

/// One kernel's differential in the matrix.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DifferentialResult {
    /// Cases per family asked for.
    pub cases_per_family: u32,
    /// The seed (replays the run with `differential --seed`).
    pub seed: String,
    /// The semantics the kernel was held to.
    #[serde(serialize_with = "optional_semantics")]
    pub semantics: Option<Semantics>,
    /// kselftest status: 0 agreed everywhere, 1 a disagreement or error,
    /// 4 nothing could run.
    pub status: ExitStatus,
    /// Wall-clock seconds of the step.
    pub seconds: f64,
    /// Cases run over both families.
    pub cases: u64,
    /// Cases where kernel and model agreed.
    pub agreements: u64,
    /// Cases where they did not.
    pub disagreements: u64,
    /// Kernel verdicts resting on inference (no tracepoints).
    pub inferred: u64,
    /// What could not run, with the reason (`ipv6: ...`, or the run's).
    pub skipped: Vec<String>,
    /// Harness errors, or why there is no report.
    pub errors: Vec<String>,
    /// Every disagreement, with the segment and both verdicts.
    pub disagreement_cases: Vec<Disagreement>,
    /// The TCP-AO cases, per family (counted in `cases` too).
    pub ao: Vec<AoFamily>,
}

/// One family's TCP-AO cases in a kernel's differential.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AoFamily {
    /// `ipv4` or `ipv6`.
    pub family: String,
    /// Why none ran (no `CONFIG_TCP_AO`); never a pass.
    pub skipped: Option<String>,
    /// AO cases run.
    pub cases: u64,
    /// Cases where kernel and model agreed.
    pub agreements: u64,
    /// Cases where they did not.
    pub disagreements: u64,
    /// Wall time, seconds.
    pub seconds: f64,
}

impl AoFamily {
    /// The family's AO line (`ipv4 100/100 agree in 41.2 s, 2.4/s`, or why
    /// none ran).
    pub fn line(&self) -> String {
        match &self.skipped {
            Some(why) => format!("{} skipped: {why}", self.family),
            None => format!(
                "{} {}/{} agree in {:.1} s, {:.1}/s",
                self.family,
                self.agreements,
                self.cases,
                self.seconds,
                self.cases as f64 / self.seconds.max(1e-9)
            ),
        }
    }
}

impl DifferentialResult {
    /// Reads the report in `bytes`, written by a step that exited with
    /// `step_status` after `seconds`; `what` names it in errors. A missing
    /// or unreadable report is a failure, never a pass.
    pub fn read(
        bytes: &[u8],
        step_status: ExitStatus,
        seconds: f64,
        asked: (u32, &str),
        what: &str,
    ) -> DifferentialResult {
        let (cases_per_family, seed) = asked;
        let mut result = DifferentialResult {
            cases_per_family,
            seed: seed.to_owned(),
            semantics: None,
            status: ExitStatus::Fail,
            seconds,
            cases: 0,
            agreements: 0,
            disagreements: 0,
            inferred: 0,
            skipped: Vec::new(),
            errors: Vec::new(),
            disagreement_cases: Vec::new(),
            ao: Vec::new(),
        };
        let report = match from_serial::<Report>(bytes, what) {
            Ok(r) => r,
            Err(e) => {
                result.errors.push(e.to_string());
                return result;
            }
        };
        if report.schema_version != SCHEMA_VERSION {
            result.errors.push(format!(
                "{what}: schema version {}, this build reads {SCHEMA_VERSION}",
                report.schema_version
            ));
            return result;
        }
        match report.body {
            Body::Unavailable {
                unavailable,
                seed,
                cases_per_family,
            } => {
                result.cases_per_family = cases_per_family;
                if !seed.is_empty() {
                    result.seed = seed;
                }
                result.skipped.push(unavailable);
            }
            Body::Ran {
                total,
                seed,
                semantics,
                cases_per_family,
                families,
                ..
            } => {
                result.cases_per_family = cases_per_family;
                if !seed.is_empty() {
                    result.seed = seed;
                }
                result.semantics = Some(semantics);
                result.cases = total.cases;
                result.agreements = total.agreements;
                result.disagreements = total.disagreements;
                result.inferred = total.inferred;
                for f in families {
                    result.ao.push(AoFamily {
                        family: f.family.clone(),
                        skipped: f.ao.skipped.clone(),
                        cases: f.ao.cases,
                        agreements: f.ao.agreements,
                        disagreements: f.ao.disagreements,
                        seconds: f.ao.seconds,
                    });
                    if let Some(why) = f.skipped {
                        result.skipped.push(format!("{}: {why}", f.family));
                    }
                    if let Some(e) = f.error {
                        result.errors.push(format!("{}: {e}", f.family));
                    }
                    result.disagreement_cases.extend(f.disagreements);
                }
            }
        }
        // The report's verdict, when the process agrees with it.
        result.status = if step_status == report.exit_status {
            report.exit_status
        } else {
            result.errors.push(format!(
                "the differential exited with {step_status} but its report says {}",
                report.exit_status
            ));
            ExitStatus::Fail
        };
        result
    }
}

/// An optional semantics as its id (`null` when absent).
fn optional_semantics<S: serde::Serializer>(
    s: &Option<Semantics>,
    ser: S,
) -> Result<S::Ok, S::Error> {
    match s {
        Some(s) => ser.serialize_some(s.id()),
        None => ser.serialize_none(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Recorded from `matrix --kernel ao=<the AO kernel>
    /// --differential-cases 50`: 50 MD5 and 25 TCP-AO cases per family in
    /// a TCG guest, every one agreed.
    const AO_PASS: &str = include_str!("../testdata/differential-ao-pass.json");
    /// Recorded from `differential --cases 30 --semantics rfc2385` on a
    /// 6.18 kernel: the wrong semantics, so the kernel disagrees.
    const WRONG_SEMANTICS: &str = include_str!("../testdata/differential-wrong-semantics.json");

    #[test]
    fn a_recorded_guest_report_is_read_with_its_counts() {
        let r = DifferentialResult::read(
            AO_PASS.as_bytes(),
            ExitStatus::of_code(0),
            2.4,
            (50, "x"),
            "t",
        );
        assert_eq!(r.status, ExitStatus::Pass, "{r:?}");
        assert_eq!((r.cases, r.agreements, r.disagreements), (150, 150, 0));
        assert_eq!(r.cases_per_family, 50);
        assert_eq!(r.semantics, Semantics::from_id("linux-ao"));
        assert!(r.seed.starts_with("612cb53d"), "the report's seed wins");
        assert!(r.skipped.is_empty() && r.errors.is_empty());
        let ao: Vec<(&str, u64, u64)> =
            r.ao.iter()
                .map(|f| (f.family.as_str(), f.cases, f.agreements))
                .collect();
        assert_eq!(ao, [("ipv4", 25, 25), ("ipv6", 25, 25)]);
        assert!(r.ao[0].line().starts_with("ipv4 25/25 agree in "));
    }

    #[test]
    fn a_recorded_disagreement_names_the_segment_and_both_verdicts() {
        let r = DifferentialResult::read(
            WRONG_SEMANTICS.as_bytes(),
            ExitStatus::of_code(1),
            1.0,
            (30, "x"),
            "t",
        );
        assert_eq!(r.status, ExitStatus::Fail);
        assert_eq!((r.cases, r.agreements, r.disagreements), (8, 6, 2));
        let first = &r.disagreement_cases[0];
        assert_eq!(first.family, "ipv4");
        assert_eq!(first.kind, "listener syn");
        assert_eq!(first.expected, "drop:TCP_AUTH_HDR");
        assert_eq!(first.observed, "accept");
        assert!(first.packet_hex.starts_with("45"), "an IPv4 packet");
        assert_eq!(r.disagreement_cases.len(), 4, "first and shrunk per family");
        // 6.18 without CONFIG_TCP_AO: the AO share is skipped, not passed.
        assert!(r.ao.iter().all(|f| {
            f.cases == 0
                && f.skipped
                    .as_deref()
                    .is_some_and(|s| s.contains("CONFIG_TCP_AO"))
        }));
    }

    #[test]
    fn a_missing_or_contradicted_report_is_a_failure() {
        let r =
            DifferentialResult::read(b"", ExitStatus::of_code(0), 0.0, (50, "seed"), "k report");
        assert_eq!(r.status, ExitStatus::Fail);
        assert!(r.errors[0].starts_with("k report: "), "{:?}", r.errors);
        assert_eq!(r.seed, "seed");
        let r = DifferentialResult::read(
            AO_PASS.as_bytes(),
            ExitStatus::of_code(1),
            0.0,
            (50, "x"),
            "t",
        );
        assert_eq!(r.status, ExitStatus::Fail, "the process failed");
    }

    #[test]
    fn an_unavailable_environment_is_a_skip_with_its_reason() {
        let json = r#"{"schema_version":2,"tool":"tcpmd5-conformance differential","result":"nothing-ran","exit_status":4,"unavailable":"no CONFIG_TCP_MD5SIG","seed":"ab","cases_per_family":9}"#;
        let r =
            DifferentialResult::read(json.as_bytes(), ExitStatus::of_code(4), 0.1, (9, "ab"), "t");
        assert_eq!(r.status, ExitStatus::Skip);
        assert_eq!(r.skipped, ["no CONFIG_TCP_MD5SIG"]);
        assert_eq!(r.cases, 0);
        assert!(r.ao.is_empty());
    }

    #[test]
    fn tcg_runs_fewer_cases_unless_told() {
        assert_eq!(cases_for(None, Some(Accel::Tcg)), TCG_CASES);
        assert_eq!(cases_for(None, Some(Accel::Kvm)), NATIVE_CASES);
        assert_eq!(cases_for(None, None), NATIVE_CASES);
        assert_eq!(cases_for(Some(0), Some(Accel::Tcg)), 0);
        const { assert!(TCG_CASES < NATIVE_CASES) };
    }

    #[test]
    fn seeds_are_64_hex_digits() {
        let s = fresh_seed();
        assert_eq!(parse_seed(&s), Ok(s.clone()));
        assert_ne!(s, fresh_seed());
        assert!(parse_seed("abc").is_err());
        assert!(parse_seed(&"g".repeat(64)).is_err());
    }
}
