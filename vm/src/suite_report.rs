//! Reading back what the suite wrote: its JSON report is the
//! [`tcpmd5_report::SuiteReport`] contract, read with the same types; only
//! the serial port's framing is peeled off here.

use tcpmd5_report::{SCHEMA_VERSION, SuiteReport};

use crate::error::VmError;

/// Parses a suite report; `what` names it in errors. A report of another
/// schema version (a suite binary other than this one) is an error.
pub fn parse(bytes: &[u8], what: &str) -> Result<SuiteReport, VmError> {
    let report: SuiteReport = from_serial(bytes, what)?;
    if report.schema_version != SCHEMA_VERSION {
        return Err(VmError::Report {
            what: what.to_owned(),
            detail: format!(
                "schema version {}, this build reads {SCHEMA_VERSION}",
                report.schema_version
            ),
        });
    }
    Ok(report)
}

/// A JSON document as a guest's serial port (or a child's stdout) carries
/// it: from its first `{`; `what` names it in errors.
pub fn from_serial<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, VmError> {
    // A serial port may turn "\n" into "\r\n"; JSON ignores the "\r".
    let text = String::from_utf8_lossy(bytes);
    let start = text.find('{').unwrap_or(0);
    serde_json::from_str(text.get(start..).unwrap_or_default()).map_err(|e| VmError::Report {
        what: what.to_owned(),
        detail: format!("{e} (report {} bytes)", bytes.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recorded from `tcpmd5-conformance --format json --semantics
    /// linux-legacy --filter semantics/ --filter
    /// ao-bypass/data-on-md5-session/ipv4` on 6.18: held to the wrong
    /// semantics, both cases fail.
    pub(crate) const REPORT: &str = include_str!("../testdata/report.json");

    #[test]
    fn a_report_is_read_with_carriage_returns() {
        let serial = format!("boot noise\r\n{}", REPORT.replace('\n', "\r\n"));
        let r = parse(serial.as_bytes(), "t").expect("parses");
        let env = r.environment.expect("available");
        assert_eq!(env.semantics, tcpmd5::Semantics::LinuxLegacy);
        assert!(!r.cases.is_empty());
        assert_eq!(
            r.total.exit_status(),
            tcpmd5_report::ExitStatus::of_code(i32::from(r.exit_status.code()))
        );
    }

    #[test]
    fn another_schema_version_is_refused() {
        let old = REPORT.replacen(
            &format!("\"schema_version\": {SCHEMA_VERSION}"),
            "\"schema_version\": 2",
            1,
        );
        let e = parse(old.as_bytes(), "t").expect_err("version 2");
        assert!(e.to_string().contains("schema version 2"), "{e}");
    }

    #[test]
    fn an_environment_without_support_is_its_reason() {
        let v: serde_json::Value = serde_json::from_str(REPORT).expect("json");
        for (status, want) in [
            ("unsupported", "no CONFIG_TCP_MD5SIG"),
            (
                "probe-failed",
                "environment probe failed: no CONFIG_TCP_MD5SIG",
            ),
        ] {
            let mut v = v.clone();
            v["environment"] =
                serde_json::json!({"status": status, "reason": "no CONFIG_TCP_MD5SIG"});
            let r = parse(v.to_string().as_bytes(), "t").expect("parses");
            assert_eq!(r.environment.expect_err("no environment").to_string(), want);
        }
    }
}
