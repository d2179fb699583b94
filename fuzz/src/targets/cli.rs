//! Entry points for the fuzz targets (`fuzz/fuzz_targets/cli_*.rs` are one
//! line each): untrusted captures and explain input must never panic.

use tcpmd5::Semantics;

use crate::args::ReceiverState;
use crate::assess::{ChecksumMode, assess};
use crate::capture::{Next, read_frames};
use crate::explain::{Request, explain, guess_link};
use crate::keys::{KeyRing, KeySpec, parse_key};
use crate::segment::{Located, locate};

fn ring() -> KeyRing {
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

/// The capture reader, and `verify` and `sign` on every frame it yields.
pub fn fuzz_entry_capture(data: &[u8]) {
    let mut keys = ring();
    let _ = read_frames(data, |frame| {
        if let Located::Tcp(seg) = locate(frame.link, frame.data, frame.orig_len) {
            for s in Semantics::ALL {
                for mode in [ChecksumMode::Strict, ChecksumMode::Offload] {
                    let _ = assess(&seg, &mut keys, s, mode);
                }
            }
        }
        let _ = crate::sign::sign_frame(frame.link, frame.data, frame.orig_len, &mut keys);
        Next::Continue
    });
}

/// `explain`'s input: the first byte picks hex text, a key argument, or raw
/// packet bytes; whatever parses is explained and rendered.
pub fn fuzz_entry_explain_input(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes = match mode % 3 {
        0 => match crate::hex::decode(&String::from_utf8_lossy(rest)) {
            Ok(b) => b,
            Err(_) => return,
        },
        1 => {
            let _ = parse_key(&String::from_utf8_lossy(rest), "fuzz".into());
            return;
        }
        _ => rest.to_vec(),
    };
    let Some(link) = guess_link(&bytes) else {
        return;
    };
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    if let Located::Tcp(segment) = locate(link, &bytes, len) {
        let mut keys = ring();
        for (state, checksum) in [
            (ReceiverState::Listener, ChecksumMode::Strict),
            (ReceiverState::SynRecv, ChecksumMode::Note),
            (ReceiverState::TimeWait, ChecksumMode::Strict),
        ] {
            let e = explain(
                &Request {
                    segment,
                    state,
                    checksum,
                    semantics: Semantics::Linux { tcp_ao: false },
                },
                &mut keys,
            );
            let _ = serde_json::to_string(&e);
            let _ = crate::explain::render_human(&e, &mut std::io::sink());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The entry points survive the shapes the fuzzer starts from.
    #[test]
    fn entries_take_anything() {
        for data in [
            &b""[..],
            b"\x00",
            b"\xd4\xc3\xb2\xa1",
            b"\x0a\x0d\x0d\x0a\xff\xff",
            b"\x02\x45\x00",
        ] {
            fuzz_entry_capture(data);
            fuzz_entry_explain_input(data);
        }
        fuzz_entry_explain_input(b"\x00450000280000400040060000c0000202c000020100b3");
    }
}
