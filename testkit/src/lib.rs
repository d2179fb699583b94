//! What the tcpmd5 tests, benches, fuzz seeds and conformance suite share,
//! kept out of the library's API:
//!
//! - [`options`]: TCP options by name;
//! - [`layouts`]: the option-area corner cases of RFC 2385 receivers;
//! - [`vector_keys`]: the keys the published vectors are signed with;
//! - [`TcpSegmentSpec`] and [`packet`]: owned segments and whole IP packets
//!   (IPv6 extension headers included);
//! - [`strategies`]: proptest generators;
//! - [`fuzz_input`]: the layout of the fuzz targets' control bytes, for
//!   the targets and their seed generator;
//! - [`record`]: the one writer of vector records (hex, verdicts, digest
//!   vectors), used by the crafted generator and the kernel capture.

pub mod fuzz_input;
pub mod layouts;
pub mod options;
pub mod packet;
pub mod record;
mod segment;
pub mod strategies;
pub mod vector_keys;

pub use packet::{ExtHeader, IpHeaders, PacketError, ip_packet_with};
pub use segment::TcpSegmentSpec;
