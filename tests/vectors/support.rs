//! Shared helpers of the vector generator and checker. The records' spelling
//! (hex, scans, verdicts) is `tcpmd5_testkit::record`'s.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

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
