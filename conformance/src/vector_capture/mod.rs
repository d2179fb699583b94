//! Captures RFC 2385 test vectors from the live kernel: segments the kernel
//! signs itself (SYN, SYN-ACK, handshake ACK, data, FIN, the ACK entering
//! TIME-WAIT, the TIME-WAIT socket's ACK, RST), on IPv4 and IPv6, under keys
//! of 1, 16, 79 and 80 bytes and binary keys with NUL bytes.
//!
//! The peer end of the lab is a [`crate::peer::Peer`]: it completes each
//! handshake with segments signed by the reference library, orders every
//! segment it sends with the barrier, and verifies every kernel segment it
//! sees (a failure is reported as a disagreement). Every captured packet becomes a digest vector
//! (`vectors/digest/kernel-<uname -r>.json`, schema `vectors/schema.json`)
//! with provenance `{"kind": "kernel", "kernel": "<uname -r>"}`; its expected
//! digest and verdicts come from the library, and a kernel segment that the
//! library does not verify is reported in [`CaptureSummary::disagreements`]
//! (and still written, with the library's verdict).
//!
//! Big payloads (beyond one 1500-byte MTU segment) are covered by crafted
//! vectors: the harness has no MTU setter.

use std::path::Path;

use serde_json::{Value, json};
use tcpmd5::Family;
use tcpmd5_testkit::record::{self};
use tcpmd5_testkit::vector_keys::vector_keys;

use crate::exchange::Barrier;
use crate::harness::sockopt;
use crate::harness::{Lab, privilege, system};

pub mod ao;
mod error;
mod key_check;
mod scenarios;
mod sink;
mod summary;
mod wire;

pub use error::CaptureError;
use error::io;
pub use key_check::{KeyReplay, replay_key_vectors};
use scenarios::{client, server};
use sink::{Sink, id_safe};
pub use summary::CaptureSummary;

/// Runs every scenario in a fresh lab and writes
/// `out_dir/digest/kernel-<uname -r>.json` (`out_dir` is the `vectors/`
/// directory). Needs root or a user namespace ([`privilege::init`] is
/// called; call it first thing in `main`, while single-threaded).
pub fn capture(out_dir: &Path) -> Result<CaptureSummary, CaptureError> {
    privilege::init()?;
    if !sockopt::md5_supported().unwrap_or(false) {
        return Err(CaptureError::NoMd5);
    }
    let kernel = system::kernel_release();
    let mut sink = Sink {
        kernel: kernel.clone(),
        vectors: Vec::new(),
        summary: CaptureSummary {
            kernel: kernel.clone(),
            ..CaptureSummary::default()
        },
    };
    let mut lab = Lab::new()?;
    let mut barrier = Barrier::open(&lab).map_err(io("barrier listeners"))?;
    let mut port = 41000u16;
    for family in Family::ALL {
        for key in vector_keys() {
            port += 1;
            client(&mut lab, &mut barrier, &mut sink, family, &key, port)?;
            port += 1;
            server(
                &mut lab,
                &mut barrier,
                &mut sink,
                family,
                &key,
                port,
                port + 10000,
            )?;
        }
    }
    sink.summary.keys = key_check::replay(&mut lab, &mut barrier, &out_dir.join("keys"))?;
    drop(barrier);
    drop(lab);
    let file = out_dir
        .join("digest")
        .join(format!("kernel-{}.json", id_safe(&kernel)));
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(io(format!("mkdir {}", dir.display())))?;
    }
    let doc = json!({
        "group": "digest",
        "description": format!("Segments signed by the live Linux kernel {kernel}, captured by conformance/src/vector_capture.rs (kernel as client and as server, IPv4 and IPv6)."),
        "vectors": sink.vectors,
    });
    std::fs::write(&file, record::render(&doc)).map_err(io(format!("write {}", file.display())))?;
    let mut summary = sink.summary;
    summary.vectors = doc
        .get("vectors")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    summary.file = file;
    Ok(summary)
}
