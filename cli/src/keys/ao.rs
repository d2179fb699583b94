//! TCP-AO keys the user gives (`--ao-key SCOPE=KEYID:RNEXT:ALG:SECRET`, or
//! an `ao SCOPE=KEYID:RNEXT:ALG:SECRET` line of a key file): an MKT the
//! receiver of segments from SCOPE holds. KEYID is the KeyID those segments
//! carry (the MKT's RecvID); RNEXT is the receiver's own SendID, the
//! RNextKeyID it expects them to ask for; ALG is `hmac-sha1` or `aes-cmac`
//! (or the RFC/Linux names), optionally followed by the MKT's other
//! settings, comma-separated: `maclen=N` (the MAC length, `TCP_AO_ADD_KEY`'s
//! `maclen`; 12 when not given, as Linux's default) and `exclude-options`
//! (`TCP_AO_KEYF_EXCLUDE_OPT`: only the AO option is covered). They go with
//! ALG, not after SECRET, since a secret may hold any character. Both ends
//! of a capture hold each key, as with shared MD5 keys. Named by scope and
//! origin, never by its bytes.

use std::fmt;
use std::path::Path;

use tcpmd5::ao::{Algorithm, MasterKey, Mkt, OptionCoverage};

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
    /// Whether the MAC length was given (`maclen=N`) rather than taken to
    /// be the default 12: a MAC of another length is then a definite drop.
    pub mac_len_given: bool,
}

