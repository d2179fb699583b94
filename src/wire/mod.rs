//! Zero-copy views of IPv4, IPv6 and TCP, after smoltcp's `wire`: a
//! `Packet<T: AsRef<[u8]>>` view whose `new_checked` never panics on any
//! input, and an owned `Repr` with `parse` and `emit`.

pub mod checksum;
mod error;
mod ip_segment;
pub mod ipv4;
pub mod ipv6;
mod seq_number;
pub mod tcp;
pub mod tcp_option;

pub use error::{Layer, WireError};
pub use ip_segment::{IpSegment, ip_packet};
pub use ipv4::{Ipv4Packet, Ipv4Repr};
pub use ipv6::{Ipv6Packet, Ipv6Repr};
pub use seq_number::SeqNumber;
pub use tcp::{TcpFlags, TcpPacket, TcpRepr};
pub use tcp_option::{OptionError, TcpOption, TcpOptions};
