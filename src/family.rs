//! The two address families RFC 2385 is defined for.

use core::fmt;

/// An IP address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// IPv4 (`AF_INET`).
    V4,
    /// IPv6 (`AF_INET6`).
    V6,
}

impl Family {
    /// Both families, in the order cases are run.
    pub const ALL: [Family; 2] = [Family::V4, Family::V6];

    /// The family of an address.
    pub fn of(addr: &core::net::IpAddr) -> Family {
        match addr {
            core::net::IpAddr::V4(_) => Family::V4,
            core::net::IpAddr::V6(_) => Family::V6,
        }
    }

    /// Short lowercase name used in case names and reports (`ipv4`, `ipv6`).
    pub fn name(self) -> &'static str {
        match self {
            Family::V4 => "ipv4",
            Family::V6 => "ipv6",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names case ids and reports are built from (`layouts-key/<layout>/ipv4`).
    #[test]
    fn each_family_names_itself() {
        assert_eq!(Family::V4.name(), "ipv4");
        assert_eq!(Family::V6.to_string(), "ipv6");
        assert_eq!(
            Family::ALL.map(|f| Family::of(&match f {
                Family::V4 => core::net::IpAddr::from([192, 0, 2, 1]),
                Family::V6 => core::net::IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]),
            })),
            Family::ALL
        );
    }
}
