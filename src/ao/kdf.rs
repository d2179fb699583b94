//! The traffic key derivation functions of RFC 5926 §3.1 over the
//! connection context of RFC 5925 §5.2.
//!
//! Both are the NIST SP 800-108 counter mode with one iteration:
//! `PRF(key, 0x01 || "TCP-AO" || Context || L)`, `L` the output length in
//! bits as 16 bits big-endian (160 for HMAC-SHA-1, 128 for AES-128-CMAC).
//! KDF_AES_128_CMAC keys its PRF with the master key only when it is 16
//! bytes long; any other master key is first shortened to
//! `AES-128-CMAC(0^128, master key)` (§3.1.2).

use core::fmt;

use subtle::ConstantTimeEq as _;
use zeroize::{Zeroize as _, ZeroizeOnDrop};

use crate::AddrPair;

use super::algorithm::{Algorithm, MAX_PRF_LEN, Prf};
use super::error::AoError;
use super::master_key::MasterKey;

/// The KDF label (RFC 5926 §3.1).
const LABEL: &[u8] = b"TCP-AO";

/// The context of one traffic key (RFC 5925 §5.2): source and destination
/// address, port and ISN of the direction it signs. For a SYN the
/// destination ISN is 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfContext {
    buf: [u8; 44],
    len: usize,
}

impl KdfContext {
    /// The context of segments sent from `addrs.src()`:`src_port` to
    /// `addrs.dst()`:`dst_port`.
    pub fn new(
        addrs: &AddrPair,
        src_port: u16,
        dst_port: u16,
        src_isn: u32,
        dst_isn: u32,
    ) -> KdfContext {
        let mut ctx = KdfContext {
            buf: [0; 44],
            len: 0,
        };
        match addrs {
            AddrPair::V4 { src, dst } => {
                ctx.push(&src.octets());
                ctx.push(&dst.octets());
            }
            AddrPair::V6 { src, dst } => {
                ctx.push(&src.octets());
                ctx.push(&dst.octets());
            }
        }
        ctx.push(&src_port.to_be_bytes());
        ctx.push(&dst_port.to_be_bytes());
        ctx.push(&src_isn.to_be_bytes());
        ctx.push(&dst_isn.to_be_bytes());
        ctx
    }

    fn push(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            dst.copy_from_slice(bytes);
            self.len = end;
        }
    }

    /// The context bytes (20 for IPv4, 44 for IPv6).
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

/// A traffic key: the KDF's output, as long as the algorithm's PRF.
/// `Debug` does not show it; equality takes the same time whichever byte
/// differs; the bytes are zeroed when it is dropped.
#[derive(Clone)]
pub struct TrafficKey {
    alg: Algorithm,
    bytes: [u8; MAX_PRF_LEN],
}

impl TrafficKey {
    /// The algorithm whose KDF made it (and whose MAC it keys).
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The key bytes (20 for HMAC-SHA-1, 16 for AES-128-CMAC).
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.alg.prf_len()).unwrap_or(&[])
    }
}

impl PartialEq for TrafficKey {
    /// The algorithms, then the bytes in constant time.
    fn eq(&self, other: &TrafficKey) -> bool {
        self.alg == other.alg && bool::from(self.bytes.ct_eq(&other.bytes))
    }
}

impl Eq for TrafficKey {}

impl TrafficKey {
    /// Zeroes the bytes (what dropping it does).
    fn wipe(&mut self) {
        self.bytes.zeroize();
    }
}

impl Drop for TrafficKey {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl ZeroizeOnDrop for TrafficKey {}

impl fmt::Debug for TrafficKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TrafficKey({}, ..)", self.alg.short_id())
    }
}

/// The traffic key of `context` under `master` (RFC 5926 §3.1). Never
/// `Err` for the two algorithms modelled (HMAC takes any key, and an AES
/// master key of another length than 16 is shortened to 16 bytes first);
/// the error is there so that a refused key can never key a MAC unseen.
pub fn derive_traffic_key(
    alg: Algorithm,
    master: &MasterKey,
    context: &KdfContext,
) -> Result<TrafficKey, AoError> {
    let shortened;
    let prf_key: &[u8] = match alg {
        Algorithm::AesCmac if master.as_bytes().len() != 16 => {
            shortened = prf(Algorithm::AesCmac, &[0; 16], &[master.as_bytes()])?;
            shortened.get(..16).unwrap_or(&[])
        }
        _ => master.as_bytes(),
    };
    let bits = u16::try_from(alg.prf_len() * 8).unwrap_or(u16::MAX);
    let bytes = prf(
        alg,
        prf_key,
        &[&[1], LABEL, context.as_bytes(), &bits.to_be_bytes()],
    )?;
    Ok(TrafficKey { alg, bytes })
}

