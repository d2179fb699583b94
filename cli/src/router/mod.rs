//! A router's own key table, read from its BGP daemon's configuration
//! (`--router FILE`): BIRD 2 or FRR, detected from the text. Each BGP
//! neighbor becomes an entry of the router's table: its password, or "no
//! key" for a neighbor without one; the router's own addresses come from
//! `local` / `update-source` (else from the capture's flows).

use std::net::IpAddr;
use std::path::Path;

use tcpmd5::Key;

use crate::error::CliError;
use crate::keys::{Holder, KeyScope, KeySpec};

mod bird;
mod frr;

/// What a configuration says about MD5: the router's addresses and, per
/// neighbor (or range), the password it holds.
#[derive(Debug, Default)]
pub struct RouterConfig {
    /// The daemon, as output names it.
    pub daemon: &'static str,
    /// Its own addresses.
    pub addrs: Vec<IpAddr>,
    /// Its neighbors (or ranges) and their passwords (`None`: none).
    pub entries: Vec<Entry>,
    /// Lines the daemon reads otherwise than one might think, and why
    /// (never their bytes).
    pub warnings: Vec<(usize, String)>,
}

/// One neighbor's entry.
#[derive(Debug)]
pub struct Entry {
    /// The neighbor's address or range.
    pub scope: KeyScope,
    /// Its password, if any (never printed).
    pub key: Option<Key>,
    /// The line that gives the password, or the neighbor.
    pub line: usize,
    /// The VRF the neighbor is configured in (FRR `router bgp N vrf X`,
    /// BIRD `vrf "X"`): not modelled, its key is read into the one table.
    pub vrf: Option<String>,
}

/// A configuration error: the line and what is wrong.
#[derive(Debug)]
pub struct ConfigError {
    /// The line (from 1).
    pub line: usize,
    /// What is wrong.
    pub detail: String,
}

/// A neighbor address as a scope of one address (`fe80::1%eth0` loses
/// its interface).
fn one_address(text: &str) -> Option<KeyScope> {
    let addr: IpAddr = text.split('%').next()?.parse().ok()?;
    crate::keys::parse_scope(&addr.to_string()).ok()
}

/// A password's bytes as a key, or what is wrong with it.
fn password(bytes: &[u8], line: usize) -> Result<Key, ConfigError> {
    Key::new(bytes).map_err(|e| ConfigError {
        line,
        detail: format!(
            "a password of {} bytes: Linux takes 1 to {}",
            e.actual_len,
            tcpmd5::MAX_KEY_LEN
        ),
    })
}

/// Reads `path` (BIRD 2 or FRR) into a new holder and its entries.
pub fn read_router(
    path: &Path,
    specs: &mut Vec<KeySpec>,
    holders: &mut Vec<Holder>,
) -> Result<(), CliError> {
    let bytes = std::fs::read(path).map_err(|e| CliError::file(path, &e))?;
    let text = String::from_utf8_lossy(&bytes);
    let parsed = if bird::looks_like(&text) {
        bird::parse(&bytes)
    } else if frr::looks_like(&text) {
        frr::parse(&bytes)
    } else {
        return Err(CliError::KeyFile {
            path: path.display().to_string(),
            line: 1,
            detail: "neither a BIRD 2 configuration (protocol bgp) nor an FRR one (router bgp)"
                .into(),
        });
    };
    let config = parsed.map_err(|e| CliError::KeyFile {
        path: path.display().to_string(),
        line: e.line,
        detail: e.detail,
    })?;
    let vrfs: Vec<&str> = config
        .entries
        .iter()
        .filter_map(|e| e.vrf.as_deref())
        .collect();
    if !vrfs.is_empty() {
        eprintln!(
            "tcpmd5: warning: {}: {} neighbor(s) in a VRF: VRFs are not modelled, their keys are read into the default VRF's table (marked \"VRF … not modelled\")",
            path.display(),
            vrfs.len()
        );
    }
    for (line, why) in &config.warnings {
        eprintln!("tcpmd5: warning: {}:{line}: {why}", path.display());
    }
    let name = path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let holder = holders.len();
    holders.push(Holder {
        name,
        source: format!("{} ({})", path.display(), config.daemon),
        addrs: config.addrs,
    });
    for e in config.entries {
        // VRFs are not modelled (every lookup is the default VRF's): a key
        // under one says so wherever it is named.
        let origin = match &e.vrf {
            Some(v) => format!("{}:{}, VRF {v} not modelled", path.display(), e.line),
            None => format!("{}:{}", path.display(), e.line),
        };
        let mut spec = KeySpec::new(e.scope, origin, e.key);
        spec.holder = Some(holder);
        specs.push(spec);
    }
    Ok(())
}
