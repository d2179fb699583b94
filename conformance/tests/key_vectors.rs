//! The key vectors (`vectors/keys/*.json`) replayed on live sockets, as
//! `tcpmd5-conformance capture-vectors` does: every `TCP_MD5SIG` /
//! `TCP_MD5SIG_EXT` request must succeed or fail with the vector's errno,
//! and every lookup must be answered by the kernel as the vector says (a
//! SYN from the lookup's peer, signed with the expected key, gets a SYN-ACK
//! signed with it; unsigned where none is expected). This checks the
//! vectors, which the library generated, against the kernel instead of the
//! library.
//!
//! Skipped, with the reason printed, where there are no namespaces or no
//! `CONFIG_TCP_MD5SIG`.

#![allow(clippy::print_stderr)]

use std::path::Path;

use libtest_mimic::{Arguments, Failed, Trial};
use tcpmd5_conformance::harness::{privilege, sockopt};
use tcpmd5_conformance::vector_capture::replay_key_vectors;

fn main() -> std::process::ExitCode {
    // Before any thread: rootless mode needs a single-threaded process.
    let unavailable = match privilege::init() {
        Err(e) => Some(format!("no namespaces here: {e}")),
        Ok(_) => match sockopt::md5_supported() {
            Ok(true) => None,
            Ok(false) => Some("kernel without CONFIG_TCP_MD5SIG".to_owned()),
            Err(e) => Some(format!("TCP_MD5SIG probe failed: {e}")),
        },
    };
    let args = Arguments::from_args();
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/keys");
    let trial = Trial::test("key_vectors_replayed_on_live_sockets", move || {
        let replay = replay_key_vectors(&keys).map_err(|e| Failed::from(e.to_string()))?;
        eprintln!("{replay}");
        if replay.requests_checked == 0 || replay.lookups_checked == 0 {
            return Err(Failed::from(format!("nothing replayed: {replay}")));
        }
        if replay.mismatches.is_empty() {
            Ok(())
        } else {
            Err(Failed::from(replay.to_string()))
        }
    });
    let trial = match unavailable {
        Some(why) => {
            eprintln!("SKIP key_vectors_replayed_on_live_sockets: {why}");
            trial.with_ignored_flag(true)
        }
        None => trial,
    };
    libtest_mimic::run(&args, vec![trial]).exit_code()
}
