//! The control bytes the fuzz targets read (before the packet of `verdict`
//! and `receiver`, in the descriptors of `batch`), in one place for the
//! targets (`fuzz/src/targets/`) and the seed generator (`fuzz/seedgen/`),
//! so that a seed means what the target reads.

/// Length of the key prefix: `[semantics, l3 domain, key mode, key length]`.
/// The semantics is `Semantics::ALL[b % 4]`, the L3 domain `[0, 5, 7, 3][b %
/// 4]` and the key length `1 + b % 80`.
pub const KEY_PREFIX_LEN: usize = 4;

/// A key prefix.
pub type KeyPrefix = [u8; KEY_PREFIX_LEN];

/// The bits of the key mode byte.
pub mod key_mode {
    /// An exact key (A) for the packet's source.
    pub const EXACT: u8 = 1;
    /// A /0 key (B) for the source's family.
    pub const FAMILY_WILDCARD: u8 = 2;
    /// Key A bound to VRF 5.
    pub const BIND_VRF_5: u8 = 4;
    /// A /0 key (B) for the other family.
    pub const OTHER_FAMILY_WILDCARD: u8 = 8;
    /// Sign the packet first, with key A ...
    pub const SIGN: u8 = 16;
    /// ... or with key B.
    pub const SIGN_WITH_B: u8 = 32;
}

/// Length of the `receiver` target's control bytes after the key prefix:
/// `[control, rcv_nxt delta hi, rcv_nxt delta lo, window]`; `rcv_nxt` is the
/// packet's sequence number plus the signed 16-bit delta.
pub const RECEIVER_CONTROL_LEN: usize = 4;

/// The bits of the receiver control byte (none: TIME-WAIT).
pub mod receiver_control {
    /// FIN-WAIT-2 instead of TIME-WAIT.
    pub const FIN_WAIT_2: u8 = 1;
    /// `tcp_rfc1337` on.
    pub const RFC1337: u8 = 2;
    /// A listener for the closed-port reset.
    pub const LISTENER: u8 = 4;
}

/// The flag bits of a `batch` descriptor (`[flags, key length, length lo,
/// length hi]`).
pub mod batch_flag {
    /// IPv6 addresses (else IPv4).
    pub const V6: u8 = 1;
    /// A 40-byte header with `NOP NOP MD5` in Linux's layout.
    pub const MD5_HEADER: u8 = 2;
    /// Sign it with the segment's key (fixing the checksum).
    pub const SIGN: u8 = 4;
    /// Then flip one bit.
    pub const FLIP: u8 = 8;
    /// The receiver holds no key for the source.
    pub const NO_KEY: u8 = 16;
    /// The length grows by `i * (flags >> 5)`: lengths differ within a
    /// descriptor.
    pub const STRIDE_SHIFT: u8 = 5;
}
