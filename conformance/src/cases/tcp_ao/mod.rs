//! TCP-AO (RFC 5925, algorithms RFC 5926) on a kernel with `CONFIG_TCP_AO`,
//! held to the model: the peer signs every segment with
//! [`tcpmd5::ao::sign_segment`] (traffic keys from the ISNs it observes,
//! SNE tracked), every kernel segment is verified by the model, and every
//! probe's verdict is [`tcpmd5::ao::receive`]'s for the socket's state and
//! MKTs, witnessed by the `TcpExt` counters (`TCPAOGood`, `TCPAOBad`,
//! `TCPAOKeyNotFound`, `TCPAORequired`), the drop tracepoints and the
//! socket's `TCP_AO_INFO` counters. One Row table, run per family; the
//! cases' bodies are in [`connection`], [`listener`] and [`time_wait`].
//!
//! The kernel's keys are asymmetric (SendID 10, RecvID 20; a second key
//! 11/21) so that a peer mirroring them wrongly could not pass. Kernels
//! without TCP-AO skip every case (`Need::TcpAo`).

use std::net::IpAddr;

use tcpmd5::Family;
use tcpmd5::ao::{Algorithm, MasterKey, Mkt, OptionCoverage};
use tcpmd5::wire::SeqNumber;

use super::kit::ao::{AoConn, AoListener, ao_handshake, ao_peer, ao_peer_at};
use super::kit::ao_steps::ProbeAuth;
use crate::case::{Case, Ctx, Need};
use crate::error::Error;
use crate::peer::Peer;
use crate::record::{Record, Role};

mod connection;
mod listener;
mod repaired;
mod time_wait;

/// The kernel's first key: SendID 10, RecvID 20.
pub(super) const K1: (u8, u8) = (10, 20);
/// The kernel's second key: SendID 11, RecvID 21.
pub(super) const K2: (u8, u8) = (11, 21);

/// What a case does.
#[derive(Debug, Clone, Copy)]
enum Scenario {
    /// The handshake (SYN, SYN-ACK, third ACK) and data both ways.
    Handshake(Algorithm, OptionCoverage),
    /// Data on the established connection.
    Data(ProbeAuth),
    /// An in-window RST on the established connection.
    Rst(ProbeAuth),
    /// An unsigned SYN at a listener with `ao_required` and no key for the peer.
    RequiredUnsignedSyn,
    /// The peer's RNextKeyID makes the kernel switch its current key.
    Rotation,
    /// The peer's sequence numbers wrap; the kernel's SNE read and set
    /// through `TCP_AO_REPAIR`.
    SneWrap,
    /// The kernel's sequence numbers wrap on a connection placed by `TCP_REPAIR`.
    KernelSneWrap,
    /// An AO key for the peer and an MD5 key for another peer on one listener.
    Md5AndAo,
    /// A retransmitted FIN reaching TIME-WAIT.
    TimeWait(ProbeAuth),
}

/// One case.
#[derive(Debug, Clone, Copy)]
struct Row {
    name: &'static str,
    summary: &'static str,
    salt: u16,
    scenario: Scenario,
}

