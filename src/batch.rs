//! Many segments at once: the same digests and verdicts as
//! [`segment_digest`](crate::segment_digest), [`verify_segment`](crate::verify_segment),
//! [`packet_verdict`](crate::packet_verdict) and
//! [`packet_verdict_with`](crate::packet_verdict_with) (checksum stage
//! included), one per segment and in order,
//! with the MD5 work of the whole batch spread over the lanes of the CPU's
//! vector unit ([`md5_lanes`]: 16 lanes with AVX-512, 8 with AVX2, one
//! otherwise).
//!
//! Parsing, option scanning and key lookup stay per segment and are the
//! one-at-a-time code; only the digests are batched. Segments of any mix of
//! lengths share the lanes without waiting for each other. A [`Batch`] is
//! `Copy`, `Send` and `Sync`: to use several cores, give each thread a chunk
//! of the segments (a few hundred or more fill the lanes) and concatenate
//! the results in chunk order.
//!
//! ```
//! use tcpmd5::batch::Batch;
//! use tcpmd5::{Family, Key, KeyTable, Md5SigRequest, Semantics};
//! # use tcpmd5::{AddrPair, sign::sign_packet_to_vec, wire::{ip_packet, TcpFlags, TcpRepr}};
//! # let addrs = AddrPair::V4 { src: [10, 0, 0, 1].into(), dst: [10, 0, 0, 2].into() };
//! # let key = Key::new(b"secret").unwrap();
//! # let repr = TcpRepr { src_port: 179, dst_port: 4444, seq: 1, ack: 2, flags: TcpFlags::ACK,
//! #     window: 3, urgent: 0, options: &[], payload: b"data" };
//! # let unsigned = ip_packet(&addrs, &repr.to_vec(&addrs).unwrap()).unwrap();
//! # let signed = sign_packet_to_vec(&unsigned, &key).unwrap();
//! let mut table = KeyTable::new();
//! let request = Md5SigRequest::add(addrs.src(), &key);
//! table.apply(Family::V4, &request, &[] as &[(i32, bool)]).unwrap();
//!
//! let batch = Batch::new(Semantics::Linux { tcp_ao: false }); // AVX-512, AVX2 or scalar
//! let verdicts = batch.packet_verdicts(&[&signed, &unsigned], &table, 0);
//! assert_eq!(verdicts[0].unwrap().id().to_string(), "accept");
//! assert_eq!(verdicts[1].unwrap().id().to_string(), "drop:TCP_MD5NOTFOUND");
//! ```

use subtle::ConstantTimeEq;

use md5_lanes::Md5Lanes;
pub use md5_lanes::{Kernel, Unsupported};

use crate::checksum::Checksums;
use crate::digest::{Digest, DigestError, DigestInput};
use crate::key_table::KeyTable;
use crate::scan::{AuthScan, Semantics};
use crate::verdict::{Acceptance, DropReason, Verdict, decide};
use crate::wire::{IpSegment, TcpPacket, WireError};
use crate::{AddrPair, Key};

/// A segment and the key to sign it with: what
/// [`segment_digest`](crate::segment_digest) takes.
#[derive(Debug, Clone, Copy)]
pub struct KeyedSegment<'a> {
    /// Source and destination (the pseudo-header).
    pub addrs: AddrPair,
    /// The TCP segment: header, options and payload.
    pub segment: &'a [u8],
    /// The key.
    pub key: &'a Key,
}

/// A received segment and the receiver's key for its source, if any: what
/// [`verify_segment`](crate::verify_segment) takes.
#[derive(Debug, Clone, Copy)]
pub struct ReceivedSegment<'a> {
    /// Source and destination (the pseudo-header).
    pub addrs: AddrPair,
    /// The TCP segment: header, options and payload.
    pub segment: &'a [u8],
    /// The receiver's key for `addrs.src()`.
    pub key: Option<&'a Key>,
}

/// An IP packet arriving at a socket whose keys are `table`, on an
/// interface in L3 domain `l3index` (0 outside VRFs): what
/// [`packet_verdict_with`](crate::packet_verdict_with) takes.
#[derive(Debug, Clone, Copy)]
pub struct PacketAtSocket<'a> {
    /// The IP packet.
    pub packet: &'a [u8],
    /// The receiving socket's keys.
    pub table: &'a KeyTable,
    /// The L3 domain of the interface.
    pub l3index: i32,
}

/// A TCP segment already located in its IP packet
/// ([`IpSegment::parse`]) arriving at a socket: a [`PacketAtSocket`] for a
/// caller that parsed the packet (a capture reader), so that it is not
/// parsed twice.
#[derive(Debug, Clone, Copy)]
pub struct SegmentAtSocket<'a> {
    /// The IP packet.
    pub packet: &'a [u8],
    /// The segment in it, as [`IpSegment::parse`] found it in `packet`.
    pub located: IpSegment<'a>,
    /// The receiving socket's keys.
    pub table: &'a KeyTable,
    /// The L3 domain of the interface.
    pub l3index: i32,
}

