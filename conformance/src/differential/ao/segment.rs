//! From a generated [`AoInput`] to the segment the peer injects: the option
//! area (the AO option first or last among other options, or malformed as
//! the case asks), the MAC from the model ([`tcpmd5::ao::sign_segment`]:
//! the suite never computes one itself), then the corruption. The result
//! is a [`SegmentSpec`] whose options already hold the MAC, so the
//! exchange sends exactly the bytes signed (the MAC does not cover the
//! checksum the spec fills in).

use tcpmd5::AddrPair;
use tcpmd5::ao::{
    AoError, FlowIsns, MasterKey, derive_traffic_key, segment_context, segment_sne, sign_segment,
};
use tcpmd5::wire::TcpFlags;
use tcpmd5::wire::tcp_option::kind::{AO, MD5, NOP};
use tcpmd5_testkit::TcpSegmentSpec;

use super::input::{AoAuth, AoInput, AoKeySpec, Rnext};
use crate::differential::options::MAX_AREA;
use crate::differential::probe::{Flippable, Header, room};
use crate::error::Error;
use crate::segment::SegmentSpec;

/// A mapper for a segment the model cannot sign: the generator's own bug,
/// reported as a harness failure (never a verdict).
pub(super) fn unsignable(what: &'static str) -> impl FnOnce(AoError) -> Error {
    move |e| Error::NotSeen(format!("the model cannot sign {what}: {e}"))
}

/// The bytes of an MD5 option with a zero digest.
const MD5_OPTION: [u8; 18] = [MD5, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/// What signs a segment: the key and the numbers its traffic key and SNE
/// come from.
#[derive(Debug, Clone, Copy)]
pub(super) struct Signer<'a> {
    /// The MKT the peer signs with (the receiver's view of it).
    pub key: &'a AoKeySpec,
    /// Its `rcvid` at the receiver: the KeyID the peer sends.
    pub key_id: u8,
    /// The ISNs of the flow (`None` before there is one: a SYN).
    pub isns: Option<FlowIsns>,
    /// The receiver's `rcv_nxt` (the SNE's reference; 0 for a SYN).
    pub rcv_nxt: u32,
}

/// The AO option with a zeroed MAC of `mac_len` bytes.
pub(super) fn ao_option(key_id: u8, rnext: u8, mac_len: u8) -> Vec<u8> {
    let mut o = vec![AO, 4 + mac_len, key_id, rnext];
    o.resize(4 + usize::from(mac_len), 0);
    o
}

/// `options` padded with NOPs to a multiple of 4 (at most 40 bytes).
fn padded(mut area: Vec<u8>) -> Vec<u8> {
    area.truncate(MAX_AREA);
    let len = area.len().next_multiple_of(4).min(MAX_AREA);
    area.resize(len, NOP);
    area
}

/// Signs `tcp` (whose options hold one well-formed AO option) with
/// `signer`'s key, or `secret` in its place; the MAC lands in `tcp.options`.
pub(super) fn sign(
    tcp: &mut TcpSegmentSpec,
    signer: &Signer<'_>,
    secret: Option<&MasterKey>,
) -> Result<(), AoError> {
    let mut seg = tcp.to_bytes().map_err(|_| AoError::NoAoOption)?;
    let addrs: AddrPair = tcp.addrs;
    let ctx = segment_context(&addrs, &seg, signer.isns).ok_or(AoError::NoAoOption)?;
    let secret = secret.unwrap_or(&signer.key.secret);
    let traffic = derive_traffic_key(signer.key.algorithm, secret, &ctx)?;
    let syn_only = tcp.flags.contains(TcpFlags::SYN) && !tcp.flags.contains(TcpFlags::ACK);
    let sne = if syn_only {
        0
    } else {
        segment_sne(0, signer.rcv_nxt, tcp.seq)
    };
    sign_segment(&traffic, &addrs, &mut seg, sne, signer.key.coverage)?;
    let area = seg.get(20..20 + tcp.options.len()).unwrap_or(&[]);
    tcp.options = area.to_vec();
    Ok(())
}

