//! A connection's captured segments as AO vectors, each checked by the
//! model: the traffic key from the ISNs the handshake showed, the MAC over
//! the packet, the KeyIDs the sender's MKT must put in the option.

use std::collections::BTreeSet;

use tcpmd5::ao::{
    KdfContext, OptionCoverage, SegmentAo, derive_traffic_key, segment_sne, verify_segment_mac,
};
use tcpmd5::wire::IpSegment;
use tcpmd5::wire::tcp::TcpFlags;
use tcpmd5_testkit::record::{family_id, hex};

use super::ao_vector::{AoCapture, AoVector, Provenance, SegmentKind, TrafficKeyKind};
use super::connection::{Connection, mkt};
use super::pair::End;
use super::rows::Row;
use crate::vector_capture::error::CaptureError;

/// What produced the vectors, as their provenance names it.
const GENERATOR: &str = "conformance/src/vector_capture/ao";

/// The kind of a segment with `flags` and `payload` bytes.
fn kind(flags: TcpFlags, payload: usize) -> SegmentKind {
    if flags.contains(TcpFlags::RST) {
        SegmentKind::Rst
    } else if flags.contains(TcpFlags::SYN | TcpFlags::ACK) {
        SegmentKind::SynAck
    } else if flags.contains(TcpFlags::SYN) {
        SegmentKind::Syn
    } else if flags.contains(TcpFlags::FIN) {
        SegmentKind::Fin
    } else if payload > 0 {
        SegmentKind::Data
    } else {
        SegmentKind::Ack
    }
}

/// The ISN `end` sent in its SYN or SYN-ACK.
fn isn_of(conn: &Connection, end: End) -> Option<u32> {
    conn.packets.iter().find_map(|(sender, p)| {
        let seg = IpSegment::parse(p).ok()?;
        let tcp = seg.tcp();
        (*sender == end && tcp.flags().contains(TcpFlags::SYN)).then(|| tcp.seq_number())
    })
}

