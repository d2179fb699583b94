//! A listener with a key, and one without: SYNs signed, unsigned, with the
//! wrong key, and corrupted in every hashed field.

use tcpmd5::Family;

use super::kit::common::{
    addrs_with_src, key, listener_with_key, other_peer, probe, signed_syn, syn, wrong_key,
};
use crate::case::{Case, Ctx};
use crate::segment::{SIGNED_SYN_OPTIONS, SegmentSpec, Signing};

/// Builds a case's SYN.
type SynBuilder = fn(&Ctx<'_>, Family) -> SegmentSpec;

/// A case that sends one SYN to a listener with (or without) the key.
fn syn_case(
    area: &'static str,
    name: &str,
    summary: &str,
    with_key: bool,
    build: SynBuilder,
) -> Vec<Case> {
    Case::per_family(
        area,
        name,
        summary,
        move |ctx: &mut Ctx<'_>, family: Family| {
            let listener = listener_with_key(ctx, family, with_key)?;
            let spec = build(ctx, family);
            Ok(probe(ctx, &listener, &spec))
        },
    )
}

/// A correctly signed SYN with `payload`, then one bit flipped at (TCP
/// offset, bit) after signing.
fn flipped(ctx: &Ctx<'_>, family: Family, offset: usize, bit: u8, payload: &[u8]) -> SegmentSpec {
    let mut probe = signed_syn(ctx, family, 1, &key());
    probe.tcp.payload = payload.to_vec();
    probe.flips.push((offset, bit));
    probe
}

/// Cases of this area.
//= type=test
//= 2.0/verify
//= 2.0/silent-drop
//= linux/md5-notfound
//= linux/md5-unexpected
pub(super) fn cases() -> Vec<Case> {
    const KEY: bool = true;
    const NO_KEY: bool = false;
    let k = "listener-key";
    let n = "listener-nokey";
    let zero_digest: SynBuilder = |ctx, f| {
        let mut probe = syn(ctx, f, 4);
        probe.tcp.options = SIGNED_SYN_OPTIONS.to_vec();
        probe
    };
    // The digest sits at option offset 4 of the Linux layout: TCP byte 24;
    // the payload starts at byte 44.
    let table: [(&'static str, &str, &str, bool, SynBuilder); 19] = [
        (
            k,
            "syn-signed",
            "a correctly signed SYN is answered by a SYN-ACK the reference library verifies",
            KEY,
            |ctx, f| signed_syn(ctx, f, 0, &key()),
        ),
        (
            k,
            "syn-unsigned",
            "an unsigned SYN to a listener that holds a key for the peer",
            KEY,
            |ctx, f| syn(ctx, f, 2),
        ),
        (
            k,
            "syn-wrong-key",
            "a SYN signed with another key",
            KEY,
            |ctx, f| signed_syn(ctx, f, 3, &wrong_key()),
        ),
        (
            k,
            "syn-zero-digest",
            "a SYN whose MD5 option carries an all-zero digest",
            KEY,
            zero_digest,
        ),
        (
            k,
            "digest-bitflip",
            "one bit of the digest flipped",
            KEY,
            |ctx, f| flipped(ctx, f, 24 + 7, 3, b""),
        ),
        (
            k,
            "bitflip-src-port",
            "a bit of the source port flipped after signing",
            KEY,
            |ctx, f| flipped(ctx, f, 1, 0, b""),
        ),
        (
            k,
            "bitflip-seq",
            "a bit of the sequence number flipped after signing",
            KEY,
            |ctx, f| flipped(ctx, f, 5, 2, b""),
        ),
        (
            k,
            "bitflip-ack",
            "a bit of the (unused) acknowledgement number flipped",
            KEY,
            |ctx, f| flipped(ctx, f, 9, 1, b""),
        ),
        (
            k,
            "bitflip-reserved",
            "a reserved header bit flipped (byte 12, hashed)",
            KEY,
            |ctx, f| flipped(ctx, f, 12, 1, b""),
        ),
        (
            k,
            "bitflip-flags",
            "the PSH flag set after signing",
            KEY,
            |ctx, f| flipped(ctx, f, 13, 3, b""),
        ),
        (
            k,
            "bitflip-window",
            "a bit of the window flipped",
            KEY,
            |ctx, f| flipped(ctx, f, 14, 5, b""),
        ),
        (
            k,
            "bitflip-urgent",
            "a bit of the urgent pointer flipped",
            KEY,
            |ctx, f| flipped(ctx, f, 19, 0, b""),
        ),
        (
            k,
            "bitflip-payload",
            "a bit of a SYN's payload flipped",
            KEY,
            |ctx, f| flipped(ctx, f, 44 + 3, 6, b"BGP OPEN"),
        ),
        (
            k,
            "payload-intact",
            "a signed SYN carrying 8 payload bytes (control)",
            KEY,
            |ctx, f| {
                let mut probe = signed_syn(ctx, f, 1, &key());
                probe.tcp.payload = b"BGP OPEN".to_vec();
                probe
            },
        ),
        (
            k,
            "wrong-src-in-pseudo-header",
            "signed over another source address than sent from",
            KEY,
            |ctx, f| {
                let mut probe = signed_syn(ctx, f, 1, &key());
                probe.signing = Signing::KeyOver(key(), addrs_with_src(&probe, other_peer(f)));
                probe
            },
        ),
        (
            k,
            "wrong-dst-in-pseudo-header",
            "signed over another destination address",
            KEY,
            |ctx, f| {
                let mut probe = signed_syn(ctx, f, 1, &key());
                let over = tcpmd5::AddrPair::new(probe.tcp.addrs.src(), other_peer(f))
                    .unwrap_or(probe.tcp.addrs);
                probe.signing = Signing::KeyOver(key(), over);
                probe
            },
        ),
        (
            n,
            "syn-unsigned",
            "an unsigned SYN to a listener without keys is answered",
            NO_KEY,
            |ctx, f| syn(ctx, f, 5),
        ),
        (
            n,
            "syn-signed",
            "a signed SYN to a listener without keys",
            NO_KEY,
            |ctx, f| signed_syn(ctx, f, 6, &key()),
        ),
        (
            n,
            "syn-zero-digest",
            "a SYN with a zeroed MD5 digest to a listener without keys",
            NO_KEY,
            zero_digest,
        ),
    ];
    table
        .into_iter()
        .flat_map(|(area, name, summary, with_key, build)| {
            syn_case(area, name, summary, with_key, build)
        })
        .collect()
}
