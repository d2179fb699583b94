//! Building the segments the peer injects: a TCP segment from a description,
//! optionally signed (possibly over the wrong addresses), optionally
//! corrupted after signing, wrapped in an IPv4 or IPv6 header.

use std::net::IpAddr;

use tcpmd5::ao::{AoError, OptionCoverage, TrafficKey};
use tcpmd5::sign::{SignError, refresh_checksum, sign_segment_in_place};
use tcpmd5::wire::TcpFlags;
use tcpmd5::wire::tcp::CHECKSUM_RANGE;
use tcpmd5::wire::tcp_option::MD5_OPTION_LEN;
use tcpmd5::wire::tcp_option::kind::{AO, MD5, MSS, NOP};
use tcpmd5::{AddrPair, Key};
use tcpmd5_testkit::TcpSegmentSpec;

// The suite's option bytes, in one place, from the library's kinds.
const MD5_LEN: u8 = MD5_OPTION_LEN as u8;
/// MSS 1460.
pub const MSS_OPTION: [u8; 4] = [MSS, 4, 0x05, 0xb4];
/// An MD5 option in the Linux layout (NOP NOP first) with a zero digest, to
/// be signed.
pub const MD5_PLACEHOLDER: [u8; 20] = [
    NOP, NOP, MD5, MD5_LEN, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];
/// A TCP-AO option (length 16, key ids 1 and 2, a 12-byte MAC).
pub const AO_OPTION: [u8; 16] = [
    AO, 16, 1, 2, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
];
/// A TCP-AO option to be signed: `AO, 16, KeyID, RNextKeyID` and a zero
/// 12-byte MAC (HMAC-SHA-1-96 and AES-128-CMAC-96 alike).
pub fn ao_placeholder(key_id: u8, rnext_key_id: u8) -> [u8; 16] {
    let mut option = [0u8; 16];
    let [kind, len, id, rnext, ..] = &mut option;
    (*kind, *len, *id, *rnext) = (AO, 16, key_id, rnext_key_id);
    option
}
/// The option area Linux puts in a SYN with a key: NOP NOP MD5, then MSS.
pub const SIGNED_SYN_OPTIONS: [u8; 24] = [
    NOP, NOP, MD5, MD5_LEN, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, MSS, 4, 0x05, 0xb4,
];
/// An unsigned SYN's options: MSS alone.
pub const UNSIGNED_SYN_OPTIONS: [u8; 4] = MSS_OPTION;

/// How to sign a segment.
#[derive(Debug, Clone)]
pub enum Signing {
    /// Leave the MD5 option (if any) as it is (zero digest placeholder).
    None,
    /// Sign with `key` over the real addresses.
    Key(Key),
    /// Sign with `key` over other pseudo-header addresses.
    KeyOver(Key, AddrPair),
    /// Fill the TCP-AO option's MAC: `tcpmd5::ao::sign_segment` with the
    /// traffic key, the segment's SNE and the MKT's option coverage.
    Ao {
        /// The sender's traffic key for this segment, as the model derived
        /// it (a refused master key is a bug in the suite's own keys).
        key: Result<TrafficKey, AoError>,
        /// The sequence number extension of its sequence number.
        sne: u32,
        /// Whether the MAC covers the other options.
        coverage: OptionCoverage,
    },
}

/// A checksum left wrong on purpose, the one way the suite corrupts a
/// checksum: where the kernel drops the segment for it, before or after
/// the MD5 check, is `tcpmd5::checksum`'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumFault {
    /// The TCP checksum.
    Tcp,
    /// The IPv4 header checksum.
    Ipv4Header,
}

/// A segment the peer sends: the segment itself, how it is signed, and
/// what is corrupted after signing.
#[derive(Debug, Clone)]
pub struct SegmentSpec {
    /// The segment; its addresses are the real ones (the IP header).
    pub tcp: TcpSegmentSpec,
    /// Signing.
    pub signing: Signing,
    /// Bits to flip in the TCP segment after signing and before the
    /// checksum is computed: (byte offset, bit). The checksum field is not
    /// theirs (a flip there is overwritten): see `checksum_fault`.
    pub flips: Vec<(usize, u8)>,
    /// A checksum to leave wrong, after everything else.
    pub checksum_fault: Option<ChecksumFault>,
}

