//! `cli_explain_input`: `explain`'s input. The first byte picks hex text, a
//! key argument, or raw packet bytes; whatever parses is explained and
//! rendered. Untrusted input must never panic.

use tcpmd5::Semantics;
use tcpmd5_cli::args::ReceiverState;
use tcpmd5_cli::assess::ChecksumMode;
use tcpmd5_cli::explain::{Request, explain, guess_link, render_human};
use tcpmd5_cli::keys::parse_key;
use tcpmd5_cli::segment::{Located, locate};

use super::cli_capture::ring;

/// Explains whatever `data` decodes to, in three receiver states.
pub fn run(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes = match mode % 3 {
        0 => match tcpmd5_cli::hex::decode(&String::from_utf8_lossy(rest)) {
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
            let _ = render_human(&e, &mut std::io::sink());
        }
    }
}

/// The shapes the fuzzers start from (empty, a pcap and a pcapng magic, a
/// link byte): the tests run both tool targets over them.
#[cfg(test)]
pub(super) const STARTS: [&[u8]; 5] = [
    b"",
    b"\x00",
    b"\xd4\xc3\xb2\xa1",
    b"\x0a\x0d\x0d\x0a\xff\xff",
    b"\x02\x45\x00",
];

#[cfg(test)]
mod tests {
    // The entry point survives the shapes the fuzzer starts from, and a
    // whole IPv4 SYN in hex.
    #[test]
    fn takes_anything() {
        for data in super::STARTS {
            super::run(data);
        }
        super::run(b"\x00450000280000400040060000c0000202c000020100b3");
    }
}
