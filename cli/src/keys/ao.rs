//! TCP-AO keys the user gives (`--ao-key SCOPE=KEYID:RNEXT:ALG:SECRET`, or
//! an `ao SCOPE=KEYID:RNEXT:ALG:SECRET` line of a key file): an MKT the
//! receiver of segments from SCOPE holds. KEYID is the KeyID those segments
//! carry (the MKT's RecvID); RNEXT is the receiver's own SendID, the
//! RNextKeyID it expects them to ask for; ALG is `hmac-sha1` or `aes-cmac`
//! (or the RFC/Linux names). Both ends of a capture hold each key, as with
//! shared MD5 keys. Named by scope and origin, never by its bytes.

use std::fmt;
use std::path::Path;

use tcpmd5::ao::{Algorithm, MasterKey, Mkt};

use crate::error::CliError;

use super::scope::{KeyScope, parse_scope, parse_secret};

/// One AO key.
#[derive(Clone, PartialEq, Eq)]
pub struct AoKeySpec {
    /// The peers whose segments it checks.
    pub scope: KeyScope,
    /// Where it was given (`--ao-key #1`, `keys.txt:3`).
    pub origin: String,
    /// The MKT, its peer and prefix the scope's.
    pub mkt: Mkt,
}

impl AoKeySpec {
    /// How output names it: scope, KeyIDs, algorithm and origin.
    pub fn label(&self) -> String {
        format!(
            "{} KeyID {} RNext {} {} ({})",
            self.scope,
            self.mkt.recv_id,
            self.mkt.send_id,
            self.mkt.algorithm.short_id(),
            self.origin
        )
    }
}

/// Never the secret (the MKT's `Debug` shows its length only).
impl fmt::Debug for AoKeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AoKeySpec")
            .field("scope", &self.scope)
            .field("origin", &self.origin)
            .field("mkt", &self.mkt)
            .finish()
    }
}

/// Parses `SCOPE=KEYID:RNEXT:ALG:SECRET` (the secret may hold `:`).
///
/// Errors name a field by its position, never echo its text: in a
/// mis-ordered key (`61:84:SECRET:hmac-sha1`) any field may be the secret.
pub fn parse_ao_key(text: &str, origin: String) -> Result<AoKeySpec, String> {
    const FORM: &str =
        "expected SCOPE=KEYID:RNEXT:ALG:SECRET (e.g. 10.0.0.2=61:84:hmac-sha1:secret)";
    let (scope, rest) = text.split_once('=').ok_or(FORM)?;
    let scope = parse_scope(scope.trim()).map_err(|_| {
        "field 1 (SCOPE, before the first '='): not ADDR[/LEN][:PORT] or [ADDR][/LEN][:PORT]"
            .to_owned()
    })?;
    let mut parts = rest.splitn(4, ':');
    let (Some(key_id), Some(rnext), Some(alg), Some(secret)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(FORM.to_owned());
    };
    let id = |what: &str, t: &str| {
        t.parse::<u8>()
            .map_err(|_| format!("{what} is not a number 0..=255 ({FORM})"))
    };
    let (recv_id, send_id) = (
        id("field 2 (KEYID)", key_id)?,
        id("field 3 (RNEXT)", rnext)?,
    );
    let algorithm = Algorithm::from_name(alg).ok_or_else(|| {
        format!(
            "field 4 (ALG) is not an algorithm: one of hmac-sha1 (HMAC-SHA-1-96), aes-cmac (AES-128-CMAC-96) ({FORM})"
        )
    })?;
    let key = parse_secret(secret)?;
    let secret = MasterKey::new(key.as_bytes()).map_err(|e| e.to_string())?;
    let mkt = Mkt {
        prefix: scope.prefixlen,
        ..Mkt::new(scope.addr, send_id, recv_id, algorithm, secret)
    };
    Ok(AoKeySpec { scope, origin, mkt })
}

/// The `ao SCOPE=…` lines of a key file (the other lines are MD5 keys and
/// host sections, read by [`super::read_key_file`], which skips these).
pub fn read_ao_key_lines(path: &Path, out: &mut Vec<AoKeySpec>) -> Result<(), CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::file(path, &e))?;
    for (i, line) in text.lines().enumerate() {
        if let Some(rest) = line.trim().strip_prefix("ao ") {
            let origin = format!("{}:{}", path.display(), i + 1);
            out.push(
                parse_ao_key(rest.trim(), origin).map_err(|detail| CliError::KeyFile {
                    path: path.display().to_string(),
                    line: i + 1,
                    detail,
                })?,
            );
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_hides_the_secret() {
        // The secret is the rest: a hex secret may be written with colons.
        let k = parse_ao_key("10.0.0.0/24=61:84:aes-cmac:hex:0a:0b", "--ao-key #1".into()).unwrap();
        assert_eq!(k.mkt.secret.as_bytes(), &[0x0a, 0x0b]);
        let k = parse_ao_key(
            "10.0.0.0/24=61:84:HMAC-SHA-1-96:zebra:pass",
            "--ao-key #1".into(),
        )
        .unwrap();
        assert_eq!((k.mkt.recv_id, k.mkt.send_id, k.mkt.prefix), (61, 84, 24));
        assert_eq!(k.mkt.secret.as_bytes(), b"zebra:pass");
        assert_eq!(k.mkt.algorithm, Algorithm::HmacSha1);
        assert_eq!(
            k.label(),
            "10.0.0.0/24 KeyID 61 RNext 84 hmac-sha1 (--ao-key #1)"
        );
        assert!(!format!("{k:?}").contains("zebra"));
        for bad in [
            "10.0.0.1",
            "10.0.0.1=61:84:hmac-sha1",
            "10.0.0.1=256:84:hmac-sha1:s",
            "10.0.0.1=61:x:hmac-sha1:s",
            "10.0.0.1=61:84:md5:s",
            "10.0.0.1=61:84:aes-cmac:",
            "host=61:84:aes-cmac:s",
        ] {
            assert!(parse_ao_key(bad, "t".into()).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_never_echo_a_field_that_may_be_the_secret() {
        for bad in [
            "10.0.0.2=61:84:hunter2:hmac-sha1",
            "10.0.0.2=hunter2:61:84:hmac-sha1",
            "10.0.0.2=61:hunter2:84:hmac-sha1",
            "hunter2=61:84:hmac-sha1:x",
            "61:84:hmac-sha1:hunter2=x",
        ] {
            let e = parse_ao_key(bad, "t".into()).unwrap_err();
            assert!(!e.contains("hunter2"), "{bad}: {e}");
            assert!(e.contains("field "), "{bad}: {e}");
        }
    }
}
