//! Turning off transmit checksum offload, so frames captured from a veth carry
//! the real checksums (and, with TSO and SG gone too, wire-sized segments).
//!
//! Over a veth the kernel's segments keep `CHECKSUM_PARTIAL`: an AF_PACKET
//! socket on the peer sees only the pseudo-header sum in the TCP checksum
//! field. Verified live on 6.18: SYN-ACKs captured on `vp` fail checksum
//! verification unless this is applied to `vk`.
#![allow(unsafe_code)]

use std::os::fd::AsRawFd;

use super::error::HarnessError;

const SIOCETHTOOL: libc::c_ulong = 0x8946;
const ETHTOOL_GTXCSUM: u32 = 0x16;
const ETHTOOL_STXCSUM: u32 = 0x17;

/// `struct ethtool_value`.
#[repr(C)]
struct EthtoolValue {
    cmd: u32,
    data: u32,
}

/// `struct ifreq` with the `ifr_data` member of the union (40 bytes on LP64).
#[repr(C)]
struct IfReqData {
    name: [u8; libc::IFNAMSIZ],
    data: *mut EthtoolValue,
    _pad: [u8; 16],
}

fn ethtool_value(ifname: &str, cmd: u32, data: u32) -> Result<u32, HarnessError> {
    let bytes = ifname.as_bytes();
    if bytes.len() >= libc::IFNAMSIZ {
        return Err(HarnessError::Unsupported(format!(
            "interface name {ifname:?} too long"
        )));
    }
    let mut name = [0u8; libc::IFNAMSIZ];
    for (d, s) in name.iter_mut().zip(bytes) {
        *d = *s;
    }
    let mut value = EthtoolValue { cmd, data };
    let mut req = IfReqData {
        name,
        data: &raw mut value,
        _pad: [0; 16],
    };
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None)
        .map_err(|e| HarnessError::io("socket(AF_INET)", &e))?;
    // SAFETY: req is a properly laid out ifreq whose ifr_data points to a live
    // ethtool_value; both outlive the call, and the fd is open.
    let rc = unsafe { libc::ioctl(sock.as_raw_fd(), SIOCETHTOOL as _, &raw mut req) };
    if rc != 0 {
        return Err(HarnessError::last_os(format!(
            "SIOCETHTOOL {cmd:#x} on {ifname}"
        )));
    }
    Ok(value.data)
}

/// Disables TX checksum offload on `ifname` (the kernel then also drops TSO
/// and scatter-gather, which depend on it).
pub fn disable_tx_checksum(ifname: &str) -> Result<(), HarnessError> {
    ethtool_value(ifname, ETHTOOL_STXCSUM, 0).map(|_| ())
}

/// Whether TX checksum offload is on.
pub fn tx_checksum_enabled(ifname: &str) -> Result<bool, HarnessError> {
    ethtool_value(ifname, ETHTOOL_GTXCSUM, 0).map(|v| v != 0)
}
