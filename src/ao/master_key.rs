//! An MKT's secret (RFC 5925 §3.1 "TCP-AO master key"): up to 80 bytes on
//! Linux (`TCP_AO_MAXKEYLEN`), never printed, compared in constant time and
//! wiped when dropped.

use core::fmt;

use subtle::ConstantTimeEq as _;
use zeroize::{Zeroize as _, ZeroizeOnDrop};

/// The longest master key `TCP_AO_ADD_KEY` takes.
pub const MAX_MASTER_KEY_LEN: usize = 80;

/// A master key. `Debug` shows its length only; equality takes the same
/// time whichever byte differs; the bytes are zeroed when it is dropped.
#[derive(Clone)]
pub struct MasterKey {
    bytes: [u8; MAX_MASTER_KEY_LEN],
    len: usize,
}

/// A master key longer than [`MAX_MASTER_KEY_LEN`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MasterKeyLenError {
    /// The length given.
    pub len: usize,
}

impl fmt::Display for MasterKeyLenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a TCP-AO master key of {} bytes is longer than {MAX_MASTER_KEY_LEN}",
            self.len
        )
    }
}

impl std::error::Error for MasterKeyLenError {}

impl MasterKey {
    /// The key `bytes` (at most 80).
    pub fn new(bytes: &[u8]) -> Result<MasterKey, MasterKeyLenError> {
        let mut key = MasterKey {
            bytes: [0; MAX_MASTER_KEY_LEN],
            len: bytes.len(),
        };
        key.bytes
            .get_mut(..bytes.len())
            .ok_or(MasterKeyLenError { len: bytes.len() })?
            .copy_from_slice(bytes);
        Ok(key)
    }

    /// The secret bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

impl PartialEq for MasterKey {
    /// Constant time in the bytes (the lengths are not secret).
    fn eq(&self, other: &MasterKey) -> bool {
        self.as_bytes().ct_eq(other.as_bytes()).into()
    }
}

impl Eq for MasterKey {}

impl MasterKey {
    /// Zeroes the bytes and the length (what dropping it does).
    fn wipe(&mut self) {
        self.bytes.zeroize();
        self.len.zeroize();
    }
}

impl Drop for MasterKey {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl ZeroizeOnDrop for MasterKey {}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey({} bytes)", self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_redaction() {
        let k = MasterKey::new(b"testvector").unwrap();
        assert_eq!(k.as_bytes(), b"testvector");
        assert_eq!(format!("{k:?}"), "MasterKey(10 bytes)");
        assert!(MasterKey::new(&[7; 80]).is_ok());
        assert_eq!(MasterKey::new(&[7; 81]), Err(MasterKeyLenError { len: 81 }));
        assert_eq!(MasterKey::new(&[]).unwrap().as_bytes(), b"");
        let e = MasterKeyLenError { len: 81 }.to_string();
        assert!(e.contains("81") && e.contains("80"), "{e}");
    }

    #[test]
    fn equal_by_bytes_and_length() {
        let k = MasterKey::new(b"testvector").unwrap();
        assert_eq!(k, MasterKey::new(b"testvector").unwrap());
        assert_eq!(k, k.clone());
        assert_ne!(k, MasterKey::new(b"testvectoR").unwrap());
        assert_ne!(k, MasterKey::new(b"Testvector").unwrap());
        // A prefix is another key, though the bytes after it are zeros.
        assert_ne!(k, MasterKey::new(b"testvecto").unwrap());
        assert_ne!(
            MasterKey::new(&[0; 3]).unwrap(),
            MasterKey::new(&[0; 4]).unwrap()
        );
        assert_eq!(MasterKey::new(&[]).unwrap(), MasterKey::new(&[]).unwrap());
    }

    #[test]
    fn wiping_zeroes_bytes_and_length() {
        let mut k = MasterKey::new(&[0xa5; MAX_MASTER_KEY_LEN]).unwrap();
        // What `drop` does, observed while the value is still alive.
        k.wipe();
        assert_eq!(k.bytes, [0; MAX_MASTER_KEY_LEN]);
        assert_eq!(k.as_bytes(), b"");
    }
}
