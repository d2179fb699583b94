//! `ao_mac`: the TCP-AO KDF and MAC of the library against `ao_model` (the
//! RFCs written out over a buffer, RustCrypto called directly).
//!
//! Input: a flags byte (bit 0 HMAC-SHA-1 else AES-128-CMAC, bit 1 options
//! excluded), the SNE (4 bytes), the two ISNs (4 bytes each), a master key
//! length (taken modulo 81) and the key, then an IPv4 or IPv6 packet. For
//! every packet whose TCP segment carries an AO option the library finds:
//! the traffic key of the segment's direction, its MAC, `sign_segment`
//! followed by `verify_segment_mac`, and the MAC after one covered bit flips.

use tcpmd5::AddrPair;
use tcpmd5::ao::{
    Algorithm, KdfContext, MasterKey, OptionCoverage, SegmentAo, derive_traffic_key, segment_mac,
    sign_segment, verify_segment_mac,
};
use tcpmd5::wire::IpSegment;

use crate::ao_model;

fn take<'a>(data: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let (head, rest) = data.split_at_checked(n)?;
    *data = rest;
    Some(head)
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// The entry point.
pub fn run(mut data: &[u8]) {
    let Some(head) = take(&mut data, 14) else {
        return;
    };
    let (flags, sne, sisn, disn) = (
        head[0],
        be32(&head[1..5]),
        be32(&head[5..9]),
        be32(&head[9..13]),
    );
    let key_len = usize::from(head[13]) % 81;
    let Some(master_bytes) = take(&mut data, key_len) else {
        return;
    };
    let hmac = flags & 1 == 1;
    let alg = if hmac {
        Algorithm::HmacSha1
    } else {
        Algorithm::AesCmac
    };
    let coverage = if flags & 2 == 0 {
        OptionCoverage::Included
    } else {
        OptionCoverage::Excluded
    };
    let master = MasterKey::new(master_bytes).expect("at most 80 bytes");
    let Ok(seg) = IpSegment::parse(data) else {
        return;
    };
    let (src, dst) = match seg.addrs {
        AddrPair::V4 { src, dst } => (src.octets().to_vec(), dst.octets().to_vec()),
        AddrPair::V6 { src, dst } => (src.octets().to_vec(), dst.octets().to_vec()),
    };
    let tcp = seg.tcp();
    let (sport, dport) = (tcp.src_port(), tcp.dst_port());

    // The KDF.
    let ctx = KdfContext::new(&seg.addrs, sport, dport, sisn, disn);
    let model_ctx = ao_model::context(&src, &dst, sport, dport, sisn, disn);
    assert_eq!(ctx.as_bytes(), &model_ctx[..]);
    // Every master key of at most 80 bytes derives (RFC 5926 §3.1.2 shortens
    // AES ones first): a refused one is a bug.
    let key = derive_traffic_key(alg, &master, &ctx).expect("every master key derives");
    let model_key = ao_model::kdf(hmac, master.as_bytes(), &model_ctx);
    assert_eq!(key.as_bytes(), &model_key[..], "traffic key");

    // The MAC, where the segment has an AO option.
    let Ok(ao) = SegmentAo::find(seg.segment) else {
        return;
    };
    let covered = coverage == OptionCoverage::Included;
    let input = ao_model::mac_input(&src, &dst, seg.segment, ao.offset, sne, covered);
    let full = ao_model::prf(hmac, &model_key, &input);
    let mac_len = ao.option.mac().len();
    match segment_mac(&key, &seg.addrs, seg.segment, sne, coverage) {
        Ok(mac) => {
            assert!(mac_len <= full.len());
            assert_eq!(mac.as_bytes(), &full[..mac_len], "MAC");
            assert_eq!(
                mac.matches(ao.option.mac()),
                ao.option.mac() == &full[..mac_len]
            );
        }
        Err(e) => {
            assert!(mac_len > full.len(), "{e}");
            return;
        }
    }
    let mut signed = seg.segment.to_vec();
    sign_segment(&key, &seg.addrs, &mut signed, sne, coverage).expect("signs what it MACs");
    assert!(verify_segment_mac(&key, &seg.addrs, &signed, sne, coverage).expect("verifies"));
    // A flipped payload byte (always covered) changes the MAC (checked for
    // MACs of 8 bytes or more: a shorter one collides too often).
    if let Some(last) = signed
        .len()
        .checked_sub(1)
        .filter(|&i| i >= ao.header_len && mac_len >= 8)
    {
        signed[last] ^= 0x80;
        assert!(!verify_segment_mac(&key, &seg.addrs, &signed, sne, coverage).expect("verifies"));
    }
}
