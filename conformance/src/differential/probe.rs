//! From a generated [`Input`] to the segment the peer injects: addresses,
//! ports, numbers and flags from the target socket, the option area, the
//! payload trimmed to the link, signing, at most one flipped bit, and
//! perhaps a bad TCP checksum.

use std::ops::Range;

use tcpmd5::wire::TcpFlags;
use tcpmd5::{AddrPair, Family, Key};
use tcpmd5_testkit::TcpSegmentSpec;

use super::input::{Input, Sign};
use crate::segment::{ChecksumFault, SegmentSpec, Signing};

/// The lab's link MTU.
const MTU: usize = 1500;

/// Which header bits a flip may touch without changing what the segment
/// is to the receiving socket (its 4-tuple, data offset, and for an
/// established connection its sequence, acknowledgement and control bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flippable {
    /// A SYN to a listener: sequence and acknowledgement numbers, reserved
    /// bits, PSH/URG/ECE/CWR, window, urgent pointer, options, payload.
    Syn,
    /// A segment on an established connection: reserved bits (not AE),
    /// PSH/ECE/CWR, window, urgent pointer (URG stays clear), options,
    /// payload.
    Established,
}

impl Flippable {
    pub(crate) fn bits(self, seg_len: usize) -> Vec<(usize, u8)> {
        let bytes = |r: Range<usize>| r.flat_map(|off| (0..8).map(move |bit| (off, bit)));
        let (numbers, reserved, control): (Range<usize>, Range<u8>, &[u8]) = match self {
            Flippable::Syn => (4..12, 0..4, &[3, 5, 6, 7]),
            Flippable::Established => (0..0, 1..4, &[3, 6, 7]),
        };
        let mut v: Vec<(usize, u8)> = bytes(numbers)
            .chain(bytes(14..16))
            .chain(bytes(18..seg_len))
            .collect();
        v.extend(reserved.map(|bit| (12, bit)));
        v.extend(control.iter().map(|&bit| (13, bit)));
        v
    }
}

/// The numbers and flags of the segment, decided by the target socket.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    /// Peer -> kernel addresses.
    pub addrs: AddrPair,
    /// The peer's port.
    pub src_port: u16,
    /// The kernel's port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Control bits.
    pub flags: TcpFlags,
    /// Whether the segment carries the generated payload.
    pub payload: bool,
}

/// The largest payload that fits the MTU with `options` option bytes.
pub(crate) fn room(family: Family, options: usize) -> usize {
    let ip = match family {
        Family::V4 => 20,
        Family::V6 => 40,
    };
    MTU.saturating_sub(ip + 20 + options)
}

/// The segment for `input` with `header`, signed per `input.sign` where
/// the receiver holds `receiver_key`.
pub(crate) fn build(
    input: &Input,
    header: Header,
    receiver_key: Option<&Key>,
    flippable: Flippable,
) -> SegmentSpec {
    let options = input.area.bytes();
    let mut payload = if header.payload {
        input.base.payload.clone()
    } else {
        Vec::new()
    };
    payload.truncate(room(header.addrs.family(), options.len()));
    let signing = match (&input.sign, receiver_key) {
        (Sign::None, _) | (Sign::ReceiverKey, None) => Signing::None,
        (Sign::ReceiverKey, Some(k)) | (Sign::Other(k), _) => Signing::Key(k.clone()),
    };
    let mut spec = SegmentSpec {
        tcp: TcpSegmentSpec {
            addrs: header.addrs,
            src_port: header.src_port,
            dst_port: header.dst_port,
            seq: header.seq,
            ack: header.ack,
            flags: header.flags,
            window: input.base.window,
            urgent: input.base.urgent,
            options,
            payload,
        },
        signing,
        flips: Vec::new(),
        checksum_fault: None,
    };
    if let Some(choice) = input.flip {
        let choices = flippable.bits(20 + spec.tcp.options.len() + spec.tcp.payload.len());
        if !choices.is_empty()
            && let Some(&bit) = choices.get(choice.among(choices.len()))
        {
            spec.flips.push(bit);
        }
    }
    if input.bad_checksum {
        spec.checksum_fault = Some(ChecksumFault::Tcp);
    }
    spec
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tcpmd5::wire::tcp::CHECKSUM_RANGE;

    #[test]
    fn established_flips_spare_numbers_and_control() {
        let bits = Flippable::Established.bits(60);
        assert!(bits.iter().all(|&(off, _)| !(0..12).contains(&off)));
        assert!(!bits.contains(&(13, 5)), "URG");
        assert!(!bits.contains(&(13, 4)), "ACK");
        assert!(!bits.contains(&(12, 0)), "AE");
        assert!(bits.contains(&(59, 7)));
        assert!(!bits.iter().any(|&(off, _)| CHECKSUM_RANGE.contains(&off)));
    }

    #[test]
    fn syn_flips_spare_ports_flags_and_checksum() {
        let bits = Flippable::Syn.bits(40);
        assert!(bits.iter().all(|&(off, _)| off >= 4));
        assert!(!bits.contains(&(13, 1)), "SYN");
        assert!(!bits.iter().any(|&(off, _)| CHECKSUM_RANGE.contains(&off)));
        assert!(!bits.iter().any(|&(off, bit)| off == 12 && bit >= 4));
    }
}
