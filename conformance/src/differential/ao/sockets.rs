//! The kernel sockets of the AO share, made afresh for every case (closing
//! a listener drops its request sockets without a segment, and an aborted
//! connection leaves nothing behind): a listener holding the case's MKTs
//! (and `ao_required`), and an established connection accepted from such
//! a listener after a handshake the peer signs with AO, learning the
//! kernel's ISN from its SYN-ACK, whose MAC the model verifies.

use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsFd;

use socket2::Socket;
use tcpmd5::ao::{AoLocation, AoOption, derive_traffic_key, locate};
use tcpmd5::ao::{FlowIsns, Mkt, MktTable, OptionCoverage, segment_context, verify_segment_mac};
use tcpmd5::wire::{TcpFlags, TcpPacket};
use tcpmd5::{AddrPair, Family};
use tcpmd5_testkit::TcpSegmentSpec;

use super::input::{AoInput, AoKeySpec};
use super::segment::{Signer, ao_option, sign, unsignable};
use crate::error::Error;
use crate::exchange::{Barrier, Reply, exchange};
use crate::harness::Lab;
use crate::harness::ao_sockopt::{self, AoAddKey, AoInfo};
use crate::segment::{MSS_OPTION, SegmentSpec};

/// A listening socket with the case's MKTs, and the model of them.
#[derive(Debug)]
pub(super) struct AoListener {
    /// The socket (non-blocking).
    pub sock: Socket,
    /// The model of its keys, newest first as the kernel lists them.
    pub table: MktTable,
}

/// Opens a listener at the kernel's address of `family`, `port`, holding
/// `mkts` (added oldest first) and `ao_required` if `required`. Every
/// request must succeed: the generator only makes keys the kernel takes.
pub(super) fn listener(
    lab: &Lab,
    family: Family,
    port: u16,
    mkts: &[Mkt],
    required: bool,
) -> Result<AoListener, Error> {
    let addr = SocketAddr::new(lab.kernel_addr(family), port);
    let v6only = (family == Family::V6).then_some(true);
    let sock = crate::harness::sockopt::listener(addr, v6only)
        .map_err(Error::io(format!("listen on {addr}")))?;
    let mut table = MktTable::new();
    for mkt in mkts {
        ao_sockopt::add_key(sock.as_fd(), &AoAddKey::for_mkt(mkt)).map_err(|e| {
            Error::NotSeen(format!(
                "TCP_AO_ADD_KEY {}/{} ids {}/{}: {}",
                mkt.peer,
                mkt.prefix,
                mkt.send_id,
                mkt.recv_id,
                e.name()
            ))
        })?;
        table.add(mkt.clone());
    }
    if required {
        let info = AoInfo {
            ao_required: true,
            ..AoInfo::default()
        };
        ao_sockopt::set_info(sock.as_fd(), &info)
            .map_err(|e| Error::NotSeen(format!("TCP_AO_INFO ao_required: {}", e.name())))?;
        table.required = true;
    }
    Ok(AoListener { sock, table })
}

/// An established connection signed with AO.
#[derive(Debug)]
pub(super) struct AoConnection {
    /// The accepted socket (non-blocking).
    pub sock: Socket,
    /// Its MKTs: the listener's that cover the peer.
    pub table: MktTable,
    /// Peer -> kernel.
    pub addrs: AddrPair,
    /// The peer's port.
    pub peer_port: u16,
    /// The kernel's port.
    pub kernel_port: u16,
    /// The kernel's ISN (from its SYN-ACK).
    pub kernel_isn: u32,
    /// The current key's `sndid` after the handshake (the SYN's RNextKeyID).
    pub current_send_id: u8,
    /// The KeyID of the handshake (the RNext key's `rcvid`).
    pub handshake_key_id: u8,
    /// What verifying the kernel's handshake segments found.
    pub problems: Vec<String>,
}

impl Drop for AoConnection {
    /// Aborts the connection (SO_LINGER 0: an RST, no FIN-WAIT).
    fn drop(&mut self) {
        let _ = self.sock.set_linger(Some(std::time::Duration::ZERO));
    }
}

/// The MAC check of a kernel segment `reply` against the model: it must
/// carry an AO option whose KeyID is a key's `sndid` in `table` (and
/// `want_key_id` where given), with the MAC that key gives; `isns` as the
/// kernel sends (its ISN first). Problems are returned in words.
pub(super) fn check_kernel_segment(
    reply: &Reply,
    table: &MktTable,
    isns: Option<FlowIsns>,
    want_key_id: Option<u8>,
    sne: u32,
) -> Vec<String> {
    let what = crate::words::flags(reply.flags);
    let Ok(tcp) = TcpPacket::new_checked(&reply.segment[..]) else {
        return vec![format!("kernel's {what} is not a TCP segment")];
    };
    let option = match locate(tcp.options()) {
        Ok(AoLocation::Ao { option, .. }) => option,
        Ok(_) => return vec![format!("kernel's {what} carries no AO option")],
        Err(e) => return vec![format!("kernel's {what} option area is malformed: {e:?}")],
    };
    let option: AoOption<'_> = option;
    let mut problems = Vec::new();
    if let Some(want) = want_key_id
        && option.key_id() != want
    {
        problems.push(format!(
            "kernel's {what} KeyID {}, want {want} (the current key's SendID)",
            option.key_id()
        ));
    }
    let Some(key) = table.keys().iter().find(|k| k.send_id == option.key_id()) else {
        problems.push(format!(
            "kernel's {what} KeyID {} is no key's SendID",
            option.key_id()
        ));
        return problems;
    };
    let Some(ctx) = segment_context(&reply.addrs, &reply.segment, isns) else {
        problems.push(format!("kernel's {what}: no KDF context"));
        return problems;
    };
    let verified = derive_traffic_key(key.algorithm, &key.secret, &ctx).and_then(|traffic| {
        verify_segment_mac(&traffic, &reply.addrs, &reply.segment, sne, key.coverage)
    });
    match verified {
        Ok(true) => {}
        Ok(false) => problems.push(format!(
            "kernel's {what} MAC does not verify with key {}/{} ({}, options {})",
            key.send_id,
            key.recv_id,
            key.algorithm.short_id(),
            if key.coverage == OptionCoverage::Excluded {
                "excluded"
            } else {
                "included"
            }
        )),
        Err(e) => problems.push(format!("kernel's {what} MAC cannot be checked: {e}")),
    }
    problems
}

