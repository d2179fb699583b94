//! The segment of an AO case, built without a kernel: a SYN to a listener
//! holding the case's MKTs, or a segment on a connection with known ISNs.
//! The same code makes the probes the kernel gets ([`super::case`]) and the
//! ones the tests hold the model to.

use tcpmd5::AddrPair;
use tcpmd5::ao::{AoSocketState, FlowIsns, Mkt};
use tcpmd5::wire::TcpFlags;

use super::input::AoInput;
use super::segment::{Signer, build, unsignable};
use crate::differential::established::flags_for;
use crate::differential::input::{Place, SegmentKind};
use crate::differential::probe::{Flippable, Header};
use crate::error::Error;
use crate::segment::SegmentSpec;

/// Flag bits a SYN may carry besides SYN: PSH, URG, ECE, CWR, AE.
const SYN_EXTRA_FLAGS: u16 = 0x1e8;

/// A connection as the peer knows it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Flow {
    /// Peer -> kernel.
    pub addrs: AddrPair,
    /// The peer's port.
    pub peer_port: u16,
    /// The kernel's port.
    pub kernel_port: u16,
    /// The peer's ISN.
    pub peer_isn: u32,
    /// The kernel's ISN.
    pub kernel_isn: u32,
}

impl Flow {
    /// The kernel's `rcv_nxt` after the handshake.
    pub(super) fn rcv_nxt(&self) -> u32 {
        self.peer_isn.wrapping_add(1)
    }

    /// The kernel's `snd_nxt` after the handshake.
    pub(super) fn snd_nxt(&self) -> u32 {
        self.kernel_isn.wrapping_add(1)
    }

    /// The kernel socket's state for the model, `current_send_id` its
    /// current key's `sndid`.
    pub(super) fn state(&self, current_send_id: u8) -> AoSocketState {
        AoSocketState::Established {
            local_isn: self.kernel_isn,
            remote_isn: self.peer_isn,
            rcv_nxt: self.rcv_nxt(),
            rcv_sne: 0,
            current_send_id,
        }
    }
}

fn ids(mkts: &[Mkt]) -> Vec<(u8, u8)> {
    mkts.iter().map(|m| (m.send_id, m.recv_id)).collect()
}

/// The signing key of `input` among `mkts` (the case's, for the peer).
fn signing<'a>(input: &'a AoInput, mkts: &'a [Mkt]) -> Result<(usize, &'a Mkt), Error> {
    let index = input.signer_index();
    mkts.get(index)
        .map(|m| (index, m))
        .ok_or_else(|| Error::NotSeen("a case without keys".to_owned()))
}

/// The SYN of `input` from `addrs.src():port` to `kernel_port`, where the
/// listener holds `mkts`.
pub(super) fn syn_probe(
    input: &AoInput,
    addrs: AddrPair,
    (port, kernel_port): (u16, u16),
    mkts: &[Mkt],
) -> Result<SegmentSpec, Error> {
    let (index, mkt) = signing(input, mkts)?;
    let key = input
        .keys
        .get(index)
        .ok_or_else(|| Error::NotSeen("a case without keys".to_owned()))?;
    let header = Header {
        addrs,
        src_port: port,
        dst_port: kernel_port,
        seq: input.base.seq,
        ack: input.base.ack,
        flags: TcpFlags(TcpFlags::SYN.0 | (input.base.flags.0 & SYN_EXTRA_FLAGS)),
        payload: input.keep_payload,
    };
    let signer = Signer {
        key,
        key_id: mkt.recv_id,
        isns: None,
        rcv_nxt: 0,
    };
    build(input, header, &ids(mkts), signer, Flippable::Syn).map_err(unsignable("the probe"))
}

/// The segment of `input` (a `kind` at `place`) on `flow`, whose kernel
/// socket holds `mkts`.
pub(super) fn established_probe(
    input: &AoInput,
    flow: &Flow,
    mkts: &[Mkt],
    kind: SegmentKind,
    place: Place,
) -> Result<SegmentSpec, Error> {
    let (index, mkt) = signing(input, mkts)?;
    let key = input
        .keys
        .get(index)
        .ok_or_else(|| Error::NotSeen("a case without keys".to_owned()))?;
    let header = Header {
        addrs: flow.addrs,
        src_port: flow.peer_port,
        dst_port: flow.kernel_port,
        seq: place.seq(flow.rcv_nxt()),
        ack: flow.snd_nxt(),
        flags: flags_for(kind, input.base.flags),
        payload: match kind {
            SegmentKind::Data | SegmentKind::Fin => true,
            SegmentKind::Rst => input.keep_payload,
            SegmentKind::Ack => false,
        },
    };
    let signer = Signer {
        key,
        key_id: mkt.recv_id,
        isns: Some(FlowIsns {
            src_isn: flow.peer_isn,
            dst_isn: flow.kernel_isn,
        }),
        rcv_nxt: flow.rcv_nxt(),
    };
    build(input, header, &ids(mkts), signer, Flippable::Established)
        .map_err(unsignable("the probe"))
}

