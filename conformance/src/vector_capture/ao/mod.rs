//! TCP-AO vectors signed by the live kernel: two kernel sockets with AO
//! keys on both ends (client `connect()` to a listener) over a veth between
//! two throwaway namespaces, every segment captured with a packet socket
//! as the other end received it — SYN, SYN-ACK, ACK, data both ways, FIN,
//! and an RST from `close()` with `SO_LINGER` 0 — for every row of the
//! table in `rows.rs` on IPv4 and IPv6. Each becomes an `ao` vector
//! (`vectors/schema.json`) checked by the model as it is written: traffic
//! key from the ISNs of the captured handshake, MAC over the packet.
//!
//! The host kernel may lack `CONFIG_TCP_AO`: [`capture_in_guest`] runs the
//! capture in a kernel booted in qemu (the `vm` plumbing) and reads the
//! result back over a serial port, typed ([`AoCapture`]).

use std::path::Path;

use tcpmd5::Family;
use tcpmd5_report::ExitStatus;
use tcpmd5_vm::guest::{self, GuestArgs, GuestStep};
use tcpmd5_vm::qemu::Echo;

use crate::harness::{privilege, system};

use super::error::{CaptureError, io};

mod ao_vector;
mod connection;
mod pair;
mod rows;
mod signed_segment;

pub use ao_vector::{AoCapture, AoVector, AoVectorFile, Provenance, SegmentKind, TrafficKeyKind};

/// The first server port; each connection takes the next.
const FIRST_PORT: u16 = 43000;

/// Runs every connection here and returns the vectors. Needs root or a
/// user namespace ([`privilege::init`] is called) and `CONFIG_TCP_AO`
/// ([`CaptureError::NoTcpAo`] without it).
pub fn capture_ao() -> Result<AoCapture, CaptureError> {
    privilege::init()?;
    let mut out = AoCapture {
        kernel: system::kernel_release(),
        config_sha256: crate::environment::config_sha256(),
        ..AoCapture::default()
    };
    let mut pair = pair::VethPair::new()?;
    let mut port = FIRST_PORT;
    for row in rows::ROWS {
        for family in Family::ALL {
            port += 1;
            let fam = match family {
                Family::V4 => "v4",
                Family::V6 => "v6",
            };
            let scenario = format!("ao-{fam}-{}", row.name);
            let conn = connection::run(&mut pair, row, family, port)?;
            out.connections += 1;
            signed_segment::add_vectors(&mut out, row, &scenario, &conn)?;
        }
    }
    Ok(out)
}

/// Runs [`capture_ao`] in `kernel` (a `vm --kernel` spec) booted in qemu:
/// the guest prints its [`AoCapture`] as JSON on a serial port of its own.
pub fn capture_in_guest(kernel: &str, args: &GuestArgs) -> Result<AoCapture, CaptureError> {
    let kernel = guest::resolve(kernel, None).map_err(CaptureError::Vm)?;
    let step = GuestStep {
        program: None,
        args: vec![
            "capture-ao-vectors".to_owned(),
            "--out".to_owned(),
            "-".to_owned(),
        ],
        to_port: true,
    };
    let run = guest::run(&kernel, args, vec![step], Echo::Stderr).map_err(CaptureError::Vm)?;
    // The guest's capture exits 4 only for a kernel without TCP-AO.
    if run.exit.exit_status(0) == ExitStatus::Skip {
        return Err(CaptureError::NoTcpAo);
    }
    let bytes = run
        .port_outputs
        .first()
        .cloned()
        .flatten()
        .unwrap_or_default();
    let what = format!("{} AO capture", kernel.name);
    tcpmd5_vm::suite_report::from_serial(&bytes, &what).map_err(CaptureError::Vm)
}

/// Writes `capture`'s vectors as the file `path` (pretty JSON and a final
/// newline, as every vector file; fields in the schema's order).
pub fn write_file(capture: &AoCapture, path: &Path) -> Result<(), CaptureError> {
    let mut text = serde_json::to_string_pretty(&capture.file())
        .map_err(|e| io(format!("encode {}", path.display()))(std::io::Error::other(e)))?;
    text.push('\n');
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(format!("mkdir {}", dir.display())))?;
    }
    std::fs::write(path, text).map_err(io(format!("write {}", path.display())))
}
