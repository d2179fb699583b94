//! The TCP-AO MAC of a segment: HMAC-SHA-1-96 or AES-128-CMAC-96
//! (RFC 5926 §3.2), the PRF over the MAC input truncated to the option's
//! MAC length (12 bytes for both RFC algorithms; Linux lets an MKT choose
//! another `maclen`, and the option's length must then match it).

use subtle::ConstantTimeEq as _;

use crate::AddrPair;

use super::algorithm::{MAX_PRF_LEN, Prf};
use super::error::AoError;
use super::kdf::TrafficKey;
use super::mac_input::{OptionCoverage, SegmentAo, feed_mac_input};

/// A MAC, as long as the option that carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mac {
    bytes: [u8; MAX_PRF_LEN],
    len: usize,
}

impl Mac {
    /// The MAC bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }

    /// Whether `carried` is this MAC, compared in constant time.
    pub fn matches(&self, carried: &[u8]) -> bool {
        self.as_bytes().ct_eq(carried).into()
    }
}

/// The MAC `segment` (TCP header and payload, with its AO option) should
/// carry under `key`, the sequence number extension `sne` and the MKT's
/// option `coverage`; as long as the option's MAC field.
pub fn segment_mac(
    key: &TrafficKey,
    addrs: &AddrPair,
    segment: &[u8],
    sne: u32,
    coverage: OptionCoverage,
) -> Result<Mac, AoError> {
    let ao = SegmentAo::find(segment)?;
    mac_of(key, addrs, segment, &ao, sne, coverage)
}

/// [`segment_mac`] for an AO option already found.
pub fn mac_of(
    key: &TrafficKey,
    addrs: &AddrPair,
    segment: &[u8],
    ao: &SegmentAo<'_>,
    sne: u32,
    coverage: OptionCoverage,
) -> Result<Mac, AoError> {
    let alg = key.algorithm();
    let len = ao.option.mac().len();
    if len > alg.prf_len() {
        return Err(AoError::MacTooLong {
            mac_len: len,
            max: alg.prf_len(),
        });
    }
    // A traffic key always has the PRF's key length: never refused.
    let mut prf = Prf::new(alg, key.as_bytes()).ok_or(AoError::KeyRefused {
        algorithm: alg,
        key_len: key.as_bytes().len(),
    })?;
    feed_mac_input(&mut |b| prf.update(b), addrs, segment, ao, sne, coverage)?;
    let mut bytes = prf.finish();
    if let Some(tail) = bytes.get_mut(len..) {
        tail.fill(0);
    }
    Ok(Mac { bytes, len })
}

/// Whether the MAC `segment` carries is the one `key` gives, compared in
/// constant time.
pub fn verify_segment_mac(
    key: &TrafficKey,
    addrs: &AddrPair,
    segment: &[u8],
    sne: u32,
    coverage: OptionCoverage,
) -> Result<bool, AoError> {
    let ao = SegmentAo::find(segment)?;
    let mac = mac_of(key, addrs, segment, &ao, sne, coverage)?;
    Ok(mac.matches(ao.option.mac()))
}