const ROWS: &[Row] = &[
    Row {
        name: "handshake-hmac-sha1",
        summary: "an HMAC-SHA-1-96 handshake and data both ways verify; the child's current key is the SYN's RNextKeyID",
        salt: 1,
        scenario: Scenario::Handshake(Algorithm::HmacSha1, OptionCoverage::Included),
    },
    Row {
        name: "handshake-aes-cmac",
        summary: "an AES-128-CMAC-96 handshake (21-byte master key, shortened by the KDF) and data both ways verify",
        salt: 2,
        scenario: Scenario::Handshake(Algorithm::AesCmac, OptionCoverage::Included),
    },
    Row {
        name: "options-excluded",
        summary: "with TCP_AO_KEYF_EXCLUDE_OPT the MACs of the SYN, SYN-ACK (MSS, ...) and data cover the AO option alone",
        salt: 3,
        scenario: Scenario::Handshake(Algorithm::HmacSha1, OptionCoverage::Excluded),
    },
    Row {
        name: "data-wrong-mac",
        summary: "data with a MAC bit flipped is dropped (TCPAOBad, tcp_ao_mismatch) and not delivered",
        salt: 4,
        scenario: Scenario::Data(ProbeAuth::WrongMac),
    },
    Row {
        name: "data-unknown-keyid",
        summary: "data signed with a KeyID no MKT has is dropped (TCPAOKeyNotFound, tcp_ao_key_not_found)",
        salt: 5,
        scenario: Scenario::Data(ProbeAuth::UnknownKeyId),
    },
    Row {
        name: "data-unsigned",
        summary: "unsigned data on an AO connection is dropped (TCPAORequired, tcp_hash_ao_required)",
        salt: 6,
        scenario: Scenario::Data(ProbeAuth::Unsigned),
    },
    Row {
        name: "required-unsigned-syn",
        summary: "TCP_AO_INFO ao_required: an unsigned SYN from a peer no MKT covers is dropped (TCPAORequired)",
        salt: 7,
        scenario: Scenario::RequiredUnsignedSyn,
    },
    Row {
        name: "key-rotation",
        summary: "the peer's RNextKeyID switches the kernel's current key (TCP_AO_INFO before/after, KeyID of its next segment)",
        salt: 8,
        scenario: Scenario::Rotation,
    },
    Row {
        name: "sne-wrap",
        summary: "data across the peer's 2^32 wrap verifies with SNE 1; TCP_AO_REPAIR reads the kernel's SNEs and sets its send SNE",
        salt: 9,
        scenario: Scenario::SneWrap,
    },
    Row {
        name: "sne-wrap-kernel",
        summary: "a connection placed by TCP_REPAIR 0x81 bytes short of 2^32: the kernel signs across the wrap with SNE 0 then 1, and TCP_AO_REPAIR shows send SNE 1",
        salt: 17,
        scenario: Scenario::KernelSneWrap,
    },
    Row {
        name: "rst-signed",
        summary: "an AO-signed in-window RST resets the connection (ECONNRESET)",
        salt: 10,
        scenario: Scenario::Rst(ProbeAuth::Signed),
    },
    Row {
        name: "rst-unsigned",
        summary: "an unsigned in-window RST is dropped (TCPAORequired); the connection lives on",
        salt: 11,
        scenario: Scenario::Rst(ProbeAuth::Unsigned),
    },
    Row {
        name: "rst-wrong-mac",
        summary: "an in-window RST with a wrong MAC is dropped (TCPAOBad); the connection lives on",
        salt: 12,
        scenario: Scenario::Rst(ProbeAuth::WrongMac),
    },
    Row {
        name: "md5-and-ao-listener",
        summary: "one listener: an AO handshake from the peer its MKT covers, an MD5 handshake from another peer",
        salt: 13,
        scenario: Scenario::Md5AndAo,
    },
    Row {
        name: "time-wait-signed-fin",
        summary: "an AO-signed retransmitted FIN reaching TIME-WAIT is answered by an AO-signed ACK the model verifies",
        salt: 14,
        scenario: Scenario::TimeWait(ProbeAuth::Signed),
    },
    Row {
        name: "time-wait-unsigned-fin",
        summary: "an unsigned retransmitted FIN reaching TIME-WAIT is not checked and is answered by an unsigned ACK on the AO connection",
        salt: 15,
        scenario: Scenario::TimeWait(ProbeAuth::Unsigned),
    },
    Row {
        name: "time-wait-wrong-mac-fin",
        summary: "a retransmitted FIN with a wrong MAC reaching TIME-WAIT is not checked: ACKed (AO-signed), no counter moves",
        salt: 16,
        scenario: Scenario::TimeWait(ProbeAuth::WrongMac),
    },
];