/// Connects the peer at `port` to `listener` (on `kernel_port`) with a
/// handshake signed with `signer` (the `index`th key, `mkt` its MKT), and
/// accepts the connection.
#[allow(clippy::too_many_arguments)]
pub(super) fn connect(
    lab: &mut Lab,
    barrier: &mut Barrier,
    listener: &AoListener,
    family: Family,
    (port, kernel_port): (u16, u16),
    peer_isn: u32,
    signer: (&AoKeySpec, &Mkt),
    input: &AoInput,
) -> Result<AoConnection, Error> {
    let (spec_key, mkt) = signer;
    let peer: IpAddr = lab.peer_addr(family);
    let addrs = AddrPair::new(peer, lab.kernel_addr(family))
        .map_err(|_| Error::WrongFamily { addr: peer, family })?;
    let mut syn = TcpSegmentSpec {
        seq: peer_isn,
        window: 64240,
        options: [
            ao_option(mkt.recv_id, mkt.send_id, mkt.mac_len),
            MSS_OPTION.to_vec(),
        ]
        .concat(),
        ..TcpSegmentSpec::new(addrs, (port, kernel_port), TcpFlags::SYN)
    };
    pad(&mut syn.options);
    let syn_signer = Signer {
        key: spec_key,
        key_id: mkt.recv_id,
        isns: None,
        rcv_nxt: 0,
    };
    sign(&mut syn, &syn_signer, None).map_err(unsignable("the SYN"))?;
    let obs = exchange(lab, barrier, &SegmentSpec::plain(syn))?;
    let Some(synack) = obs.replies.iter().find(|r| {
        r.flags.contains(TcpFlags::SYN | TcpFlags::ACK) && r.ack.0 == peer_isn.wrapping_add(1)
    }) else {
        return Err(Error::NotSeen(format!(
            "no SYN-ACK to the AO-signed SYN of key {}/{} (counters {:?}, {} replies; {} keys, ao_required {})",
            mkt.send_id,
            mkt.recv_id,
            obs.auth_counters,
            obs.replies.len(),
            input.keys.len(),
            input.required
        )));
    };
    let kernel_isn = synack.seq.0;
    let mut table = MktTable::new();
    table.required = listener.table.required;
    // The child copies the listener's keys that cover the peer (the
    // listener lists them newest first, the copy reverses the order).
    for k in listener.table.keys().iter().filter(|k| k.covers(peer, 0)) {
        table.add(k.clone());
    }
    let mut problems = check_kernel_segment(synack, &table, None, Some(mkt.send_id), 0);
    let mut ack = TcpSegmentSpec {
        seq: peer_isn.wrapping_add(1),
        ack: kernel_isn.wrapping_add(1),
        window: 64240,
        options: ao_option(mkt.recv_id, mkt.send_id, mkt.mac_len),
        ..TcpSegmentSpec::new(addrs, (port, kernel_port), TcpFlags::ACK)
    };
    pad(&mut ack.options);
    let isns = FlowIsns {
        src_isn: peer_isn,
        dst_isn: kernel_isn,
    };
    let ack_signer = Signer {
        key: spec_key,
        key_id: mkt.recv_id,
        isns: Some(isns),
        rcv_nxt: peer_isn.wrapping_add(1),
    };
    sign(&mut ack, &ack_signer, None).map_err(unsignable("the third ACK"))?;
    let obs = exchange(lab, barrier, &SegmentSpec::plain(ack))?;
    let good = obs.auth_counters.get("TCPAOGood") == Some(&1) && obs.auth_counters.len() == 1;
    if !good || !obs.replies.is_empty() {
        problems.push(format!(
            "the AO-signed third ACK: counters {:?}, {} replies (want TCPAOGood +1, none)",
            obs.auth_counters,
            obs.replies.len()
        ));
    }
    let accepted = listener
        .sock
        .accept()
        .map_err(Error::io("accept"))
        .map(|(s, _)| s)
        .map_err(|e| Error::NotSeen(format!("the AO handshake completed but accept(): {e}")))?;
    accepted
        .set_nonblocking(true)
        .map_err(Error::io("O_NONBLOCK on the accepted socket"))?;
    Ok(AoConnection {
        sock: accepted,
        table,
        addrs,
        peer_port: port,
        kernel_port,
        kernel_isn,
        current_send_id: mkt.send_id,
        handshake_key_id: mkt.recv_id,
        problems,
    })
}

/// Pads an option area with NOPs to a multiple of 4.
fn pad(area: &mut Vec<u8>) {
    let len = area.len().next_multiple_of(4);
    area.resize(len, tcpmd5::wire::tcp_option::kind::NOP);
}
