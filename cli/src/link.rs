//! From a captured frame to the IP packet in it, for the link types
//! captures of routers come in.

use core::fmt;

/// A capture's link-layer header type (`LINKTYPE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkType {
    /// `LINKTYPE_NULL` (0): BSD loopback, a 4-byte family in host order.
    Null,
    /// `LINKTYPE_ETHERNET` (1), with any 802.1Q/802.1ad tags.
    Ethernet,
    /// `LINKTYPE_RAW` (101, and DLT_RAW 12/14): the IP packet.
    Raw,
    /// `LINKTYPE_LOOP` (108): OpenBSD loopback, the family in network order.
    Loop,
    /// `LINKTYPE_LINUX_SLL` (113): Linux cooked capture v1 (`tcpdump -i any`).
    LinuxSll,
    /// `LINKTYPE_IPV4` (228).
    Ipv4,
    /// `LINKTYPE_IPV6` (229).
    Ipv6,
    /// `LINKTYPE_LINUX_SLL2` (276): Linux cooked capture v2.
    LinuxSll2,
}

impl LinkType {
    /// The link type with this `LINKTYPE_` number, if supported.
    pub fn from_number(n: u32) -> Option<LinkType> {
        Some(match n {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            12 | 14 | 101 => LinkType::Raw,
            108 => LinkType::Loop,
            113 => LinkType::LinuxSll,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            276 => LinkType::LinuxSll2,
            _ => return None,
        })
    }

    /// Its `LINKTYPE_` number (for writing captures).
    pub fn number(self) -> u32 {
        match self {
            LinkType::Null => 0,
            LinkType::Ethernet => 1,
            LinkType::Raw => 101,
            LinkType::Loop => 108,
            LinkType::LinuxSll => 113,
            LinkType::Ipv4 => 228,
            LinkType::Ipv6 => 229,
            LinkType::LinuxSll2 => 276,
        }
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LinkType::Null => "BSD loopback",
            LinkType::Ethernet => "Ethernet",
            LinkType::Raw => "raw IP",
            LinkType::Loop => "OpenBSD loopback",
            LinkType::LinuxSll => "Linux cooked (SLL)",
            LinkType::Ipv4 => "raw IPv4",
            LinkType::Ipv6 => "raw IPv6",
            LinkType::LinuxSll2 => "Linux cooked v2 (SLL2)",
        })
    }
}

/// What a frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload<'a> {
    /// An IP packet (from this offset in the frame).
    Ip {
        /// Bytes before it: the link-layer header.
        offset: usize,
        /// The packet (and any link trailer).
        packet: &'a [u8],
    },
    /// Something else (ARP, LLDP, …), by its EtherType or family.
    Other(u32),
    /// The frame ends inside its link-layer header.
    Cut,
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const VLAN_TAGS: [u16; 3] = [0x8100, 0x88a8, 0x9100];

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn by_ethertype(frame: &[u8], ethertype: u16, offset: usize) -> Payload<'_> {
    match (ethertype, frame.get(offset..)) {
        (_, None) => Payload::Cut,
        (ETHERTYPE_IPV4 | ETHERTYPE_IPV6, Some(packet)) => Payload::Ip { offset, packet },
        (other, Some(_)) => Payload::Other(u32::from(other)),
    }
}

/// The IP packet in `frame` of link type `link`.
#[inline]
pub fn payload(link: LinkType, frame: &[u8]) -> Payload<'_> {
    match link {
        LinkType::Raw | LinkType::Ipv4 | LinkType::Ipv6 => Payload::Ip {
            offset: 0,
            packet: frame,
        },
        LinkType::Ethernet => {
            let mut at = 12;
            loop {
                let Some(ethertype) = be16(frame, at) else {
                    return Payload::Cut;
                };
                if VLAN_TAGS.contains(&ethertype) {
                    at += 4;
                    continue;
                }
                return by_ethertype(frame, ethertype, at + 2);
            }
        }
        LinkType::LinuxSll => match be16(frame, 14) {
            Some(protocol) => by_ethertype(frame, protocol, 16),
            None => Payload::Cut,
        },
        LinkType::LinuxSll2 => match be16(frame, 0) {
            Some(protocol) => by_ethertype(frame, protocol, 20),
            None => Payload::Cut,
        },
        LinkType::Null | LinkType::Loop => {
            let Some(family) = frame.get(..4) else {
                return Payload::Cut;
            };
            let family = <[u8; 4]>::try_from(family).unwrap_or_default();
            let family = match link {
                LinkType::Loop => u32::from_be_bytes(family),
                // Host order of the capturing machine: take whichever reading is small.
                _ => u32::from_le_bytes(family).min(u32::from_be_bytes(family)),
            };
            match (family, frame.get(4..)) {
                // AF_INET everywhere; AF_INET6 on the BSDs, macOS and Linux.
                (2 | 10 | 24 | 28 | 30, Some(packet)) => Payload::Ip { offset: 4, packet },
                (_, None) => Payload::Cut,
                (other, Some(_)) => Payload::Other(other),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn every_link_type() {
        let ip = [0x45u8, 0, 0, 20];
        let mut eth = vec![0u8; 12];
        eth.extend([0x81, 0x00, 0, 1, 0x88, 0xa8, 0, 2, 0x08, 0x00]);
        eth.extend(ip);
        assert_eq!(
            payload(LinkType::Ethernet, &eth),
            Payload::Ip {
                offset: 22,
                packet: &ip[..]
            }
        );
        let mut sll = vec![0u8; 14];
        sll.extend([0x86, 0xdd]);
        sll.extend(ip);
        assert!(matches!(
            payload(LinkType::LinuxSll, &sll),
            Payload::Ip { offset: 16, .. }
        ));
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend([0u8; 18]);
        sll2.extend(ip);
        assert!(matches!(
            payload(LinkType::LinuxSll2, &sll2),
            Payload::Ip { offset: 20, .. }
        ));
        let mut null = 2u32.to_le_bytes().to_vec();
        null.extend(ip);
        assert!(matches!(
            payload(LinkType::Null, &null),
            Payload::Ip { offset: 4, .. }
        ));
        let mut lo = 24u32.to_be_bytes().to_vec();
        lo.extend(ip);
        assert!(matches!(
            payload(LinkType::Loop, &lo),
            Payload::Ip { offset: 4, .. }
        ));
        let mut arp = vec![0u8; 12];
        arp.extend([0x08, 0x06, 1]);
        assert_eq!(payload(LinkType::Ethernet, &arp), Payload::Other(0x0806));
        assert_eq!(payload(LinkType::Ethernet, &eth[..13]), Payload::Cut);
        assert_eq!(LinkType::from_number(105), None);
    }
}
