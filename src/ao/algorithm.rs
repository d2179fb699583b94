//! The two MAC algorithms RFC 5926 makes mandatory, each with its KDF's
//! pseudorandom function: HMAC-SHA-1 and AES-128-CMAC, streamed.

use core::fmt;

use aes::Aes128;
use cmac::{Cmac, Mac as _};
use hmac::Hmac;
use sha1::Sha1;

/// The longest PRF output of a modelled algorithm (SHA-1's 20 bytes).
pub const MAX_PRF_LEN: usize = 20;

/// A TCP-AO algorithm pair (RFC 5926 §3): its KDF and its MAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// KDF_HMAC_SHA1 and HMAC-SHA-1-96 (Linux: `hmac(sha1)`).
    HmacSha1,
    /// KDF_AES_128_CMAC and AES-128-CMAC-96 (Linux: `cmac(aes128)`).
    AesCmac,
}

impl Algorithm {
    /// Both algorithms.
    pub const ALL: [Algorithm; 2] = [Algorithm::HmacSha1, Algorithm::AesCmac];

    /// The RFC 5926 name of the MAC (`HMAC-SHA-1-96`, `AES-128-CMAC-96`).
    pub fn rfc_name(self) -> &'static str {
        match self {
            Algorithm::HmacSha1 => "HMAC-SHA-1-96",
            Algorithm::AesCmac => "AES-128-CMAC-96",
        }
    }

    /// The crypto API name `TCP_AO_ADD_KEY` takes (`hmac(sha1)`, `cmac(aes128)`).
    pub fn linux_name(self) -> &'static str {
        match self {
            Algorithm::HmacSha1 => "hmac(sha1)",
            Algorithm::AesCmac => "cmac(aes128)",
        }
    }

    /// The algorithm by its RFC or Linux name, or the short ids the tool
    /// takes (`hmac-sha1`, `aes-cmac`); case-insensitive.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| {
            name.eq_ignore_ascii_case(a.rfc_name())
                || name.eq_ignore_ascii_case(a.linux_name())
                || name.eq_ignore_ascii_case(a.short_id())
        })
    }

    /// A short id (`hmac-sha1`, `aes-cmac`).
    pub fn short_id(self) -> &'static str {
        match self {
            Algorithm::HmacSha1 => "hmac-sha1",
            Algorithm::AesCmac => "aes-cmac",
        }
    }

    /// The PRF output length, which is also the traffic key length
    /// (RFC 5926 §3.1.1: 160 bits, §3.1.2: 128 bits).
    pub fn prf_len(self) -> usize {
        match self {
            Algorithm::HmacSha1 => 20,
            Algorithm::AesCmac => 16,
        }
    }

    /// The MAC length RFC 5926 §3.2 specifies (96 bits for both).
    pub const RFC_MAC_LEN: usize = 12;
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rfc_name())
    }
}

/// A keyed PRF being fed (HMAC-SHA-1 or AES-128-CMAC). Never printed: it
/// holds key material.
#[derive(Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "one PRF on the stack per MAC: boxing the AES key schedule would allocate per segment"
)]
pub(crate) enum Prf {
    HmacSha1(Hmac<Sha1>),
    AesCmac(Cmac<Aes128>),
}

impl fmt::Debug for Prf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Prf(..)")
    }
}

impl Prf {
    /// A PRF keyed with `key`. HMAC takes any length; AES-128-CMAC takes
    /// 16 bytes and `None` is returned for any other length (the KDF
    /// shortens other master keys first, RFC 5926 §3.1.2).
    pub(crate) fn new(alg: Algorithm, key: &[u8]) -> Option<Prf> {
        match alg {
            Algorithm::HmacSha1 => Hmac::<Sha1>::new_from_slice(key).ok().map(Prf::HmacSha1),
            Algorithm::AesCmac => Cmac::<Aes128>::new_from_slice(key).ok().map(Prf::AesCmac),
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Prf::HmacSha1(m) => m.update(data),
            Prf::AesCmac(m) => m.update(data),
        }
    }

    /// The full PRF output in the first [`Algorithm::prf_len`] bytes.
    pub(crate) fn finish(self) -> [u8; MAX_PRF_LEN] {
        let mut out = [0u8; MAX_PRF_LEN];
        match self {
            Prf::HmacSha1(m) => out.copy_from_slice(&m.finalize().into_bytes()),
            Prf::AesCmac(m) => {
                let tag = m.finalize().into_bytes();
                if let Some(head) = out.get_mut(..tag.len()) {
                    head.copy_from_slice(&tag);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_ids_and_lengths() {
        let table = [
            (
                Algorithm::HmacSha1,
                "HMAC-SHA-1-96",
                "hmac(sha1)",
                "hmac-sha1",
                20,
            ),
            (
                Algorithm::AesCmac,
                "AES-128-CMAC-96",
                "cmac(aes128)",
                "aes-cmac",
                16,
            ),
        ];
        for (alg, rfc, linux, short, prf_len) in table {
            assert_eq!(alg.rfc_name(), rfc);
            assert_eq!(alg.to_string(), rfc);
            assert_eq!(alg.linux_name(), linux);
            assert_eq!(alg.short_id(), short);
            assert_eq!(alg.prf_len(), prf_len);
            for name in [
                rfc,
                linux,
                short,
                &rfc.to_lowercase(),
                &short.to_uppercase(),
            ] {
                assert_eq!(Algorithm::from_name(name), Some(alg), "{name}");
            }
        }
        assert_eq!(Algorithm::from_name("md5"), None);
        assert_eq!(Algorithm::from_name(""), None);
        assert_eq!(Algorithm::RFC_MAC_LEN, 12);
    }

    #[test]
    fn prf_keys_and_outputs() {
        // AES-128-CMAC takes 16-byte keys only; HMAC any.
        assert!(Prf::new(Algorithm::AesCmac, &[0; 15]).is_none());
        assert!(Prf::new(Algorithm::AesCmac, &[0; 16]).is_some());
        assert!(Prf::new(Algorithm::HmacSha1, &[]).is_some());
        // RFC 4493's first example: AES-CMAC of the empty message.
        let key = [
            0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf,
            0x4f, 0x3c,
        ];
        let out = Prf::new(Algorithm::AesCmac, &key).unwrap().finish();
        assert_eq!(
            out[..16],
            [
                0xbb, 0x1d, 0x69, 0x29, 0xe9, 0x59, 0x37, 0x28, 0x7f, 0xa3, 0x7d, 0x12, 0x9b, 0x75,
                0x67, 0x46
            ]
        );
        assert_eq!(out[16..], [0; 4]);
        // RFC 2202's first HMAC-SHA-1 case: key 0x0b x20, "Hi There".
        let mut h = Prf::new(Algorithm::HmacSha1, &[0x0b; 20]).unwrap();
        h.update(b"Hi ");
        h.update(b"There");
        let out = h.finish();
        let want = [
            0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b, 0xc0, 0xb6, 0xfb, 0x37,
            0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00,
        ];
        assert_eq!(out, want);
        assert_eq!(
            format!("{:?}", Prf::new(Algorithm::HmacSha1, b"k").unwrap()),
            "Prf(..)"
        );
    }
}
