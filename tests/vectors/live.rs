//! Where each semantics' option expectation comes from: the live runs
//! recorded in `tests/vectors/observed/` (written by
//! `ci/regen/observe-layouts.sh` from the conformance suite's JSON report), the
//! RFC's text for `rfc2385`, or the model alone, said so.

use std::path::Path;

use serde_json::{Value, json};
use tcpmd5::Semantics;

use super::support::{RecordedRun, recorded_runs};

/// The RFC text a strict reading's option expectations follow.
const RFC_CITE: &str = "RFC 2385 section 3.0 (kind 19, length 18, one option), RFC 9293 section 3.1 (option list: EOL ends it, NOP pads, length covers kind and length bytes and stays within the area)";

/// Every recorded run, by file name.
pub(crate) fn observations() -> Vec<RecordedRun> {
    recorded_runs(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/observed"))
}

/// The conformance case sending `layout` to a listener with or without the
/// signing key, over `family` (`ipv4`, `ipv6`).
fn case_id(layout: &str, with_key: bool, family: &str) -> String {
    let area = if with_key {
        "layouts-key"
    } else {
        "layouts-nokey"
    };
    format!("{area}/{layout}/{family}")
}

/// The source of `semantics`' expectation for one option vector. A
/// recorded run of a kernel judged against `semantics` in which the case
/// did not pass (nor show a known defect the model predicts) is a
/// disagreement between kernel and model: the kernel wins, so generation
/// stops until the model is fixed.
pub(crate) fn source(
    observed: &[RecordedRun],
    semantics: Semantics,
    layout: &str,
    with_key: bool,
    family: &str,
) -> Value {
    if semantics == Semantics::Rfc2385 {
        return json!({"kind": "rfc", "cite": RFC_CITE});
    }
    let case = case_id(layout, with_key, family);
    let kernels: Vec<&str> = observed
        .iter()
        .filter(|o| o.semantics == semantics.id())
        .filter_map(|o| match o.cases.get(&case).map(String::as_str) {
            // XFAIL: the kernel did what the model predicts, a known
            // defect (the AO bypass on `linux`) the case reports.
            Some("pass" | "xfail") => Some(o.kernel.as_str()),
            Some(status) => panic!(
                "{case} on {} ({}): {status}; the kernel disagrees with the model",
                o.kernel, o.semantics
            ),
            None => None,
        })
        .collect();
    if kernels.is_empty() {
        json!({"kind": "model", "reason": format!(
            "derived from the model, not yet confirmed on a live kernel: no run of a {} kernel recorded ({})",
            semantics.id(),
            not_run_because(semantics)
        )})
    } else {
        json!({"kind": "live", "kernels": kernels, "case": case})
    }
}

/// Why no kernel of `semantics` has been run for the vectors yet.
fn not_run_because(semantics: Semantics) -> &'static str {
    match semantics {
        Semantics::Linux { tcp_ao: true } => {
            "needs a CONFIG_TCP_AO kernel: ci/build-ao-kernel.sh, then ci/regen/observe-layouts.sh --kernel ao=<bzImage>"
        }
        Semantics::LinuxAoBypassFixed => {
            "needs the patched kernel: ci/build-ao-kernel.sh --no-tcp-ao --patch docs/advisories/ao-bypass-fix.patch, then ci/regen/observe-layouts.sh --semantics linux-ao-bypass-fixed --kernel <bzImage>"
        }
        _ => "run ci/regen/observe-layouts.sh on such a kernel",
    }
}
