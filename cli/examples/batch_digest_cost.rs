//! What the MD5 work alone costs per segment of a capture: the library's
//! batch digest ([`Batch::digests`]) of every TCP segment in the file, in
//! chunks as `tcpmd5 verify` makes them, best of several rounds; and the
//! batch verdict ([`Batch::verdicts_at_sockets`]: parse, key lookup, digest,
//! compare). `ci/bench/cli.sh` sets these beside `verify`'s cost per
//! segment on the same file.
//!
//! ```sh
//! cargo run --release -p tcpmd5-cli --example batch_digest_cost -- FILE SCOPE=SECRET [ROUNDS]
//! ```
//!
//! Prints `key value` lines: `segments`, `hashed_bytes_per_segment`,
//! `digest_ns_per_segment`, `verdict_ns_per_segment`, `kernel`.

use std::error::Error;
use std::fs::File;
use std::hint::black_box;
use std::time::Instant;

use tcpmd5::batch::{Batch, KeyedSegment, PacketAtSocket};
use tcpmd5::wire::IpSegment;
use tcpmd5::{Checksums, Family, KeyTable, Md5SigRequest, Semantics};
use tcpmd5_cli::capture::{Next, read_frames};
use tcpmd5_cli::keys::parse_key;
use tcpmd5_cli::segment::{Located, locate};

/// Segments per batch call, as `verify` chunks frames.
const CHUNK: usize = 256;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, key, rest @ ..] = args.as_slice() else {
        return Err("usage: batch_digest_cost FILE SCOPE=SECRET [ROUNDS]".into());
    };
    let rounds: usize = rest.first().map_or(Ok(7), |r| r.parse())?;
    let spec = parse_key(key, "--key #1".to_owned())?;
    let key = spec.key().ok_or("give a key, not SCOPE= (no key)")?;
    let mut table = KeyTable::new();
    table.apply(
        Family::of(&spec.scope.addr),
        &Md5SigRequest::add(spec.scope.addr, key).with_prefix(spec.scope.prefixlen),
        &[] as &[(i32, bool)],
    )?;

    let mut packets: Vec<Vec<u8>> = Vec::new();
    read_frames(File::open(file)?, |frame| {
        if let Located::Tcp(seg) = locate(frame.link, frame.data, frame.orig_len) {
            packets.push(seg.packet.to_vec());
        }
        Next::Continue
    })?;
    let located: Vec<IpSegment<'_>> = packets
        .iter()
        .filter_map(|p| IpSegment::parse(p).ok())
        .collect();
    let keyed: Vec<KeyedSegment<'_>> = located
        .iter()
        .map(|l| KeyedSegment {
            addrs: l.addrs,
            segment: l.segment,
            key,
        })
        .collect();
    let at_sockets: Vec<PacketAtSocket<'_>> = packets
        .iter()
        .map(|packet| PacketAtSocket {
            packet,
            table: &table,
            l3index: 0,
        })
        .collect();
    let n = keyed.len().max(1) as f64;
    let batch = Batch::new(Semantics::Linux { tcp_ao: false });

    let best = |work: &dyn Fn()| {
        (0..rounds)
            .map(|_| {
                let t = Instant::now();
                work();
                t.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    };
    let digest = best(&|| {
        for chunk in keyed.chunks(CHUNK) {
            black_box(batch.digests(black_box(chunk)));
        }
    });
    let verdict = best(&|| {
        for chunk in at_sockets.chunks(CHUNK) {
            black_box(batch.verdicts_at_sockets(black_box(chunk), Checksums::Skip));
        }
    });
    // Pseudo-header, TCP header without options, payload, key.
    let hashed: usize = located
        .iter()
        .map(|l| {
            let pseudo = if l.addrs.src().is_ipv4() { 12 } else { 40 };
            let options = l.tcp().options().len();
            pseudo + l.segment.len() - options + key.len()
        })
        .sum();
    println!("segments {}", keyed.len());
    println!("hashed_bytes_per_segment {:.0}", hashed as f64 / n);
    println!("digest_ns_per_segment {:.1}", digest * 1e9 / n);
    println!("verdict_ns_per_segment {:.1}", verdict * 1e9 / n);
    println!("kernel {}", batch.kernel());
    Ok(())
}