impl SegmentSpec {
    /// An unsigned, uncorrupted segment.
    pub fn plain(tcp: TcpSegmentSpec) -> SegmentSpec {
        SegmentSpec {
            tcp,
            signing: Signing::None,
            flips: Vec::new(),
            checksum_fault: None,
        }
    }

    /// A SYN from `src:src_port` to `dst:dst_port` with sequence `isn`.
    pub fn syn(src: IpAddr, dst: IpAddr, src_port: u16, dst_port: u16, isn: u32) -> SegmentSpec {
        SegmentSpec::plain(TcpSegmentSpec {
            addrs: AddrPair::new(src, dst).unwrap_or(AddrPair::V4 {
                src: std::net::Ipv4Addr::UNSPECIFIED,
                dst: std::net::Ipv4Addr::UNSPECIFIED,
            }),
            src_port,
            dst_port,
            seq: isn,
            ack: 0,
            flags: TcpFlags::SYN,
            window: 64240,
            urgent: 0,
            options: UNSIGNED_SYN_OPTIONS.to_vec(),
            payload: Vec::new(),
        })
    }

    /// The TCP segment bytes (signed, corrupted, checksum correct for the
    /// real addresses).
    pub fn segment(&self) -> Vec<u8> {
        let addrs = self.tcp.addrs;
        // Options are built by the suite: a multiple of 4 and at most 40.
        let mut seg = self.tcp.to_bytes().unwrap_or_default();
        let sign_over = match &self.signing {
            Signing::None => None,
            Signing::Key(k) => Some((k, addrs)),
            Signing::KeyOver(k, over) => Some((k, *over)),
            Signing::Ao { key, sne, coverage } => {
                let signed = key.as_ref().map_err(|e| *e).and_then(|key| {
                    tcpmd5::ao::sign_segment(key, &addrs, &mut seg, *sne, *coverage)
                });
                // The peer builds its AO segments with one AO option: a
                // failure is a bug in the suite, never an unsigned probe.
                assert!(
                    signed.is_ok(),
                    "AO-signing the suite's segment failed: {signed:?}"
                );
                None
            }
        };
        if let Some((key, over)) = sign_over {
            let signed = sign_segment_in_place(&over, &mut seg, key);
            // A layout without a fillable MD5 option stays unsigned, on
            // purpose (the layouts cases); any other failure is a bug in the
            // suite's own segment, never a probe sent unsigned by accident.
            assert!(
                matches!(signed, Ok(_) | Err(SignError::NoMd5Option)),
                "signing the suite's segment failed: {signed:?}"
            );
        }
        for &(offset, bit) in &self.flips {
            if let Some(b) = seg.get_mut(offset) {
                *b ^= 1 << (bit % 8);
            }
        }
        refresh_checksum(&addrs, &mut seg);
        if self.checksum_fault == Some(ChecksumFault::Tcp)
            && let Some(b) = seg.get_mut(CHECKSUM_RANGE.start)
        {
            *b ^= 0x5a;
        }
        seg
    }

    /// The whole IP packet.
    pub fn packet(&self) -> Vec<u8> {
        let mut packet = ip_packet(&self.tcp.addrs, &self.segment());
        if self.checksum_fault == Some(ChecksumFault::Ipv4Header)
            && let Some(b) = packet.get_mut(10)
        {
            *b ^= 0x5a;
        }
        packet
    }
}

/// Wraps a TCP segment in an IPv4 (DF, TTL 64) or IPv6 (hop limit 64) header.
pub fn ip_packet(addrs: &AddrPair, segment: &[u8]) -> Vec<u8> {
    // Segments the suite builds are at most a few kilobytes: they fit.
    tcpmd5::wire::ip_packet(addrs, segment).unwrap_or_default()
}
