//! Address prefixes as the kernel matches keys to peers: an address is
//! covered by `net/len` when the first `len` bits agree, families never
//! cover each other, and a length past the family's width means the whole
//! address. One home for the MD5 key table, the AO keys and the tool.

use std::net::IpAddr;

/// `addr` with all but its first `len` bits cleared (the prefix's network).
pub fn network(addr: IpAddr, len: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(len.min(32)))
                .unwrap_or(0);
            IpAddr::from((u32::from(a) & mask).to_be_bytes())
        }
        IpAddr::V6(a) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(len.min(128)))
                .unwrap_or(0);
            IpAddr::from((u128::from(a) & mask).to_be_bytes())
        }
    }
}

/// Whether `net/len` covers `addr` (an address of the other family never
/// is: the two networks differ in kind).
pub fn contains(net: IpAddr, len: u8, addr: IpAddr) -> bool {
    network(net, len) == network(addr, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn network_keeps_exactly_len_bits() {
        assert_eq!(network(ip("10.1.2.255"), 24), ip("10.1.2.0"));
        assert_eq!(network(ip("10.1.2.255"), 31), ip("10.1.2.254"));
        assert_eq!(network(ip("10.1.2.255"), 32), ip("10.1.2.255"));
        assert_eq!(network(ip("10.1.2.255"), 200), ip("10.1.2.255"));
        assert_eq!(network(ip("255.1.2.3"), 1), ip("128.0.0.0"));
        assert_eq!(network(ip("10.1.2.3"), 0), ip("0.0.0.0"));
        assert_eq!(network(ip("2001:db8::ffff"), 112), ip("2001:db8::"));
        assert_eq!(network(ip("2001:db8::ffff"), 127), ip("2001:db8::fffe"));
        assert_eq!(network(ip("2001:db8::ffff"), 128), ip("2001:db8::ffff"));
        assert_eq!(network(ip("2001:db8::ffff"), 0), ip("::"));
    }

    #[test]
    fn contains_compares_the_prefix_bits_only() {
        assert!(contains(ip("10.0.0.0"), 24, ip("10.0.0.77")));
        assert!(contains(ip("10.0.0.5"), 24, ip("10.0.0.77")));
        assert!(!contains(ip("10.0.0.0"), 24, ip("10.0.1.77")));
        assert!(contains(ip("10.0.0.1"), 32, ip("10.0.0.1")));
        assert!(!contains(ip("10.0.0.1"), 32, ip("10.0.0.2")));
        assert!(contains(ip("10.0.0.1"), 0, ip("192.0.2.1")));
        assert!(contains(ip("2001:db8::"), 64, ip("2001:db8::1")));
        assert!(!contains(ip("2001:db8::"), 64, ip("2001:db8:0:1::1")));
    }

    #[test]
    fn families_never_cover_each_other() {
        assert!(!contains(ip("0.0.0.0"), 0, ip("::")));
        assert!(!contains(ip("::"), 0, ip("0.0.0.0")));
        assert!(!contains(ip("::ffff:10.0.0.1"), 128, ip("10.0.0.1")));
    }
}