/// Appends `conn`'s segments to `out` as vectors; `scenario` names the
/// connection (`ao-v4-<row>`), `kernel` is `uname -r` made id-safe.
pub(super) fn add_vectors(
    out: &mut AoCapture,
    row: &Row,
    scenario: &str,
    conn: &Connection,
) -> Result<(), CaptureError> {
    let (Some(client_isn), Some(server_isn)) =
        (isn_of(conn, End::Client), isn_of(conn, End::Server))
    else {
        out.missing
            .push(format!("{scenario}: no handshake captured"));
        return Ok(());
    };
    let kernel_id = super::super::sink::id_safe(&out.kernel);
    let mut seen = BTreeSet::new();
    let mut kinds = BTreeSet::new();
    let (mut client_n, mut server_n) = (0usize, 0usize);
    for (sender, packet) in &conn.packets {
        let Ok(seg) = IpSegment::parse(packet) else {
            continue;
        };
        let tcp = seg.tcp();
        let payload = tcp.payload().len();
        // A retransmission is the same segment again (its timestamp aside).
        if !seen.insert((
            *sender == End::Client,
            tcp.seq_number(),
            tcp.ack_number(),
            tcp.flags().0,
            payload,
        )) {
            continue;
        }
        let seg_kind = kind(tcp.flags(), payload);
        kinds.insert(seg_kind);
        let (end_name, peer_ip, n) = match sender {
            End::Client => ("client", conn.server.ip(), &mut client_n),
            End::Server => ("server", conn.client.ip(), &mut server_n),
        };
        let id = format!(
            "kernel-{kernel_id}/{scenario}/{end_name}-{:02}-{}",
            *n,
            seg_kind.id()
        );
        *n += 1;
        let own = mkt(row, *sender, peer_ip)?;
        let (src_isn, other_isn) = match sender {
            End::Client => (client_isn, server_isn),
            End::Server => (server_isn, client_isn),
        };
        let dst_isn = if seg_kind == SegmentKind::Syn {
            0
        } else {
            other_isn
        };
        let key_kind = match (sender, seg_kind == SegmentKind::Syn) {
            (End::Client, true) => TrafficKeyKind::SendSyn,
            (End::Client, false) => TrafficKeyKind::SendOther,
            (End::Server, true) => TrafficKeyKind::ReceiveSyn,
            (End::Server, false) => TrafficKeyKind::ReceiveOther,
        };
        // Connections this short wrap their sequence space at most once;
        // the SNE of a segment is counted from its sender's ISN.
        let sne = segment_sne(0, src_isn, tcp.seq_number());
        let ctx = KdfContext::new(&seg.addrs, tcp.src_port(), tcp.dst_port(), src_isn, dst_isn);
        let key = match derive_traffic_key(row.algorithm, &own.secret, &ctx) {
            Ok(key) => key,
            Err(e) => {
                out.disagreements
                    .push(format!("{id}: the model refuses the master key: {e}"));
                continue;
            }
        };
        let ao = match SegmentAo::find(seg.segment) {
            Ok(ao) => ao,
            Err(e) => {
                out.disagreements
                    .push(format!("{id}: no usable AO option: {e}"));
                continue;
            }
        };
        let (key_id, rnext_key_id, mac) = (
            ao.option.key_id(),
            ao.option.rnext_key_id(),
            hex(ao.option.mac()),
        );
        match verify_segment_mac(&key, &seg.addrs, seg.segment, sne, row.coverage) {
            Ok(true) => {}
            Ok(false) => out.disagreements.push(format!(
                "{id}: the model's MAC differs from the kernel's {mac}"
            )),
            Err(e) => out.disagreements.push(format!("{id}: {e}")),
        }
        if (key_id, rnext_key_id) != (own.send_id, own.recv_id) {
            out.disagreements.push(format!(
                "{id}: KeyID {key_id} RNextKeyID {rnext_key_id}, the MKT sends {} and expects {}",
                own.send_id, own.recv_id
            ));
        }
        if !tcp.verify_checksum(&seg.addrs) {
            out.disagreements
                .push(format!("{id}: the TCP checksum does not verify"));
        }
        let family = family_id(&seg.addrs);
        out.vectors.push(AoVector {
            comment: format!(
                "the {end_name}'s {} ({}; {})",
                describe(seg_kind),
                row.why,
                if family == "ipv4" { "IPv4" } else { "IPv6" }
            ),
            id,
            provenance: Provenance::Kernel {
                kernel: out.kernel.clone(),
                config_sha256: out.config_sha256.clone(),
                generator: GENERATOR.to_owned(),
                scenario: scenario.to_owned(),
            },
            family: family.to_owned(),
            segment: seg_kind,
            algorithm: row.algorithm.short_id().to_owned(),
            master_key: hex(row.master_key),
            key_id,
            rnext_key_id,
            options: match row.coverage {
                OptionCoverage::Included => "included",
                OptionCoverage::Excluded => "excluded",
            }
            .to_owned(),
            traffic_key_kind: key_kind,
            src_isn,
            dst_isn,
            sne,
            packet: hex(packet),
            traffic_key: hex(key.as_bytes()),
            mac,
        });
    }
    for k in SegmentKind::ALL {
        if !kinds.contains(&k) {
            out.missing.push(format!("{scenario}: no {}", k.id()));
        }
    }
    Ok(())
}

/// What a segment of `kind` is in this capture's connections.
fn describe(kind: SegmentKind) -> &'static str {
    match kind {
        SegmentKind::Syn => "SYN from connect()",
        SegmentKind::SynAck => "SYN-ACK from the listener",
        SegmentKind::Ack => "ACK",
        SegmentKind::Data => "data segment",
        SegmentKind::Fin => "FIN from shutdown(SHUT_WR)",
        SegmentKind::Rst => "RST from close() with SO_LINGER 0",
    }
}
