//! An MKT's secret (RFC 5925 §3.1 "TCP-AO master key"): up to 80 bytes on
//! Linux (`TCP_AO_MAXKEYLEN`), never printed.

use core::fmt;

/// The longest master key `TCP_AO_ADD_KEY` takes.
pub const MAX_MASTER_KEY_LEN: usize = 80;

/// A master key. `Debug` shows its length only.
#[derive(Clone, PartialEq, Eq)]
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
}
