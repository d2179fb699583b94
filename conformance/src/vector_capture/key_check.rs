//! The key vectors replayed on live sockets.

use std::net::IpAddr;
use std::os::fd::AsFd;
use std::path::Path;

use serde_json::Value;
use socket2::{Domain, Protocol, Socket, Type};
use tcpmd5::Md5SigRequest;
use tcpmd5::key_table::{FLAG_IFINDEX, Md5SigOption};

use super::error::CaptureError;
use super::error::io;
use super::summary::CaptureSummary;
use crate::harness::sockopt;

/// Replays the requests of every key vector (`out_dir/keys/*.json`) on a
/// fresh socket of the vector's family and compares success / errno with the
/// vector (`added`/`replaced`/`deleted` = 0). Requests binding a non-zero
/// ifindex are skipped (the lab has no VRF), and so is the rest of their
/// vector (later results depend on them).
pub(super) fn check_key_vectors(
    out_dir: &Path,
    summary: &mut CaptureSummary,
) -> Result<(), CaptureError> {
    let dir = out_dir.join("keys");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text =
            std::fs::read_to_string(&path).map_err(io(format!("read {}", path.display())))?;
        let doc: Value =
            serde_json::from_str(&text).map_err(|e| io("json")(std::io::Error::other(e)))?;
        for v in doc
            .get("vectors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let id = v.get("id").and_then(Value::as_str).unwrap_or("?");
            let domain = match v.get("socket_family").and_then(Value::as_str) {
                Some("ipv4") => Domain::IPV4,
                _ => Domain::IPV6,
            };
            let sock =
                Socket::new(domain, Type::STREAM, Some(Protocol::TCP)).map_err(io("socket"))?;
            let requests = v
                .get("requests")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut skipping = false;
            for (i, r) in requests.iter().enumerate() {
                let num = |k: &str| r.get(k).and_then(Value::as_i64).unwrap_or(0);
                let ifindex = num("ifindex") as i32;
                let flags = num("flags") as u8;
                if skipping || (flags & FLAG_IFINDEX != 0 && ifindex != 0) {
                    skipping = true;
                    summary.key_requests_skipped += 1;
                    continue;
                }
                let Some(addr) = r
                    .get("addr")
                    .and_then(Value::as_str)
                    .and_then(|a| a.parse::<IpAddr>().ok())
                else {
                    continue;
                };
                let key_hex = r.get("key").and_then(Value::as_str).unwrap_or("");
                let mut cmd = Md5SigRequest::delete(addr);
                for (slot, i) in cmd.key.iter_mut().zip((0..key_hex.len()).step_by(2)) {
                    *slot = key_hex
                        .get(i..i + 2)
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                        .unwrap_or(0);
                }
                cmd.sa_family = num("sa_family") as u16;
                cmd.flags = flags;
                cmd.prefixlen = num("prefixlen") as u8;
                cmd.keylen = num("keylen") as u16;
                cmd.ifindex = ifindex;
                cmd.option = match r.get("option").and_then(Value::as_str) {
                    Some("TCP_MD5SIG_EXT") => Md5SigOption::Md5SigExt,
                    _ => Md5SigOption::Md5Sig,
                };
                cmd.optlen = num("optlen") as usize;
                let got = match sockopt::set_md5sig(sock.as_fd(), &cmd) {
                    Ok(()) => "0".to_owned(),
                    Err(e) => e.name(),
                };
                let want = match r.get("expected").and_then(Value::as_str) {
                    Some("added" | "replaced" | "deleted") => "0",
                    Some(other) => other,
                    None => "?",
                };
                summary.key_requests_checked += 1;
                if got != want {
                    summary
                        .key_request_mismatches
                        .push(format!("{id} request {i}: vector {want}, kernel {got}"));
                }
            }
        }
    }
    Ok(())
}
