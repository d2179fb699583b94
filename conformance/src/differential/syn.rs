//! A generated SYN to a listener: the kernel's verdict is its SYN-ACK (or
//! silence), counters and tracepoints, held against the model by
//! [`crate::judge::judge`], which also verifies the SYN-ACK's signature.

use tcpmd5::wire::{TcpFlags, TcpPacket};
use tcpmd5::{AddrPair, Semantics, packet_verdict};

use super::input::Input;
use super::judged::{Judged, inferred};
use super::probe::{Flippable, Header, build};
use super::targets::{SYN_PORT, Targets};
use crate::error::Error;
use crate::exchange::exchange;
use crate::judge::judge;
use crate::outcome::Outcome;
use crate::segment::{SegmentSpec, Signing};
use tcpmd5_testkit::options::linux_md5_placeholder;

/// Flag bits a generated SYN may carry besides SYN: PSH, URG, ECE, CWR, AE.
const SYN_EXTRA_FLAGS: u16 = 0x1e8;

/// Runs one SYN case. `Err` is a harness failure, not a disagreement.
//= type=test
//= 2.0/verify
//= 2.0/silent-drop
//= 9293-3.1/option-list
//= linux/md5-notfound
//= linux/md5-unexpected
//= linux/auth-hdr-drop
//= linux/ao-unchecked
//= linux/md5-key-lookup
pub(super) fn run(t: &mut Targets, semantics: Semantics, input: &Input) -> Result<Judged, Error> {
    let family = t.family();
    let peer = t.peer_addr();
    t.listener_holds(input.receiver_key.as_ref(), input.key_scope)?;
    let port = t.next_port();
    let addrs = AddrPair::new(peer, t.lab.kernel_addr(family))
        .map_err(|_| Error::WrongFamily { addr: peer, family })?;
    let header = Header {
        addrs,
        src_port: port,
        dst_port: SYN_PORT,
        seq: input.base.seq,
        ack: input.base.ack,
        flags: TcpFlags(TcpFlags::SYN.0 | (input.base.flags.0 & SYN_EXTRA_FLAGS)),
        payload: input.keep_payload,
    };
    let key = t.listener.key_for(peer);
    let spec = build(input, header, key.as_ref(), Flippable::Syn);
    let packet = spec.packet();
    let segment = spec.segment();
    let seq = TcpPacket::new_checked(&segment[..]).map_or(spec.tcp.seq, |p| p.seq_number());
    let verdict = packet_verdict(&packet, &t.listener.model, 0, semantics)
        .map_err(Error::model("the probe"))?;
    let obs = exchange(&mut t.lab, &mut t.barrier, &spec)?;
    let finding = judge(&obs, seq.wrapping_add(1), verdict, key.as_ref());
    // Free the request socket so the listener's queue never fills.
    if obs.replies.iter().any(|r| r.flags.contains(TcpFlags::SYN)) {
        let mut rst = SegmentSpec::syn(peer, addrs.dst(), port, SYN_PORT, seq.wrapping_add(1));
        rst.tcp.flags = TcpFlags::RST;
        rst.tcp.options = Vec::new();
        if let Some(k) = key {
            rst.tcp.options = linux_md5_placeholder();
            rst.signing = Signing::Key(k);
        }
        t.lab
            .send_ip(&rst.packet())
            .map_err(Error::harness("sending the RST that frees the request"))?;
    }
    let problems = match finding.outcome {
        Outcome::Pass => Vec::new(),
        Outcome::Error(e) => return Err(Error::NotSeen(e)),
        other => vec![other.reason().unwrap_or("").to_owned()],
    };
    Ok(Judged {
        verdict,
        expected: finding.steps.expected_line(),
        observed: finding.steps.observed_line(),
        problems,
        notes: finding.notes,
        packet,
        inferred: inferred(&obs, verdict),
    })
}
