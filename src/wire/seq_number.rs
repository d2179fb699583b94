//! TCP sequence numbers: 32 bits that wrap, compared modulo 2^32 (RFC 9293
//! §3.4), as smoltcp's `SeqNumber` and the kernel's `before()`/`after()`.

use core::fmt;
use core::ops::{Add, AddAssign, Sub};

/// A sequence or acknowledgement number. Arithmetic wraps; `a < b` is the
/// kernel's `before(a, b)` (`include/net/tcp.h`): `(s32)(a - b) < 0`. The
/// order is not total: of two numbers 2^31 apart, each is before the other.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeqNumber(pub u32);

impl SeqNumber {
    /// The number `len` octets further (a payload, or 1 for SYN and FIN).
    /// Lengths beyond 2^32 wrap, as they do on the wire.
    #[must_use]
    pub fn add_len(self, len: usize) -> SeqNumber {
        // Truncation is the wire's arithmetic: a length is taken mod 2^32.
        SeqNumber(self.0.wrapping_add(len as u32))
    }

    /// The signed distance from `earlier` to `self` (`self - earlier` as
    /// the kernel computes it: `(s32)(self - earlier)`).
    pub fn since(self, earlier: SeqNumber) -> i32 {
        i32::from_ne_bytes(self.0.wrapping_sub(earlier.0).to_ne_bytes())
    }
}

impl From<u32> for SeqNumber {
    fn from(n: u32) -> SeqNumber {
        SeqNumber(n)
    }
}

impl From<SeqNumber> for u32 {
    fn from(n: SeqNumber) -> u32 {
        n.0
    }
}

impl Add<u32> for SeqNumber {
    type Output = SeqNumber;

    fn add(self, n: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_add(n))
    }
}

impl AddAssign<u32> for SeqNumber {
    fn add_assign(&mut self, n: u32) {
        *self = *self + n;
    }
}

impl Sub<u32> for SeqNumber {
    type Output = SeqNumber;

    fn sub(self, n: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_sub(n))
    }
}

impl PartialOrd for SeqNumber {
    fn partial_cmp(&self, other: &SeqNumber) -> Option<core::cmp::Ordering> {
        Some(self.since(*other).cmp(&0))
    }
}

impl fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

impl fmt::LowerHex for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerHex::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_wraps() {
        assert_eq!(SeqNumber(u32::MAX) + 1, SeqNumber(0));
        assert_eq!(SeqNumber(0) - 1, SeqNumber(u32::MAX));
        assert_eq!(SeqNumber(u32::MAX - 1).add_len(3), SeqNumber(1));
        let mut s = SeqNumber(u32::MAX);
        s += 2;
        assert_eq!(s, SeqNumber(1));
    }

    #[test]
    fn comparison_is_modulo_two_to_the_32() {
        assert!(SeqNumber(u32::MAX) < SeqNumber(0));
        assert!(SeqNumber(1) > SeqNumber(u32::MAX - 5));
        assert!(SeqNumber(10) < SeqNumber(11));
        assert_eq!(SeqNumber(5).since(SeqNumber(u32::MAX)), 6);
        assert_eq!(SeqNumber(u32::MAX).since(SeqNumber(5)), -6);
        // Half the space apart: each is before the other, as with before().
        assert!(SeqNumber(0) < SeqNumber(1 << 31));
        assert!(SeqNumber(1 << 31) < SeqNumber(0));
        assert_eq!(
            SeqNumber(0).partial_cmp(&SeqNumber((1 << 31) - 1)),
            Some(core::cmp::Ordering::Less)
        );
    }

    #[test]
    fn display_is_hex() {
        assert_eq!(SeqNumber(0x1a05_0507).to_string(), "0x1a050507");
        assert_eq!(format!("{:#x}", SeqNumber(255)), "0xff");
    }

    #[test]
    fn conversions_keep_the_number() {
        assert_eq!(SeqNumber::from(0x1a05_0507), SeqNumber(0x1a05_0507));
        assert_eq!(u32::from(SeqNumber(0x1a05_0507)), 0x1a05_0507);
        assert_eq!(SeqNumber(7) - 2, SeqNumber(5));
        assert_eq!(SeqNumber(7) + 2, SeqNumber(9));
        let mut s = SeqNumber(7);
        s += 3;
        assert_eq!(s, SeqNumber(10));
        assert_eq!(SeqNumber(7).add_len(1), SeqNumber(8));
        assert_eq!(SeqNumber(7).since(SeqNumber(7)), 0);
        assert_eq!(format!("{:x}", SeqNumber(0xbeef)), "beef");
    }
}
