//! TCP-AO written out from RFC 5925 §5.1/§5.2 and RFC 5926 §3 into a
//! buffer, with the RustCrypto primitives called directly: the oracle of
//! the `ao_mac` target. It assembles every input in a `Vec` and walks the
//! options with its own loop; the library streams and uses its option scan.

use aes::Aes128;
use cmac::{Cmac, Mac as _};
use hmac::Hmac;
use sha1::Sha1;

/// The PRF over `data`: HMAC-SHA-1 (20 bytes) or AES-128-CMAC (16 bytes).
pub fn prf(hmac_sha1: bool, key: &[u8], data: &[u8]) -> Vec<u8> {
    if hmac_sha1 {
        let mut m = Hmac::<Sha1>::new_from_slice(key).expect("HMAC takes any key");
        m.update(data);
        m.finalize().into_bytes().to_vec()
    } else {
        let mut m = Cmac::<Aes128>::new_from_slice(key).expect("a 16-byte AES key");
        m.update(data);
        m.finalize().into_bytes().to_vec()
    }
}

/// KDF_HMAC_SHA1 / KDF_AES_128_CMAC of `context` (RFC 5926 §3.1).
pub fn kdf(hmac_sha1: bool, master: &[u8], context: &[u8]) -> Vec<u8> {
    let mut input = vec![1u8];
    input.extend_from_slice(b"TCP-AO");
    input.extend_from_slice(context);
    input.extend_from_slice(if hmac_sha1 {
        &[0x00, 0xa0]
    } else {
        &[0x00, 0x80]
    });
    if hmac_sha1 {
        prf(true, master, &input)
    } else if master.len() == 16 {
        prf(false, master, &input)
    } else {
        let k = prf(false, &[0; 16], master);
        prf(false, &k, &input)
    }
}

/// The context of RFC 5925 §5.2.
pub fn context(src: &[u8], dst: &[u8], sport: u16, dport: u16, sisn: u32, disn: u32) -> Vec<u8> {
    let mut c = src.to_vec();
    c.extend_from_slice(dst);
    c.extend_from_slice(&sport.to_be_bytes());
    c.extend_from_slice(&dport.to_be_bytes());
    c.extend_from_slice(&sisn.to_be_bytes());
    c.extend_from_slice(&disn.to_be_bytes());
    c
}

/// The MAC input of `segment` from `src` to `dst` (4- or 16-byte
/// addresses) whose AO option's kind byte is at `ao_at` (from the TCP
/// header's start), for options covered or not.
pub fn mac_input(
    src: &[u8],
    dst: &[u8],
    segment: &[u8],
    ao_at: usize,
    sne: u32,
    options_covered: bool,
) -> Vec<u8> {
    let mut m = sne.to_be_bytes().to_vec();
    m.extend_from_slice(src);
    m.extend_from_slice(dst);
    let len = segment.len();
    if src.len() == 4 {
        m.extend_from_slice(&[0, 6]);
        m.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        m.extend_from_slice(&(len as u32).to_be_bytes());
        m.extend_from_slice(&[0, 0, 0, 6]);
    }
    let doff = usize::from(segment[12] >> 4) * 4;
    let mut header = segment[..doff].to_vec();
    header[16] = 0;
    header[17] = 0;
    let ao_len = usize::from(header[ao_at + 1]);
    for b in &mut header[ao_at + 4..ao_at + ao_len] {
        *b = 0;
    }
    if options_covered {
        m.extend_from_slice(&header);
    } else {
        m.extend_from_slice(&header[..20]);
        m.extend_from_slice(&header[ao_at..ao_at + ao_len]);
    }
    m.extend_from_slice(&segment[doff..]);
    m
}