/// `PRF(key, parts...)`; [`AoError::KeyRefused`] for a key the PRF cannot
/// take (an AES key of a length other than 16).
fn prf(alg: Algorithm, key: &[u8], parts: &[&[u8]]) -> Result<[u8; MAX_PRF_LEN], AoError> {
    let mut p = Prf::new(alg, key).ok_or(AoError::KeyRefused {
        algorithm: alg,
        key_len: key.len(),
    })?;
    for part in parts {
        p.update(part);
    }
    Ok(p.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv4Addr;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    fn ctx() -> KdfContext {
        let addrs = AddrPair::new(
            Ipv4Addr::new(10, 11, 12, 13).into(),
            Ipv4Addr::new(172, 27, 28, 29).into(),
        )
        .unwrap();
        KdfContext::new(&addrs, 0xe9d7, 179, 0xfbfb_ab5a, 0)
    }

    #[test]
    fn context_layout() {
        assert_eq!(
            hex(ctx().as_bytes()),
            "0a0b0c0dac1b1c1de9d700b3fbfbab5a00000000"
        );
    }

    // RFC 9235 §4.1.1's send-SYN traffic key; the full set is in
    // vectors/ao/rfc9235.json.
    #[test]
    fn hmac_sha1_known_answer() {
        let k = derive_traffic_key(
            Algorithm::HmacSha1,
            &MasterKey::new(b"testvector").unwrap(),
            &ctx(),
        )
        .unwrap();
        assert_eq!(
            hex(k.as_bytes()),
            "6d63ef1b02fe1509d4b1402707fd7b0416abb74f"
        );
        assert_eq!(format!("{k:?}"), "TrafficKey(hmac-sha1, ..)");
    }

    #[test]
    fn equal_by_algorithm_and_bytes_and_wiped() {
        let master = MasterKey::new(b"testvector").unwrap();
        let k = derive_traffic_key(Algorithm::HmacSha1, &master, &ctx()).unwrap();
        assert_eq!(k, k.clone());
        let addrs = AddrPair::new(
            Ipv4Addr::new(10, 11, 12, 13).into(),
            Ipv4Addr::new(172, 27, 28, 29).into(),
        )
        .unwrap();
        let other = KdfContext::new(&addrs, 0xe9d7, 179, 0xfbfb_ab5b, 0);
        assert_ne!(
            k,
            derive_traffic_key(Algorithm::HmacSha1, &master, &other).unwrap()
        );
        // The same bytes under another algorithm key another MAC.
        let mut aes = k.clone();
        aes.alg = Algorithm::AesCmac;
        assert_ne!(k, aes);
        let mut wiped = k.clone();
        wiped.wipe();
        assert_eq!(wiped.bytes, [0; MAX_PRF_LEN]);
        assert_ne!(k, wiped);
    }

    #[test]
    fn aes_master_key_of_16_bytes_is_used_directly() {
        let m16 = MasterKey::new(&[0x42; 16]).unwrap();
        let got = derive_traffic_key(Algorithm::AesCmac, &m16, &ctx()).unwrap();
        let direct = prf(
            Algorithm::AesCmac,
            &[0x42; 16],
            &[&[1], LABEL, ctx().as_bytes(), &128u16.to_be_bytes()],
        )
        .unwrap();
        assert_eq!(got.as_bytes(), &direct[..16]);
        // Any other length goes through the shortening step first.
        let m15 = MasterKey::new(&[0x42; 15]).unwrap();
        let short = prf(Algorithm::AesCmac, &[0; 16], &[&[0x42; 15]]).unwrap();
        let via = prf(
            Algorithm::AesCmac,
            &short[..16],
            &[&[1], LABEL, ctx().as_bytes(), &128u16.to_be_bytes()],
        )
        .unwrap();
        assert_eq!(
            derive_traffic_key(Algorithm::AesCmac, &m15, &ctx())
                .unwrap()
                .as_bytes(),
            &via[..16]
        );
        assert_eq!(got.as_bytes().len(), 16);
    }

    // RFC 4493 AES-CMAC takes a 128-bit key only: a key of any other length
    // is refused with its length, never replaced by zeros; any master key
    // length still derives (the shortening step).
    #[test]
    fn a_refused_prf_key_is_an_error() {
        for len in [0, 15, 17, 20] {
            let got = prf(Algorithm::AesCmac, &[0x42; 20][..len], &[b"x"]);
            assert_eq!(
                got,
                Err(AoError::KeyRefused {
                    algorithm: Algorithm::AesCmac,
                    key_len: len
                })
            );
        }
        assert_eq!(
            AoError::KeyRefused {
                algorithm: Algorithm::AesCmac,
                key_len: 15
            }
            .to_string(),
            "the AES-128-CMAC-96 PRF cannot be keyed with a 15-byte key"
        );
        assert!(prf(Algorithm::HmacSha1, &[], &[b"x"]).is_ok());
        for len in [0, 1, 15, 16, 17, 80] {
            let master = MasterKey::new(&[0x42; 80][..len]).unwrap();
            for alg in Algorithm::ALL {
                let k = derive_traffic_key(alg, &master, &ctx()).unwrap();
                assert_eq!(k.as_bytes().len(), alg.prf_len());
            }
        }
    }
}
