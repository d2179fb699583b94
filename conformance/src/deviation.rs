//! Where the semantics a kernel is held to departs from RFC 2385, computed
//! from the model over the segments the cases sent ([`ModelQuery`]): each
//! segment is judged under both, and a difference is named by what the two
//! scans of its option area found, so segments that differ for the same
//! reason fall into one behaviour.

use tcpmd5::scan::{Absence, AuthScan, Malformation};
use tcpmd5::verdict::{Receiver, ReceiverVerdict};
use tcpmd5::wire::{IpSegment, TcpPacket};
use tcpmd5::{Acceptance, DropReason, Semantics, Verdict};

use crate::model_query::ModelQuery;

pub use tcpmd5_report::Impact;

/// One segment's departure, named by behaviour.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Deviation {
    /// What it means (sorts first: security-relevant before harmless).
    pub impact: Impact,
    /// The behaviour, in words ("an MD5 option after a malformed option is
    /// not found").
    pub behaviour: String,
    /// The RFC 2385 reading's verdict id.
    pub rfc2385: String,
    /// The held semantics' verdict id.
    pub held: String,
}

/// The option area of `packet`, if it parses.
fn options(packet: &[u8]) -> Option<&[u8]> {
    let located = IpSegment::parse(packet).ok()?;
    let tcp = TcpPacket::new_checked(located.segment).ok()?;
    let header = tcp.header_len();
    located.segment.get(20..header)
}

fn malformation(m: Malformation) -> String {
    match m {
        Malformation::BadLength { .. } => "an option with a bad length byte".to_owned(),
        Malformation::Md5Length { .. } => "an MD5 option whose length is not 18".to_owned(),
        Malformation::AoLength { .. } => "a TCP-AO option too short for its header".to_owned(),
        Malformation::Duplicate { first, second, .. } => {
            format!("a second authentication option (kind {second} after kind {first})")
        }
    }
}

fn drop_reason(v: ReceiverVerdict) -> Option<DropReason> {
    match v {
        ReceiverVerdict::Checked(Verdict::Drop(r)) => Some(r),
        _ => None,
    }
}

