//! Known kernel defects: behaviours the model predicts (because the kernel
//! has them) that are security defects all the same. A case whose segments
//! the model judges differently under an affected semantics and under the
//! defect's fixed semantics *exercises* the defect; on a kernel held to an
//! affected semantics it *shows* it, and reports XFAIL instead of PASS.
//!
//! [`KNOWN_DEFECTS`] is the one list; which cases show a defect is computed
//! from the model ([`crate::model_query`]), never a list of case ids.

use std::borrow::Cow;

use tcpmd5::Semantics;
pub use tcpmd5_report::KnownDefect;

use crate::model_query::ModelQuery;

/// Every known defect.
pub const KNOWN_DEFECTS: &[KnownDefect] = &[KnownDefect {
    id: Cow::Borrowed("ao-bypass"),
    advisory: Cow::Borrowed("docs/advisories/ao-bypass.md"),
    summary: Cow::Borrowed(
        "a TCP-AO option in place of MD5 skips the MD5 check: forged data, RSTs and SYNs reach MD5-protected sockets",
    ),
    affected: Cow::Borrowed(&[Semantics::Linux { tcp_ao: false }]),
    fixed: Semantics::LinuxAoBypassFixed,
}];

/// Whether the model judges any of `queries` differently with `defect`
/// and with its fix: the case can tell the two kernels apart.
pub fn exercised_by(defect: &KnownDefect, queries: &[ModelQuery]) -> bool {
    defect
        .affected
        .iter()
        .any(|&a| queries.iter().any(|q| q.differs(a, defect.fixed)))
}

/// Whether a case that asked `queries` shows `defect` on a kernel held to
/// `held`.
pub fn shown_by(defect: &KnownDefect, held: Semantics, queries: &[ModelQuery]) -> bool {
    defect.affects(held) && queries.iter().any(|q| q.differs(held, defect.fixed))
}

/// The XFAIL reason of a case that shows `defect`.
pub fn xfail_reason(defect: &KnownDefect) -> String {
    format!(
        "known defect {}: {} (advisory {}; fixed semantics {})",
        defect.id,
        defect.summary,
        defect.advisory,
        defect.fixed.id()
    )
}

/// The header's line for a kernel held to `held`: what the run will say
/// about `defect` before any case runs.
pub fn header_line(defect: &KnownDefect, held: Semantics) -> String {
    if defect.affects(held) {
        format!(
            "KNOWN DEFECT {}: {} (advisory {}); {} predicts it, so its cases report XFAIL (--strict fails them); {} is the fix",
            defect.id,
            defect.summary,
            defect.advisory,
            held.id(),
            defect.fixed.id()
        )
    } else {
        format!(
            "{}: not in {} (it affects {}); the cases that exercise it must find it absent",
            defect.id,
            held.id(),
            defect
                .affected
                .iter()
                .map(|s| s.id())
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use std::net::Ipv4Addr;

    use tcpmd5::key_table::Md5SigRequest;
    use tcpmd5::verdict::Receiver;
    use tcpmd5::wire::TcpFlags;
    use tcpmd5::{Family, Key, KeyTable};

    use super::*;
    use crate::segment::{SegmentSpec, Signing};

    /// Data with option area `options` (signed with the socket's key when
    /// it holds an MD5 option) to an established socket holding an MD5 key
    /// for its source.
    pub(crate) fn data_with(options: Vec<u8>) -> ModelQuery {
        let peer = Ipv4Addr::new(10, 0, 0, 2).into();
        let mut spec = SegmentSpec::syn(peer, Ipv4Addr::new(10, 0, 0, 1).into(), 40000, 179, 1000);
        let key = Key::new(b"secret").unwrap();
        spec.tcp.flags = TcpFlags::ACK | TcpFlags::PSH;
        spec.tcp.ack = 2000;
        spec.tcp.options = options;
        spec.tcp.payload = b"DATA".to_vec();
        spec.signing = Signing::Key(key.clone());
        let mut table = KeyTable::new();
        let no_vrf: &[(i32, bool)] = &[];
        table
            .apply(Family::V4, &Md5SigRequest::add(peer, &key), no_vrf)
            .unwrap();
        ModelQuery {
            packet: spec.packet(),
            table,
            l3index: 0,
            receiver: Receiver::Socket,
        }
    }

    /// AO-only data: an AO option of 16 bytes, four NOPs.
    pub(crate) fn ao_data() -> ModelQuery {
        let mut options = vec![29u8, 16, 1, 1];
        options.extend([0xaa; 12]);
        options.extend([1, 1, 1, 1]);
        data_with(options)
    }

    #[test]
    fn the_ao_bypass_shows_only_under_the_affected_semantics() {
        let q = [ao_data()];
        let bypass = KNOWN_DEFECTS.iter().find(|d| d.id == "ao-bypass").unwrap();
        assert!(exercised_by(bypass, &q));
        assert!(shown_by(bypass, Semantics::Linux { tcp_ao: false }, &q));
        for held in Semantics::known().filter(|&s| s != Semantics::Linux { tcp_ao: false }) {
            assert!(!shown_by(bypass, held, &q), "{}", held.id());
        }
    }
}
