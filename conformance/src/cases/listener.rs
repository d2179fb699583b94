//! A listener with a key, and one without: SYNs signed, unsigned, with the
//! wrong key, and corrupted in every hashed field.

use tcpmd5::Family;
use tcpmd5::wire::TcpFlags;

use super::common::{
    addrs_with_src, key, keyed_listener, keyless_listener, other_peer, signed_syn, syn, wrong_key,
};
use crate::case::{Case, Ctx};
use crate::outcome::Finding;
use crate::segment::{SIGNED_SYN_OPTIONS, SegmentSpec, Signing};

/// A SYN-level corruption of a correctly signed SYN.
#[derive(Debug, Clone, Copy)]
enum Corruption {
    /// None: a control.
    None,
    /// Flip a bit of the TCP segment at (offset, bit), after signing.
    Flip(usize, u8),
    /// Sign over another source address than the one sent from.
    WrongSrc,
    /// Sign over another destination address.
    WrongDst,
}

fn corrupted(
    name: &str,
    summary: &str,
    corruption: Corruption,
    payload: &'static [u8],
) -> Vec<Case> {
    Case::per_family(
        "listener-key",
        name,
        summary,
        move |ctx: &mut Ctx<'_>, family: Family| {
            let listener = match keyed_listener(ctx, family) {
                Ok(l) => l,
                Err(e) => return Finding::error(e),
            };
            let mut probe = signed_syn(ctx, family, 1, &key());
            probe.payload = payload.to_vec();
            match corruption {
                Corruption::None => {}
                Corruption::Flip(offset, bit) => probe.flips.push((offset, bit)),
                Corruption::WrongSrc => {
                    let over = addrs_with_src(&probe, other_peer(family));
                    probe.signing = Signing::KeyOver(key(), over);
                }
                Corruption::WrongDst => {
                    let over = tcpmd5::AddrPair::new(probe.addrs.src(), other_peer(family))
                        .unwrap_or(probe.addrs);
                    probe.signing = Signing::KeyOver(key(), over);
                }
            }
            listener.probe(ctx, &probe)
        },
    )
}

/// Cases of this area.
pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(Case::per_family(
        "listener-key",
        "syn-signed",
        "a correctly signed SYN is answered by a SYN-ACK the reference library verifies",
        |ctx, family| {
            let listener = match keyed_listener(ctx, family) {
                Ok(l) => l,
                Err(e) => return Finding::error(e),
            };
            let probe = signed_syn(ctx, family, 0, &key());
            listener.probe(ctx, &probe)
        },
    ));
    cases.extend(Case::per_family(
        "listener-key",
        "syn-unsigned",
        "an unsigned SYN to a listener that holds a key for the peer",
        |ctx, family| {
            let listener = match keyed_listener(ctx, family) {
                Ok(l) => l,
                Err(e) => return Finding::error(e),
            };
            let probe = syn(ctx, family, 2);
            listener.probe(ctx, &probe)
        },
    ));
    cases.extend(Case::per_family(
        "listener-key",
        "syn-wrong-key",
        "a SYN signed with another key",
        |ctx, family| {
            let listener = match keyed_listener(ctx, family) {
                Ok(l) => l,
                Err(e) => return Finding::error(e),
            };
            let probe = signed_syn(ctx, family, 3, &wrong_key());
            listener.probe(ctx, &probe)
        },
    ));
    cases.extend(Case::per_family(
        "listener-key",
        "syn-zero-digest",
        "a SYN whose MD5 option carries an all-zero digest",
        |ctx, family| {
            let listener = match keyed_listener(ctx, family) {
                Ok(l) => l,
                Err(e) => return Finding::error(e),
            };
            let mut probe = syn(ctx, family, 4);
            probe.options = SIGNED_SYN_OPTIONS.to_vec();
            listener.probe(ctx, &probe)
        },
    ));
    // The digest sits at option offset 4 of the Linux layout: TCP byte 24.
    cases.extend(corrupted(
        "digest-bitflip",
        "one bit of the digest flipped",
        Corruption::Flip(24 + 7, 3),
        b"",
    ));
    cases.extend(corrupted(
        "bitflip-src-port",
        "a bit of the source port flipped after signing",
        Corruption::Flip(1, 0),
        b"",
    ));
    cases.extend(corrupted(
        "bitflip-seq",
        "a bit of the sequence number flipped after signing",
        Corruption::Flip(5, 2),
        b"",
    ));
    cases.extend(corrupted(
        "bitflip-ack",
        "a bit of the (unused) acknowledgement number flipped",
        Corruption::Flip(9, 1),
        b"",
    ));
    cases.extend(corrupted(
        "bitflip-reserved",
        "a reserved header bit flipped (byte 12, hashed)",
        Corruption::Flip(12, 1),
        b"",
    ));
    cases.extend(corrupted(
        "bitflip-flags",
        "the PSH flag set after signing",
        Corruption::Flip(13, 3),
        b"",
    ));
    cases.extend(corrupted(
        "bitflip-window",
        "a bit of the window flipped",
        Corruption::Flip(14, 5),
        b"",
    ));
    cases.extend(corrupted(
        "bitflip-urgent",
        "a bit of the urgent pointer flipped",
        Corruption::Flip(19, 0),
        b"",
    ));
    cases.extend(corrupted(
        "bitflip-payload",
        "a bit of a SYN's payload flipped",
        Corruption::Flip(44 + 3, 6),
        b"BGP OPEN",
    ));
    cases.extend(corrupted(
        "payload-intact",
        "a signed SYN carrying 8 payload bytes (control)",
        Corruption::None,
        b"BGP OPEN",
    ));
    cases.extend(corrupted(
        "wrong-src-in-pseudo-header",
        "signed over another source address than sent from",
        Corruption::WrongSrc,
        b"",
    ));
    cases.extend(corrupted(
        "wrong-dst-in-pseudo-header",
        "signed over another destination address",
        Corruption::WrongDst,
        b"",
    ));

    cases.extend(Case::per_family(
        "listener-nokey",
        "syn-unsigned",
        "an unsigned SYN to a listener without keys is answered",
        |ctx, family| {
            let listener = match keyless_listener(ctx, family) {
                Ok(l) => l,
                Err(e) => return Finding::error(e),
            };
            let probe = syn(ctx, family, 5);
            listener.probe(ctx, &probe)
        },
    ));
    cases.extend(Case::per_family(
        "listener-nokey",
        "syn-signed",
        "a signed SYN to a listener without keys",
        |ctx, family| {
            let listener = match keyless_listener(ctx, family) {
                Ok(l) => l,
                Err(e) => return Finding::error(e),
            };
            let probe = signed_syn(ctx, family, 6, &key());
            listener.probe(ctx, &probe)
        },
    ));
    cases.extend(Case::per_family(
        "listener-nokey",
        "syn-zero-digest",
        "a SYN with a zeroed MD5 digest to a listener without keys",
        |ctx, family| {
            let listener = match keyless_listener(ctx, family) {
                Ok(l) => l,
                Err(e) => return Finding::error(e),
            };
            let mut probe: SegmentSpec = syn(ctx, family, 7);
            probe.options = SIGNED_SYN_OPTIONS.to_vec();
            probe.flags = TcpFlags::SYN;
            listener.probe(ctx, &probe)
        },
    ));
    cases
}
