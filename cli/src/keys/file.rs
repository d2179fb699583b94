//! Key files: `SCOPE=SECRET` lines (shared: both ends hold them), and
//! host sections: a line `host [NAME] ADDR…` (the host's own addresses),
//! then the `SCOPE=SECRET` lines of its table; a host without a line for
//! a peer has no key for it, and `SCOPE=` says so explicitly. Lines
//! `ao SCOPE=KEYID:RNEXT:ALG:SECRET` are TCP-AO keys (`keys::ao`).

use std::net::IpAddr;
use std::path::Path;

use crate::error::CliError;

use super::{Holder, KeySpec, parse_key};

/// Reads a key file into `specs` (and its host sections into `holders`).
/// Blank lines and lines starting with `#` are skipped (a `#` inside a
/// secret is part of it); a CR before the line end is not.
pub fn read_key_file(
    path: &Path,
    specs: &mut Vec<KeySpec>,
    holders: &mut Vec<Holder>,
) -> Result<(), CliError> {
    let text = std::fs::read(path).map_err(|e| CliError::file(path, &e))?;
    let text = String::from_utf8(text).map_err(|e| CliError::KeyFile {
        path: path.display().to_string(),
        line: 1 + e
            .as_bytes()
            .get(..e.utf8_error().valid_up_to())
            .map_or(0, |b| b.iter().filter(|c| **c == b'\n').count()),
        detail: "not UTF-8 text (give binary secrets as hex:…)".to_owned(),
    })?;
    let mut holder = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        let trimmed = line.trim_start();
        // `ao SCOPE=…` lines are TCP-AO keys (`read_ao_key_lines`).
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("ao ") {
            continue;
        }
        let bad = |detail: String| CliError::KeyFile {
            path: path.display().to_string(),
            line: i + 1,
            detail,
        };
        if let Some(rest) = trimmed.strip_prefix("host ") {
            holders.push(host(rest, path, i + 1).map_err(bad)?);
            holder = Some(holders.len() - 1);
            continue;
        }
        let origin = format!("{}:{}", path.display(), i + 1);
        let mut spec = parse_key(trimmed, origin).map_err(bad)?;
        spec.holder = holder;
        specs.push(spec);
    }
    Ok(())
}

/// `host [NAME] ADDR…`: a name (any word that is not an address) and the
/// host's addresses.
fn host(rest: &str, path: &Path, line: usize) -> Result<Holder, String> {
    let mut words = rest.split_whitespace().peekable();
    let name = match words.peek() {
        Some(w) if w.parse::<IpAddr>().is_err() => words.next().map(str::to_owned),
        _ => None,
    };
    let addrs = words
        .map(|w| {
            w.parse::<IpAddr>()
                .map_err(|_| format!("host line: {w:?} is not an IPv4 or IPv6 address"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let name = match (name, addrs.first()) {
        (Some(n), _) => n,
        (None, Some(a)) => a.to_string(),
        (None, None) => return Err("host line: give a name or the host's addresses".into()),
    };
    Ok(Holder {
        name,
        source: format!("{}:{line}", path.display()),
        addrs,
    })
}
