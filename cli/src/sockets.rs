//! `tcpmd5 sockets`: which TCP sockets hold MD5 keys, for which peers, and
//! whether both routers (or the configuration) hold the same key — by
//! fingerprint, never by the key.

use std::io::Write;

use serde::Serialize;

use crate::args::{Format, SocketsArgs};
use crate::error::{CliError, Status};
use crate::socket_keys::{Configured, SocketsReport};

/// Why keys cannot be read, in the words the output uses.
pub const NO_NET_ADMIN: &str = "the kernel reports a socket's MD5 keys (inet_diag INET_DIAG_MD5SIG) only to a process with CAP_NET_ADMIN, and this one lacks it: run as root (or with that capability); without it every socket would look keyless";

/// The JSON document.
#[derive(Debug, Serialize)]
struct Document<'a> {
    netns: Option<&'a str>,
    keys_readable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(flatten)]
    report: Option<&'a SocketsReport>,
}

/// Runs `tcpmd5 sockets`.
pub fn run(args: &SocketsArgs, out: &mut dyn Write) -> Result<Status, CliError> {
    if !args.keys.ao_keys.is_empty() {
        return Err(CliError::argument(
            "--ao-key",
            "sockets compares MD5 keys only (TCP-AO keys are for explain and verify)",
        ));
    }
    let ring = if args.keys.keys.is_empty()
        && args.keys.key_files.is_empty()
        && args.keys.routers.is_empty()
    {
        None
    } else {
        Some(crate::key_sources::load(&args.keys)?)
    };
    let netns = args.netns.as_deref();
    let readable = crate::capability::has_net_admin().map_err(CliError::Unavailable)?;
    if !readable {
        write_unreadable(args.format, netns, out)?;
        return Ok(Status::NothingChecked);
    }
    let report = crate::netns::run_in(netns, || {
        crate::inet_diag::tcp_sockets()
            .map(|sockets| crate::socket_keys::report(&sockets, ring.as_ref()))
    })
    .map_err(CliError::from_netns)?
    .map_err(|e| CliError::Unavailable(e.to_string()))?;
    match args.format {
        Format::Json => {
            let doc = Document {
                netns,
                keys_readable: true,
                reason: None,
                report: Some(&report),
            };
            serde_json::to_writer(&mut *out, &doc).map_err(CliError::stdout)?;
            writeln!(out).map_err(CliError::stdout)?;
        }
        Format::Human => render(&report, netns, ring.is_some(), out).map_err(CliError::stdout)?,
    }
    let differs = report
        .sockets
        .iter()
        .flat_map(|s| &s.keys)
        .any(|k| matches!(k.configured, Some(Configured::Differs { .. })));
    Ok(if differs {
        Status::Failures
    } else {
        Status::Ok
    })
}

fn write_unreadable(
    format: Format,
    netns: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    match format {
        Format::Json => {
            let doc = Document {
                netns,
                keys_readable: false,
                reason: Some(NO_NET_ADMIN),
                report: None,
            };
            serde_json::to_writer(&mut *out, &doc).map_err(CliError::stdout)?;
            writeln!(out).map_err(CliError::stdout)
        }
        Format::Human => {
            writeln!(out, "keys cannot be read: {NO_NET_ADMIN}").map_err(CliError::stdout)
        }
    }
}

fn render(
    report: &SocketsReport,
    netns: Option<&str>,
    compared: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let keys: usize = report.sockets.iter().map(|s| s.keys.len()).sum();
    writeln!(
        out,
        "{} socket(s) holding {keys} MD5 key(s) in {}",
        report.sockets.len(),
        netns.map_or_else(|| "this namespace".to_owned(), |n| format!("namespace {n}"))
    )?;
    for s in &report.sockets {
        let remote = if s.remote.ip().is_unspecified() {
            "*".to_owned()
        } else {
            s.remote.to_string()
        };
        write!(
            out,
            "{:<10} {:<24} {:<24}",
            s.state,
            s.local.to_string(),
            remote
        )?;
        if let Some(dev) = &s.device {
            write!(out, " dev {dev}")?;
        }
        match &s.owner {
            Some(o) => writeln!(out, " {} (pid {})", o.command, o.pid)?,
            None => writeln!(out, " (owner not found)")?,
        }
        for k in &s.keys {
            write!(
                out,
                "    key {:<20} {:>2} bytes  fingerprint {}  ({})",
                k.scope, k.len, k.fingerprint, k.salt
            )?;
            match &k.configured {
                Some(Configured::Equal { key }) => write!(out, "  equals {key}")?,
                Some(Configured::Differs { key }) => {
                    write!(out, "  DIFFERS from {key}: the passwords differ")?;
                }
                Some(Configured::NotConfigured) => write!(out, "  no configured key covers it")?,
                None => {}
            }
            writeln!(out)?;
        }
    }
    for n in &report.keyless {
        writeln!(
            out,
            "no key: {} {} > {}: {}",
            n.state, n.local, n.remote, n.note
        )?;
    }
    if report
        .sockets
        .iter()
        .flat_map(|s| &s.keys)
        .any(|k| k.prefix_salted)
    {
        writeln!(
            out,
            "a prefix key's fingerprint is salted with its prefix, a /32 key's with the peering: the two are not comparable (different fingerprints there do not mean different keys; --key compares the bytes)"
        )?;
    }
    if !compared && !report.sockets.is_empty() {
        writeln!(
            out,
            "fingerprints match across routers when the keys and the peering (salt) are the same; --key/--keys/--router compare each key with a configured one"
        )?;
    }
    Ok(())
}