/// The generator and the probes, held to the model without a kernel: a
/// correctly signed segment is accepted, and the generated cases reach
/// every verdict the AO path gives.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;
    use tcpmd5::Family;
    use tcpmd5::ao::{AoSocket, MktTable, OptionCoverage};

    use super::*;
    use crate::differential::ao::expect::expected;
    use crate::differential::ao::input::{AoAuth, ao_input_with};
    use crate::differential::input::Target;

    fn addrs(family: Family) -> AddrPair {
        match family {
            Family::V4 => AddrPair::new(
                IpAddr::V4(Ipv4Addr::new(10, 99, 0, 2)),
                IpAddr::V4(Ipv4Addr::new(10, 99, 0, 1)),
            ),
            Family::V6 => AddrPair::new(
                IpAddr::V6(Ipv6Addr::new(0xfd00, 0x99, 0, 0, 0, 0, 0, 2)),
                IpAddr::V6(Ipv6Addr::new(0xfd00, 0x99, 0, 0, 0, 0, 0, 1)),
            ),
        }
        .unwrap()
    }

    /// The model's verdict on one generated case, and whether it was a
    /// correctly signed segment with a key that covers the peer.
    fn verdict(input: &AoInput, family: Family) -> (String, bool) {
        let addrs = addrs(family);
        let peer = addrs.src();
        let mkts = input.mkts(peer);
        let mut table = MktTable::new();
        for m in &mkts {
            table.add(m.clone());
        }
        table.required = input.required;
        let signer_covers = mkts
            .get(input.signer_index())
            .is_some_and(|m| m.covers(peer, 0));
        let honest = matches!(input.auth, AoAuth::Signed) && signer_covers;
        let (spec, state, table) = match input.target {
            Target::Listener => (
                syn_probe(input, addrs, (40000, 179), &mkts).unwrap(),
                AoSocketState::Listen,
                table,
            ),
            Target::Established(kind, place) => {
                let flow = Flow {
                    addrs,
                    peer_port: 40000,
                    kernel_port: 180,
                    peer_isn: input.base.ack,
                    kernel_isn: input.base.seq ^ 0x5a5a_5a5a,
                };
                let mut child = MktTable::new();
                for m in table.keys().iter().filter(|m| m.covers(peer, 0)) {
                    child.add(m.clone());
                }
                child.required = table.required;
                let send_id = mkts.get(input.signer_index()).unwrap().send_id;
                (
                    established_probe(input, &flow, &mkts, kind, place).unwrap(),
                    flow.state(send_id),
                    child,
                )
            }
        };
        let socket = AoSocket {
            mkts: Some(&table),
            md5_key: false,
            state,
            l3index: 0,
        };
        let want = expected(&socket, &addrs, &spec.segment(), &spec.packet()).unwrap();
        (want.id(), honest)
    }

    #[test]
    fn honest_segments_are_accepted_and_every_ao_verdict_is_reached() {
        for family in Family::ALL {
            let strategy = ao_input_with(family, 5);
            let mut runner = TestRunner::deterministic();
            let mut verdicts: BTreeMap<String, u64> = BTreeMap::new();
            let (mut excluded, mut cmac) = (0, 0);
            for _ in 0..600 {
                let input = strategy.new_tree(&mut runner).unwrap().current();
                let (id, honest) = verdict(&input, family);
                if honest {
                    assert_eq!(id, "accept", "{input:?}");
                    let key = input.keys.get(input.signer_index()).unwrap();
                    excluded += u32::from(key.coverage == OptionCoverage::Excluded);
                    cmac += u32::from(key.algorithm == tcpmd5::ao::Algorithm::AesCmac);
                }
                *verdicts.entry(id).or_default() += 1;
            }
            for v in [
                "accept",
                "drop:TCP_AOFAILURE",
                "drop:TCP_AOKEYNOTFOUND",
                "drop:TCP_AONOTFOUND",
                "drop:TCP_AUTH_HDR",
                "drop:TCP_MD5UNEXPECTED",
            ] {
                assert!(
                    verdicts.get(v).is_some_and(|n| *n >= 6),
                    "{v}: {verdicts:?}"
                );
            }
            assert!(excluded >= 5 && cmac >= 20, "{excluded} {cmac}");
        }
    }
}