/// Digests and verifies batches of segments with one MD5 kernel.
#[derive(Debug, Clone, Copy)]
pub struct Batch {
    lanes: Md5Lanes,
    semantics: Semantics,
}

/// A digest the batch must compute before a verdict is known (its input
/// is at the same index of a separate list, built in place).
struct Pending<'a> {
    /// The segment's slot in the output.
    slot: usize,
    /// The digest the segment carries.
    carried: [u8; 16],
    key: &'a Key,
}

impl Batch {
    /// A receiver of `semantics`, with the widest MD5 kernel this CPU runs.
    pub fn new(semantics: Semantics) -> Batch {
        Batch {
            lanes: Md5Lanes::new(),
            semantics,
        }
    }

    /// The same with a chosen kernel (tests, benchmarks), if this CPU has it.
    pub fn with_kernel(semantics: Semantics, kernel: Kernel) -> Result<Batch, Unsupported> {
        Ok(Batch {
            lanes: Md5Lanes::with_kernel(kernel)?,
            semantics,
        })
    }

    /// The MD5 kernel in use.
    pub fn kernel(&self) -> Kernel {
        self.lanes.kernel()
    }

    /// The receiver semantics verdicts follow.
    pub fn semantics(&self) -> Semantics {
        self.semantics
    }

