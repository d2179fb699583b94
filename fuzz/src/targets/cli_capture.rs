//! `cli_capture`: the tool's capture reader, and `verify` and `sign` on every
//! frame it yields. Untrusted captures must never panic.

use tcpmd5::Semantics;
use tcpmd5_cli::assess::{ChecksumMode, assess};
use tcpmd5_cli::capture::{Next, read_frames};
use tcpmd5_cli::keys::{KeyRing, KeySpec, parse_key};
use tcpmd5_cli::segment::{Located, locate};

/// The keys both tool targets look segments up in: wildcards, a port, hex
/// secrets, both families, and an empty secret.
pub(crate) fn ring() -> KeyRing {
    let specs: Vec<KeySpec> = [
        "0.0.0.0/0=fuzz-key",
        "10.0.0.0/8:179=hex:00ff00",
        "::/0=fuzz-key",
        "[2001:db8::/32]:179=hex:0102",
        "10.1.0.0/16=",
    ]
    .iter()
    .filter_map(|k| parse_key(k, "fuzz".into()).ok())
    .collect();
    KeyRing::new(specs)
}

/// Reads `data` as a capture and assesses and signs every TCP frame.
pub fn run(data: &[u8]) {
    let mut keys = ring();
    let _ = read_frames(data, |frame| {
        if let Located::Tcp(seg) = locate(frame.link, frame.data, frame.orig_len) {
            for s in Semantics::ALL {
                for mode in [ChecksumMode::Strict, ChecksumMode::Offload] {
                    let _ = assess(&seg, &mut keys, s, mode);
                }
            }
        }
        let _ = tcpmd5_cli::sign::sign_frame(frame.link, frame.data, frame.orig_len, &mut keys);
        Next::Continue
    });
}

#[cfg(test)]
mod tests {
    // The entry point survives the shapes the fuzzer starts from.
    #[test]
    fn takes_anything() {
        for data in super::super::cli_explain_input::STARTS {
            super::run(data);
        }
    }
}