/// How `query` departs from RFC 2385 under `held`, if it does (the same
/// verdict id under both is no departure).
pub fn of(query: &ModelQuery, held: Semantics) -> Option<Deviation> {
    let (Ok(h), Ok(r)) = (query.verdict(held), query.verdict(Semantics::Rfc2385)) else {
        return None;
    };
    if h.id() == r.id() {
        return None;
    }
    let area = options(&query.packet).unwrap_or_default();
    let (hs, rs) = (held.scan(area), Semantics::Rfc2385.scan(area));
    let rfc_drop = drop_reason(r);
    let (impact, behaviour) = match (h.is_accept(), r.is_accept()) {
        (true, false) => {
            let unsigned = matches!(rfc_drop, Some(DropReason::Md5NotFound | DropReason::Md5Failure));
            match (h, hs, rs) {
                // Not a hole in the check: Linux has no check on this path.
                (ReceiverVerdict::NotChecked, ..) if query.receiver == Receiver::TimeWait => (
                    Impact::SecurityRelevant,
                    "a timewait socket (TIME-WAIT, orphaned FIN-WAIT-2) checks no signature: an unsigned or wrongly signed segment reaches TCP there (an unsigned RST in the window kills an orphaned FIN-WAIT-2)"
                        .to_owned(),
                ),
                (ReceiverVerdict::Checked(Verdict::Accept(Acceptance::AoNotChecked)), ..) => (
                    Impact::SecurityRelevant,
                    "a TCP-AO option in place of the MD5 option skips the MD5 check".to_owned(),
                ),
                _ if unsigned => (
                    Impact::SecurityRelevant,
                    "a segment without a verified MD5 signature is accepted where a key applies"
                        .to_owned(),
                ),
                (_, AuthScan::Md5 { .. }, AuthScan::Malformed(m)) => (
                    Impact::HarmlessLeniency,
                    format!(
                        "{} alongside a valid MD5 option is accepted (the digest verified)",
                        malformation(m)
                    ),
                ),
                (_, _, AuthScan::Malformed(m)) => (
                    Impact::HarmlessLeniency,
                    format!(
                        "{} is ignored: the segment counts as unsigned, no key applies",
                        malformation(m)
                    ),
                ),
                _ => (
                    Impact::HarmlessLeniency,
                    "a segment RFC 2385 drops is accepted".to_owned(),
                ),
            }
        }
        (false, true) => (
            Impact::HarmlessStrictness,
            match (hs, rs) {
                (AuthScan::Absent(Absence::ShortTail { .. }), AuthScan::Md5 { .. }) => {
                    "an MD5 option where too few bytes remain for the kernel's scan is not found"
                        .to_owned()
                }
                (AuthScan::Absent(Absence::IgnoredMalformed(m)), AuthScan::Md5 { .. }) => {
                    format!("an MD5 option after {} is not found", malformation(m))
                }
                (AuthScan::Absent(Absence::EndOfList { .. }), AuthScan::Md5 { .. }) => {
                    "an MD5 option after an end-of-list option is not found".to_owned()
                }
                (AuthScan::Malformed(m), _) => {
                    format!("{} drops the segment", malformation(m))
                }
                _ => "a segment RFC 2385 accepts is dropped".to_owned(),
            },
        ),
        _ => (
            Impact::HarmlessStrictness,
            match (h, hs) {
                (ReceiverVerdict::AoRequestMismatch, _) => {
                    "a TCP-AO option the request did not negotiate is dropped by the request socket's check (dropped either way)"
                        .to_owned()
                }
                (_, AuthScan::Absent(Absence::IgnoredMalformed(m))) => format!(
                    "{} makes the segment unsigned (dropped either way, for another reason)",
                    malformation(m)
                ),
                (_, AuthScan::Malformed(m)) => format!(
                    "{} drops the segment as a malformed header (dropped either way)",
                    malformation(m)
                ),
                _ => match rs {
                    AuthScan::Malformed(m) => format!(
                        "{}, which the kernel's scan does not reach (dropped either way, for another reason)",
                        malformation(m)
                    ),
                    _ => "dropped either way, for another reason".to_owned(),
                },
            },
        ),
    };
    Some(Deviation {
        impact,
        behaviour,
        rfc2385: r.id(),
        held: h.id(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::known_defect::tests::{ao_data, data_with};

    #[test]
    fn the_ao_bypass_is_security_relevant() {
        let d = of(&ao_data(), Semantics::Linux { tcp_ao: false }).unwrap();
        assert_eq!(d.impact, Impact::SecurityRelevant);
        assert_eq!(d.held, "accept");
        assert_eq!(d.rfc2385, "drop:TCP_MD5NOTFOUND");
        assert!(of(&ao_data(), Semantics::Rfc2385).is_none());
    }

    // A strict RFC 2385 receiver checks a timewait socket; Linux does not.
    // The departure is named as the timewait path's, not as a hole in the
    // MD5 check of established connections.
    #[test]
    fn an_unchecked_timewait_socket_is_named_as_such() {
        let mut q = data_with(Vec::new());
        q.receiver = Receiver::TimeWait;
        let d = of(&q, Semantics::Linux { tcp_ao: false }).unwrap();
        assert_eq!(d.impact, Impact::SecurityRelevant);
        assert_eq!(
            (d.held.as_str(), d.rfc2385.as_str()),
            ("accept", "drop:TCP_MD5NOTFOUND")
        );
        assert!(
            d.behaviour.starts_with("a timewait socket"),
            "{}",
            d.behaviour
        );
        // At a full socket the same segment is dropped under both.
        q.receiver = Receiver::Socket;
        assert!(of(&q, Semantics::Linux { tcp_ao: false }).is_none());
    }

    #[test]
    fn trailing_garbage_after_a_valid_md5_option_is_harmless() {
        // MD5, then an option whose length byte is 1, then NOPs.
        let mut options = vec![19u8, 18];
        options.extend([0; 16]);
        options.extend([0xfd, 1, 1, 1, 1, 1]);
        let q = data_with(options);
        let d = of(&q, Semantics::Linux { tcp_ao: false }).unwrap();
        assert_eq!(d.impact, Impact::HarmlessLeniency, "{d:?}");
        assert_eq!(
            (d.held.as_str(), d.rfc2385.as_str()),
            ("accept", "drop:TCP_AUTH_HDR")
        );
        assert!(d.behaviour.contains("bad length"), "{}", d.behaviour);
    }

    #[test]
    fn an_md5_option_after_a_malformed_one_is_harmless_strictness() {
        // An option whose length byte runs past the area, hiding nothing
        // from RFC 2385 (it rejects the area) but making Linux < 6.7 give up.
        let mut options = vec![0xfd, 1, 1, 1, 19, 18];
        options.extend([0; 16]);
        options.extend([1, 1]);
        let d = of(&data_with(options), Semantics::LinuxLegacy).unwrap();
        assert_eq!(d.impact, Impact::HarmlessStrictness, "{d:?}");
    }
}