    /// [`segment_digest`](crate::segment_digest) of each segment, in order.
    pub fn digests(&self, segments: &[KeyedSegment<'_>]) -> Vec<Result<Digest, DigestError>> {
        let mut inputs = vec![DigestInput::EMPTY; segments.len()];
        let built: Vec<Result<(), DigestError>> = inputs
            .iter_mut()
            .zip(segments)
            .map(|(input, s)| input.set(&s.addrs, s.segment))
            .collect();
        // A segment without a digest hashes as an empty message (rare: a
        // bad header), so that digests and segments pair up one to one.
        let messages: Vec<[&[u8]; 3]> = inputs
            .iter()
            .zip(segments)
            .zip(&built)
            .map(|((input, s), ok)| match ok {
                Ok(()) => [input.head(), input.tail, s.key.as_bytes()],
                Err(_) => [&[][..]; 3],
            })
            .collect();
        built
            .into_iter()
            .zip(self.lanes.digest(&messages))
            .map(|(ok, digest)| ok.map(|()| digest))
            .collect()
    }

    /// [`verify_segment`](crate::verify_segment) of each segment, in order.
    pub fn verify_segments(
        &self,
        segments: &[ReceivedSegment<'_>],
    ) -> Vec<Result<Verdict, WireError>> {
        self.verify(segments.iter().map(|s| Ok(Ok(*s))))
    }

    /// [`packet_verdict`](crate::packet_verdict) of each IP packet, in
    /// order: each arrives at a socket whose keys are `table`, on an
    /// interface in L3 domain `l3index` (0 outside VRFs).
    pub fn packet_verdicts<P: AsRef<[u8]>>(
        &self,
        packets: &[P],
        table: &KeyTable,
        l3index: i32,
    ) -> Vec<Result<Verdict, WireError>> {
        self.packet_verdicts_with(packets, table, l3index, Checksums::Verify)
    }

    /// [`packet_verdict_with`](crate::packet_verdict_with) of each IP
    /// packet, in order: [`Batch::packet_verdicts`] with the checksum stage
    /// verified or skipped.
    pub fn packet_verdicts_with<P: AsRef<[u8]>>(
        &self,
        packets: &[P],
        table: &KeyTable,
        l3index: i32,
        checksums: Checksums,
    ) -> Vec<Result<Verdict, WireError>> {
        let at_sockets: Vec<PacketAtSocket<'_>> = packets
            .iter()
            .map(|p| PacketAtSocket {
                packet: p.as_ref(),
                table,
                l3index,
            })
            .collect();
        self.verdicts_at_sockets(&at_sockets, checksums)
    }

    /// [`packet_verdict_with`](crate::packet_verdict_with) of each packet
    /// at its own socket, in order (a capture of several connections).
    ///
    /// The receive path of `packet_verdict_with`, stage by stage with the
    /// library's own functions: locating the segment, the checksum stage
    /// before the lookup ([`Checksums::before_lookup`]), the key lookup,
    /// the authentication check (digests batched), and for a segment that
    /// passes it, the checksum stage after it
    /// ([`Checksums::after_auth_verdict`]).
    pub fn verdicts_at_sockets(
        &self,
        packets: &[PacketAtSocket<'_>],
        checksums: Checksums,
    ) -> Vec<Result<Verdict, WireError>> {
        let located: Vec<Result<SegmentAtSocket<'_>, WireError>> = packets
            .iter()
            .map(|p| {
                IpSegment::parse(p.packet).map(|located| SegmentAtSocket {
                    packet: p.packet,
                    located,
                    table: p.table,
                    l3index: p.l3index,
                })
            })
            .collect();
        self.receive(&located, |s| s.as_ref().map_err(|e| *e), checksums)
    }

    /// [`Batch::verdicts_at_sockets`] of segments already located in their
    /// packets.
    pub fn segment_verdicts(
        &self,
        segments: &[SegmentAtSocket<'_>],
        checksums: Checksums,
    ) -> Vec<Result<Verdict, WireError>> {
        self.receive(segments, Ok, checksums)
    }

    /// The receive path of `packet_verdict_with` for each of `segments`
    /// (`get` locates one; by reference: a segment is too big to copy
    /// around cheaply).
    fn receive<'a: 's, 's, S>(
        &self,
        segments: &'s [S],
        get: impl Fn(&'s S) -> Result<&'s SegmentAtSocket<'a>, WireError>,
        checksums: Checksums,
    ) -> Vec<Result<Verdict, WireError>> {
        let mut verdicts = self.verify(segments.iter().map(|s| {
            let s = get(s)?;
            if let Some(reason) = checksums.before_lookup(s.packet, &s.located) {
                return Ok(Err(Verdict::Drop(reason)));
            }
            Ok(Ok(ReceivedSegment {
                addrs: s.located.addrs,
                segment: s.located.segment,
                key: s
                    .table
                    .lookup(s.located.addrs.src(), s.l3index)
                    .map(|entry| &entry.key),
            }))
        }));
        for (verdict, s) in verdicts.iter_mut().zip(segments) {
            if let (Ok(v), Ok(s)) = (&mut *verdict, get(s)) {
                *v = checksums.after_auth_verdict(&s.located, *v);
            }
        }
        verdicts
    }

    /// The verdicts: per segment, what [`verify_segment`](crate::verify_segment) decides without
    /// hashing; the digests it needs, all at once. A segment may come
    /// already decided (`Ok(Err(verdict))`: dropped before the MD5 check).
    fn verify<'a>(
        &self,
        segments: impl ExactSizeIterator<Item = Result<Result<ReceivedSegment<'a>, Verdict>, WireError>>,
    ) -> Vec<Result<Verdict, WireError>> {
        let mut out = Vec::with_capacity(segments.len());
        let mut pending = Vec::new();
        let mut inputs = Vec::new();
        for (slot, s) in segments.enumerate() {
            let s = match s {
                Ok(Ok(s)) => s,
                Ok(Err(decided)) => {
                    out.push(Ok(decided));
                    continue;
                }
                Err(e) => {
                    out.push(Err(e));
                    continue;
                }
            };
            let packet = match TcpPacket::new_checked(s.segment) {
                Ok(p) => p,
                Err(e) => {
                    out.push(Err(e));
                    continue;
                }
            };
            let scan = self.semantics.scan(packet.options());
            match (scan, s.key) {
                (AuthScan::Md5 { digest, .. }, Some(key)) => {
                    // Dropped unless the digest verifies, as in `decide`; a
                    // segment too long for its pseudo-header cannot verify
                    // (`verify_segment`).
                    out.push(Ok(Verdict::Drop(DropReason::Md5Failure)));
                    inputs.push(DigestInput::EMPTY);
                    match inputs.last_mut().map(|i| i.set(&s.addrs, s.segment)) {
                        Some(Ok(())) => pending.push(Pending {
                            slot,
                            carried: *digest,
                            key,
                        }),
                        _ => {
                            inputs.pop();
                        }
                    }
                }
                // No digest to compute: the one-at-a-time decision.
                (scan, key) => out.push(Ok(decide(&s.addrs, s.segment, scan, key, self.semantics)
                    .unwrap_or(Verdict::Drop(DropReason::Md5Failure)))),
            }
        }
        let messages: Vec<[&[u8]; 3]> = pending
            .iter()
            .zip(&inputs)
            .map(|(p, input)| [input.head(), input.tail, p.key.as_bytes()])
            .collect();
        for (p, expected) in pending.iter().zip(self.lanes.digest(&messages)) {
            // Constant time as in `decide`, with one optimisation barrier
            // instead of sixteen (a tenth of the batch verdict time for bare
            // ACKs): the XOR of the digests, folded to 64 bits, against zero.
            let diff = u128::from_le_bytes(expected) ^ u128::from_le_bytes(p.carried);
            let folded = (diff as u64) | ((diff >> 64) as u64);
            if bool::from(folded.ct_eq(&0))
                && let Some(o) = out.get_mut(p.slot)
            {
                *o = Ok(Verdict::Accept(Acceptance::Signed));
            }
        }
        out
    }
}