/// Writes the MAC into the AO option `segment` already carries (whatever
/// its MAC bytes were). The TCP checksum is not touched: fill it after.
pub fn sign_segment(
    key: &TrafficKey,
    addrs: &AddrPair,
    segment: &mut [u8],
    sne: u32,
    coverage: OptionCoverage,
) -> Result<(), AoError> {
    let (mac, range) = {
        let ao = SegmentAo::find(segment)?;
        (
            mac_of(key, addrs, segment, &ao, sne, coverage)?,
            ao.mac_range(),
        )
    };
    if let Some(dst) = segment.get_mut(range) {
        dst.copy_from_slice(mac.as_bytes());
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use core::net::Ipv4Addr;

    use super::*;
    use crate::ao::{Algorithm, KdfContext, MasterKey, derive_traffic_key};

    fn addrs() -> AddrPair {
        AddrPair::new(
            Ipv4Addr::new(10, 0, 0, 2).into(),
            Ipv4Addr::new(10, 0, 0, 1).into(),
        )
        .unwrap()
    }

    fn key(alg: Algorithm) -> TrafficKey {
        let ctx = KdfContext::new(&addrs(), 5000, 179, 100, 900);
        derive_traffic_key(alg, &MasterKey::new(b"secret").unwrap(), &ctx).unwrap()
    }

    /// A segment with an MSS option and an AO option whose MAC field is
    /// `mac_len` bytes of 0xee, and a payload.
    fn segment(mac_len: u8) -> Vec<u8> {
        let mut area = vec![2, 4, 5, 0xb4, 29, 4 + mac_len, 7, 9];
        area.extend(core::iter::repeat_n(0xee, usize::from(mac_len)));
        while area.len() % 4 != 0 {
            area.push(1);
        }
        let mut s = vec![0u8; 20];
        s[12] = u8::try_from((20 + area.len()) / 4).unwrap() << 4;
        s[13] = 0x10;
        s.extend_from_slice(&area);
        s.extend_from_slice(b"data");
        s
    }

    /// The PRF's output over the MAC input, from the pieces.
    fn full_prf(alg: Algorithm, seg: &[u8]) -> [u8; MAX_PRF_LEN] {
        let ao = SegmentAo::find(seg).unwrap();
        let mut prf = Prf::new(alg, key(alg).as_bytes()).unwrap();
        feed_mac_input(
            &mut |b| prf.update(b),
            &addrs(),
            seg,
            &ao,
            3,
            OptionCoverage::Included,
        )
        .unwrap();
        prf.finish()
    }

    // RFC 5926 §3.2: the MAC is the PRF's output truncated to the option's
    // MAC field; Linux lets an MKT's maclen reach the whole output (20
    // bytes for HMAC-SHA-1, 16 for AES-128-CMAC), and no further.
    #[test]
    fn a_mac_is_the_prf_truncated_up_to_its_whole_output() {
        for alg in Algorithm::ALL {
            let k = key(alg);
            let max = alg.prf_len();
            for mac_len in [1, 12, max] {
                let mut seg = segment(u8::try_from(mac_len).unwrap());
                let want = full_prf(alg, &seg);
                let mac = segment_mac(&k, &addrs(), &seg, 3, OptionCoverage::Included).unwrap();
                assert_eq!(mac.as_bytes(), &want[..mac_len], "{alg} {mac_len}");
                assert!(mac.matches(&want[..mac_len]));
                assert!(
                    !verify_segment_mac(&k, &addrs(), &seg, 3, OptionCoverage::Included).unwrap()
                );
                sign_segment(&k, &addrs(), &mut seg, 3, OptionCoverage::Included).unwrap();
                assert_eq!(&seg[28..28 + mac_len], &want[..mac_len]);
                assert!(
                    verify_segment_mac(&k, &addrs(), &seg, 3, OptionCoverage::Included).unwrap()
                );
                // One bit of the MAC, or of the payload, and it fails.
                let mut bad = seg.clone();
                bad[28 + mac_len - 1] ^= 1;
                assert!(
                    !verify_segment_mac(&k, &addrs(), &bad, 3, OptionCoverage::Included).unwrap()
                );
                let last = seg.len() - 1;
                seg[last] ^= 1;
                assert!(
                    !verify_segment_mac(&k, &addrs(), &seg, 3, OptionCoverage::Included).unwrap()
                );
            }
            let seg = segment(u8::try_from(max + 1).unwrap());
            assert_eq!(
                segment_mac(&k, &addrs(), &seg, 3, OptionCoverage::Included),
                Err(AoError::MacTooLong {
                    mac_len: max + 1,
                    max
                })
            );
        }
    }

    #[test]
    fn matches_the_mac_exactly() {
        let seg = segment(12);
        let mac = segment_mac(
            &key(Algorithm::HmacSha1),
            &addrs(),
            &seg,
            0,
            OptionCoverage::Included,
        )
        .unwrap();
        let bytes = mac.as_bytes().to_vec();
        assert_eq!(bytes.len(), 12);
        assert!(mac.matches(&bytes));
        assert!(!mac.matches(&bytes[..11]));
        assert!(!mac.matches(&[bytes.as_slice(), &[0]].concat()));
        assert!(!mac.matches(&[0; 12]));
        // Segments without an AO option have no MAC.
        let mut plain = vec![0u8; 20];
        plain[12] = 5 << 4;
        assert_eq!(
            segment_mac(
                &key(Algorithm::HmacSha1),
                &addrs(),
                &plain,
                0,
                OptionCoverage::Included
            ),
            Err(AoError::NoAoOption)
        );
    }
}
