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
