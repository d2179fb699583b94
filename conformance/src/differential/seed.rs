//! The 32-byte seed of a differential run, as 64 hex digits.

use std::fmt;
use std::str::FromStr;

/// A run's seed: the same seed, kernel and code generate the same cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seed(pub [u8; 32]);

/// A seed that is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a seed is 64 hex digits, got {got:?}")]
pub struct SeedError {
    /// What was given.
    pub got: String,
}

impl Seed {
    /// A seed from the clock, for runs that explore.
    pub fn from_time() -> Seed {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let mut s = [0u8; 32];
        for (i, b) in s.iter_mut().enumerate() {
            *b = (nanos >> ((i % 16) * 8)) as u8 ^ (i as u8).wrapping_mul(151);
        }
        Seed(s)
    }
}

impl FromStr for Seed {
    type Err = SeedError;

    fn from_str(hex: &str) -> Result<Seed, SeedError> {
        let err = || SeedError {
            got: hex.to_owned(),
        };
        if hex.len() != 64 {
            return Err(err());
        }
        let mut s = [0u8; 32];
        for (i, b) in s.iter_mut().enumerate() {
            let digits = hex.get(2 * i..2 * i + 2).ok_or_else(err)?;
            *b = u8::from_str_radix(digits, 16).map_err(|_| err())?;
        }
        Ok(Seed(s))
    }
}

impl fmt::Display for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let s = Seed::from_time();
        assert_eq!(s.to_string().parse::<Seed>().unwrap(), s);
        assert!("00".parse::<Seed>().is_err());
        assert!("zz".repeat(32).parse::<Seed>().is_err());
    }
}