/// Every TCP-AO case.
pub(super) fn cases() -> Vec<Case> {
    ROWS.iter()
        .flat_map(|row| {
            Case::per_family("tcp-ao", row.name, row.summary, move |ctx, family| {
                run_row(ctx, family, row)
            })
        })
        .map(|c| c.with_need(Need::TcpAo))
        .collect()
}

/// The master key of the kernel's keys: 21 bytes (for AES-128-CMAC not
/// 16, so the KDF shortens it first, RFC 5926 §3.1.2).
fn secret() -> Result<MasterKey, Error> {
    MasterKey::new(b"tcpmd5-ao-conformance").map_err(Error::MasterKey)
}

/// A kernel key for `peer` with `(SendID, RecvID)`.
pub(super) fn kernel_key(
    peer: IpAddr,
    (send_id, recv_id): (u8, u8),
    alg: Algorithm,
    coverage: OptionCoverage,
) -> Result<Mkt, Error> {
    Ok(Mkt {
        coverage,
        ..Mkt::new(peer, send_id, recv_id, alg, secret()?)
    })
}

fn run_row(ctx: &mut Ctx<'_>, family: Family, row: &Row) -> Result<crate::outcome::Finding, Error> {
    let mut rec = Record::new();
    let peer = match row.scenario {
        Scenario::Handshake(alg, coverage) => {
            connection::handshake(ctx, &mut rec, family, row.salt, alg, coverage)?
        }
        Scenario::Data(auth) => connection::data(ctx, &mut rec, family, row.salt, auth)?,
        Scenario::Rst(auth) => connection::rst(ctx, &mut rec, family, row.salt, auth)?,
        Scenario::RequiredUnsignedSyn => {
            listener::required_unsigned_syn(ctx, &mut rec, family, row.salt)?
        }
        Scenario::Rotation => connection::rotation(ctx, &mut rec, family, row.salt)?,
        Scenario::SneWrap => connection::sne_wrap(ctx, &mut rec, family, row.salt)?,
        Scenario::KernelSneWrap => repaired::kernel_sne_wrap(ctx, &mut rec, family, row.salt)?,
        Scenario::Md5AndAo => return listener::md5_and_ao(ctx, rec, family, row.salt),
        Scenario::TimeWait(auth) => time_wait::time_wait(ctx, &mut rec, family, row.salt, auth)?,
    };
    Ok(super::kit::conn::finish(rec, &[&peer]))
}

/// A listener holding `keys` for the peer, the AO peer mirroring them
/// (signing with KeyID = `K1`'s RecvID, asking for `K1`'s SendID), and the
/// accepted connection; the handshake's steps have `role`.
pub(super) fn established(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    family: Family,
    salt: u16,
    keys: &[Mkt],
    peer_isn: Option<SeqNumber>,
    role: Role,
) -> Result<(AoListener, Peer, AoConn), Error> {
    let mut listener = AoListener::open(ctx, family)?;
    for k in keys {
        listener.add(k)?;
    }
    let ids = (K1.1, K1.0);
    let mut peer = match peer_isn {
        Some(isn) => ao_peer_at(ctx, family, salt, keys, ids, isn)?,
        None => ao_peer(ctx, family, salt, keys, ids)?,
    };
    let (conn, _) = ao_handshake(ctx, rec, &listener, &mut peer, role)?;
    Ok((listener, peer, conn))
}

/// The kernel's keys for the default peer: `K1` (and `K2` when `two`).
pub(super) fn default_keys(ctx: &Ctx<'_>, family: Family, two: bool) -> Result<Vec<Mkt>, Error> {
    let peer = ctx.lab.peer_addr(family);
    let mut keys = vec![kernel_key(
        peer,
        K1,
        Algorithm::HmacSha1,
        OptionCoverage::Included,
    )?];
    if two {
        keys.push(kernel_key(
            peer,
            K2,
            Algorithm::HmacSha1,
            OptionCoverage::Included,
        )?);
    }
    Ok(keys)
}
