//! The shared secret of an RFC 2385 connection.

use core::fmt;

/// The most key bytes Linux accepts (`TCP_MD5SIG_MAXKEYLEN`).
pub const MAX_KEY_LEN: usize = 80;

/// A TCP-MD5 key: 1 to 80 bytes of binary data (NUL bytes allowed).
/// `Debug` prints only the length, never the bytes.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Key {
    bytes: [u8; MAX_KEY_LEN],
    len: u8,
}

/// A key of an invalid length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyLenError {
    /// The length given.
    pub actual_len: usize,
}

impl fmt::Display for KeyLenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "key length {} outside 1..={MAX_KEY_LEN}",
            self.actual_len
        )
    }
}

impl std::error::Error for KeyLenError {}

impl Key {
    /// A key of 1 to 80 bytes.
    pub fn new(bytes: &[u8]) -> Result<Key, KeyLenError> {
        let err = KeyLenError {
            actual_len: bytes.len(),
        };
        if bytes.is_empty() {
            return Err(err);
        }
        let mut key = Key {
            bytes: [0; MAX_KEY_LEN],
            len: u8::try_from(bytes.len()).map_err(|_| err)?,
        };
        key.bytes
            .get_mut(..bytes.len())
            .ok_or(err)?
            .copy_from_slice(bytes);
        Ok(key)
    }

    /// A key from a fixed-size array, its length checked at compile time
    /// (a length outside 1..=80 does not build).
    pub const fn from_array<const N: usize>(bytes: &[u8; N]) -> Key {
        const { assert!(N >= 1 && N <= MAX_KEY_LEN, "a key is 1 to 80 bytes") };
        let mut key = Key {
            bytes: [0; MAX_KEY_LEN],
            len: N as u8,
        };
        // N <= 80 is checked above, at compile time.
        let (head, _) = key.bytes.split_at_mut(N);
        head.copy_from_slice(bytes);
        key
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// The key length (1..=80).
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Always false: a key has at least one byte. Present for API symmetry.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_empty_and_a_bad_length_says_why() {
        assert!(!Key::from_array(b"k").is_empty());
        assert!(!Key::new(&[7; 80]).unwrap().is_empty());
        assert_eq!(
            KeyLenError { actual_len: 81 }.to_string(),
            "key length 81 outside 1..=80"
        );
    }

    #[test]
    fn lengths() {
        assert!(Key::new(b"").is_err());
        assert_eq!(Key::new(&[0; 80]).unwrap().len(), 80);
        assert_eq!(Key::new(&[0; 81]), Err(KeyLenError { actual_len: 81 }));
        assert_eq!(Key::new(b"a\0b").unwrap().as_bytes(), b"a\0b");
    }

    #[test]
    fn from_array_equals_new() {
        assert_eq!(Key::from_array(b"abc"), Key::new(b"abc").unwrap());
        assert_eq!(Key::from_array(&[7u8; 80]).len(), 80);
    }

    #[test]
    fn debug_hides_bytes() {
        let shown = format!("{:?}", Key::new(b"secret-key").unwrap());
        assert!(!shown.contains("secret"));
        assert!(shown.contains("len: 10"));
    }
}