impl AoKeySpec {
    /// How output names it: scope, KeyIDs, algorithm (with the settings
    /// given) and origin.
    pub fn label(&self) -> String {
        let mut alg = self.mkt.algorithm.short_id().to_owned();
        if self.mac_len_given {
            alg.push_str(&format!(",maclen={}", self.mkt.mac_len));
        }
        if self.mkt.coverage == OptionCoverage::Excluded {
            alg.push_str(",exclude-options");
        }
        format!(
            "{} KeyID {} RNext {} {alg} ({})",
            self.scope, self.mkt.recv_id, self.mkt.send_id, self.origin
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

/// Parses `SCOPE=KEYID:RNEXT:ALG[,maclen=N][,exclude-options]:SECRET`
/// (the secret may hold `:`).
///
/// Errors name a field by its position, never echo its text: in a
/// mis-ordered key (`61:84:SECRET:hmac-sha1`) any field may be the secret.
pub fn parse_ao_key(text: &str, origin: String) -> Result<AoKeySpec, String> {
    const FORM: &str = "expected SCOPE=KEYID:RNEXT:ALG[,maclen=N][,exclude-options]:SECRET (e.g. 10.0.0.2=61:84:hmac-sha1:secret)";
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
    let alg = parse_alg_field(alg)?;
    let key = parse_secret(secret)?;
    let secret = MasterKey::new(key.as_bytes()).map_err(|e| e.to_string())?;
    let mut mkt = Mkt {
        prefix: scope.prefixlen,
        coverage: alg.coverage,
        ..Mkt::new(scope.addr, send_id, recv_id, alg.algorithm, secret)
    };
    if let Some(n) = alg.mac_len {
        mkt.mac_len = n;
    }
    Ok(AoKeySpec {
        scope,
        origin,
        mkt,
        mac_len_given: alg.mac_len.is_some(),
    })
}

/// Field 4: the algorithm and the MKT settings given with it.
struct AlgField {
    algorithm: Algorithm,
    mac_len: Option<u8>,
    coverage: OptionCoverage,
}

/// Parses `ALG[,maclen=N][,exclude-options]`, each setting at most once.
fn parse_alg_field(field: &str) -> Result<AlgField, String> {
    let mut items = field.split(',');
    let algorithm = items
        .next()
        .and_then(Algorithm::from_name)
        .ok_or_else(|| {
            "field 4 (ALG) is not an algorithm: one of hmac-sha1 (HMAC-SHA-1-96), aes-cmac (AES-128-CMAC-96), optionally followed by ,maclen=N and ,exclude-options".to_owned()
        })?;
    let mut out = AlgField {
        algorithm,
        mac_len: None,
        coverage: OptionCoverage::Included,
    };
    let mut excluded = false;
    for item in items {
        if item == "exclude-options" && !excluded {
            excluded = true;
            out.coverage = OptionCoverage::Excluded;
        } else if let Some(n) = item.strip_prefix("maclen=")
            && out.mac_len.is_none()
        {
            // The MAC is the PRF's output truncated: no longer than it
            // (Linux: EINVAL), and at least one byte.
            let max = algorithm.prf_len();
            out.mac_len = Some(
                n.parse::<u8>()
                    .ok()
                    .filter(|n| (1..=max).contains(&usize::from(*n)))
                    .ok_or_else(|| {
                        format!(
                            "field 4 (ALG): maclen is not a number 1..={max} (the {algorithm} output is {max} bytes)"
                        )
                    })?,
            );
        } else {
            return Err(
                "field 4 (ALG): after the algorithm only ,maclen=N and ,exclude-options, each once"
                    .to_owned(),
            );
        }
    }
    Ok(out)
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
    fn mac_length_and_excluded_options_go_with_the_algorithm() {
        let k = parse_ao_key("10.0.0.2=61:84:hmac-sha1:s", "t".into()).unwrap();
        assert_eq!(
            (k.mkt.mac_len, k.mkt.coverage, k.mac_len_given),
            (12, OptionCoverage::Included, false)
        );
        assert_eq!(k.label(), "10.0.0.2 KeyID 61 RNext 84 hmac-sha1 (t)");
        let k = parse_ao_key(
            "10.0.0.2=61:84:aes-cmac,maclen=16,exclude-options:a,b:c",
            "t".into(),
        )
        .unwrap();
        assert_eq!(
            (k.mkt.mac_len, k.mkt.coverage, k.mac_len_given),
            (16, OptionCoverage::Excluded, true)
        );
        assert_eq!(k.mkt.algorithm, Algorithm::AesCmac);
        // The secret is everything after the fourth ':', commas included.
        assert_eq!(k.mkt.secret.as_bytes(), b"a,b:c");
        assert_eq!(
            k.label(),
            "10.0.0.2 KeyID 61 RNext 84 aes-cmac,maclen=16,exclude-options (t)"
        );
        // Either order; a given 12 is given.
        let k = parse_ao_key(
            "10.0.0.2=61:84:cmac(aes128),exclude-options,maclen=12:s",
            "t".into(),
        )
        .unwrap();
        assert_eq!(
            (k.mkt.mac_len, k.mkt.coverage, k.mac_len_given),
            (12, OptionCoverage::Excluded, true)
        );
        // HMAC-SHA-1's output is 20 bytes, AES-128-CMAC's 16.
        assert_eq!(
            parse_ao_key("10.0.0.2=61:84:hmac-sha1,maclen=20:s", "t".into())
                .unwrap()
                .mkt
                .mac_len,
            20
        );
        for (bad, says) in [
            ("10.0.0.2=61:84:aes-cmac,maclen=17:s", "1..=16"),
            ("10.0.0.2=61:84:hmac-sha1,maclen=21:s", "1..=20"),
            ("10.0.0.2=61:84:hmac-sha1,maclen=0:s", "1..=20"),
            ("10.0.0.2=61:84:hmac-sha1,maclen=:s", "1..=20"),
            (
                "10.0.0.2=61:84:hmac-sha1,maclen=12,maclen=12:s",
                "each once",
            ),
            (
                "10.0.0.2=61:84:hmac-sha1,exclude-options,exclude-options:s",
                "each once",
            ),
            ("10.0.0.2=61:84:hmac-sha1,:s", "each once"),
            ("10.0.0.2=61:84:hmac-sha1,include-options:s", "each once"),
            ("10.0.0.2=61:84:,maclen=12:s", "not an algorithm"),
        ] {
            let e = parse_ao_key(bad, "t".into()).unwrap_err();
            assert!(e.contains("field 4") && e.contains(says), "{bad}: {e}");
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
            "10.0.0.2=61:84:hmac-sha1,hunter2:x",
            "10.0.0.2=61:84:hmac-sha1,maclen=hunter2:x",
            "10.0.0.2=61:84:hunter2,maclen=12:x",
            "10.0.0.2=61:84:aes-cmac,maclen=99,hunter2:x",
        ] {
            let e = parse_ao_key(bad, "t".into()).unwrap_err();
            assert!(!e.contains("hunter2"), "{bad}: {e}");
            assert!(e.contains("field "), "{bad}: {e}");
        }
    }
}