/// The segment for `input` with `header`: `keys` are the receiver's MKTs
/// (each with its `rcvid` and `sndid`), `signer` the one the peer signs
/// with.
pub(super) fn build(
    input: &AoInput,
    header: Header,
    ids: &[(u8, u8)],
    signer: Signer<'_>,
    flippable: Flippable,
) -> Result<SegmentSpec, AoError> {
    let n = ids.len().max(1);
    let signer_index = input.signer_index();
    let send_id = |i: usize| ids.get(i % n).map_or(0, |&(s, _)| s);
    let recv_id = |i: usize| ids.get(i % n).map_or(0, |&(_, r)| r);
    let key_id = match &input.auth {
        AoAuth::KeyIdOfAnother(c) => recv_id(signer_index + 1 + c.among(n.saturating_sub(1))),
        AoAuth::UnknownKeyId(c) => AoInput::unknown_id(*c),
        _ => signer.key_id,
    };
    let rnext = match input.rnext {
        Rnext::Current => send_id(signer_index),
        Rnext::OtherKey(c) => send_id(signer_index + 1 + c.among(n.saturating_sub(1))),
        Rnext::Unknown(c) => AoInput::unknown_id(c),
    };
    let mac_len = match input.auth {
        AoAuth::MacLen(l) => l,
        _ => signer.key.mac_len,
    };
    let ao = ao_option(key_id, rnext, mac_len);
    let extra: &[u8] = match input.auth {
        AoAuth::WithMd5 | AoAuth::Md5Only => &MD5_OPTION,
        _ => &[],
    };
    // Room for the second AO option of a duplicate.
    let second = if matches!(input.auth, AoAuth::Duplicated) {
        ao.len()
    } else {
        0
    };
    let mut others = Vec::new();
    for o in &input.others {
        if others.len() + o.len() + ao.len() + extra.len() + second <= MAX_AREA {
            others.extend_from_slice(o);
        }
    }
    // The area with one AO option (or none), as signed.
    let with_ao = |ao: &[u8]| {
        let head = [extra, ao].concat();
        padded(if input.ao_last {
            [others.as_slice(), &head].concat()
        } else {
            [head.as_slice(), &others].concat()
        })
    };
    let signed_area = match input.auth {
        AoAuth::Unsigned | AoAuth::Md5Only => padded([extra, &others].concat()),
        _ => padded(if input.ao_last {
            [others.as_slice(), &ao].concat()
        } else {
            [ao.as_slice(), &others].concat()
        }),
    };
    let mut payload = if header.payload {
        input.base.payload.clone()
    } else {
        Vec::new()
    };
    payload.truncate(room(header.addrs.family(), MAX_AREA));
    let mut tcp = TcpSegmentSpec {
        addrs: header.addrs,
        src_port: header.src_port,
        dst_port: header.dst_port,
        seq: header.seq,
        ack: header.ack,
        flags: header.flags,
        window: input.base.window,
        urgent: input.base.urgent,
        options: signed_area,
        payload,
    };
    let has_ao = !matches!(input.auth, AoAuth::Unsigned | AoAuth::Md5Only);
    if has_ao {
        let secret = match &input.auth {
            AoAuth::OtherSecret(s) => Some(s),
            _ => None,
        };
        sign(&mut tcp, &signer, secret)?;
    }
    let mut flips = Vec::new();
    // Where the AO option sits in the area as signed.
    let ao_at = if input.ao_last { others.len() } else { 0 };
    let signed_ao = tcp
        .options
        .get(ao_at..ao_at + ao.len())
        .unwrap_or(&[])
        .to_vec();
    match &input.auth {
        AoAuth::MacBitFlipped(c) => {
            let bits = usize::from(mac_len) * 8;
            let bit = c.among(bits);
            flips.push((20 + ao_at + 4 + bit / 8, (bit % 8) as u8));
        }
        AoAuth::SegmentBitFlipped(c) => {
            let choices = flippable.bits(20 + tcp.options.len() + tcp.payload.len());
            if let Some(&bit) = choices.get(c.among(choices.len())) {
                flips.push(bit);
            }
        }
        AoAuth::WithMd5 => tcp.options = with_ao(&signed_ao),
        AoAuth::Duplicated => {
            tcp.options = padded(if input.ao_last {
                [others.as_slice(), &signed_ao, &signed_ao].concat()
            } else {
                [signed_ao.as_slice(), &signed_ao, &others].concat()
            })
        }
        AoAuth::TooShort(len) => {
            let short: Vec<u8> = ao.iter().take(usize::from(*len)).copied().collect();
            let mut short = short;
            if let Some(l) = short.get_mut(1) {
                *l = *len;
            }
            tcp.options = padded(if input.ao_last {
                [others.as_slice(), &short].concat()
            } else {
                [short.as_slice(), &others].concat()
            });
        }
        AoAuth::Overrun => {
            // The AO option last, its length four bytes past the area.
            let area = padded([others.as_slice(), &signed_ao].concat());
            let at = others.len();
            let mut area = area;
            let past = (area.len() - at + 4).min(255) as u8;
            if let Some(l) = area.get_mut(at + 1) {
                *l = past;
            }
            tcp.options = area;
        }
        _ => {}
    }
    Ok(SegmentSpec {
        tcp,
        signing: crate::segment::Signing::None,
        flips,
        checksum_fault: None,
    })
}
