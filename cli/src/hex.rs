//! Hex strings as users paste them (tcpdump -xx, Wireshark "copy as hex").

/// Why a hex string is not bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// An odd number of hex digits.
    #[error("odd number of hex digits ({digits})")]
    OddLength {
        /// How many digits.
        digits: usize,
    },
    /// A character that is not a hex digit, separator or offset.
    /// The character itself is never named: the hex may be a secret.
    #[error("not a hex digit at character {position}")]
    BadDigit {
        /// Its position (from 0) in the input.
        position: usize,
    },
}

/// Decodes hex, ignoring whitespace, `:` and `-` separators and a leading
/// `0x`.
pub fn decode(text: &str) -> Result<Vec<u8>, HexError> {
    let body = text.trim();
    let body = body
        .strip_prefix("0x")
        .or_else(|| body.strip_prefix("0X"))
        .unwrap_or(body);
    let skipped = text.len() - body.len();
    let mut digits = Vec::with_capacity(body.len());
    for (i, c) in body.char_indices() {
        match c.to_digit(16) {
            Some(d) => digits.push(d as u8),
            None if c.is_whitespace() || c == ':' || c == '-' => {}
            None => {
                return Err(HexError::BadDigit {
                    position: skipped + i,
                });
            }
        }
    }
    if digits.len() % 2 != 0 {
        return Err(HexError::OddLength {
            digits: digits.len(),
        });
    }
    Ok(digits
        .chunks_exact(2)
        .map(|pair| match *pair {
            [hi, lo] => (hi << 4) | lo,
            _ => 0,
        })
        .collect())
}

/// Lowercase hex of `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_with_separators_and_rejects_odd() {
        assert_eq!(decode("0x45 00:0a-ff"), Ok(vec![0x45, 0x00, 0x0a, 0xff]));
        assert_eq!(decode("abc"), Err(HexError::OddLength { digits: 3 }));
        assert_eq!(decode("4g"), Err(HexError::BadDigit { position: 1 }));
        // The message gives the position, never the character (a secret's).
        let e = decode("00z9").unwrap_err().to_string();
        assert!(!e.contains('z'), "{e}");
        assert_eq!(encode(&[0, 0xab]), "00ab");
    }
}
