//! Per-packet cost of the RFC 2385 digest, the receive path and signing,
//! side by side with raw MD5 over the same bytes (md-5 crate, and OpenSSL's
//! legacy `MD5_Init/Update/Final` with `--features openssl`).
//!
//! Benchmark ids are `<run>.<op>.<family>.k<keylen>.p<payload>` / `<impl>`,
//! where `<run>` is `soft` or `asm` (`--features asm`: md-5's assembly
//! compression function), so both runs can live in one `target/criterion`.
//! `ci/bench/digest.sh` runs both and turns the estimates into one table.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs,
    unsafe_code
)]

mod support;

use std::hint::black_box;
use std::net::{Ipv4Addr, Ipv6Addr};

use criterion::{Criterion, Throughput, criterion_group};
use md5::{Digest as _, Md5};
use tcpmd5::sign::{sign_packet_into, sign_segment_in_place};
use tcpmd5::wire::TcpFlags;
use tcpmd5::{AddrPair, Family, Key, KeyTable, Md5SigRequest, Semantics, packet_verdict};
use tcpmd5_testkit::{TcpSegmentSpec, options};

const PAYLOADS: [usize; 6] = [0, 64, 536, 1460, 9000, 65495];
const KEY_LENS: [usize; 2] = [16, 80];
const RUN: &str = if cfg!(feature = "asm") { "asm" } else { "soft" };
/// TCP header with the Linux-layout MD5 option.
const SIGNED_HEADER_LEN: usize = 40;

#[cfg(feature = "openssl")]
mod openssl {
    use core::ffi::{c_int, c_void};

    /// `MD5_CTX` is 92 bytes in OpenSSL 1.x and 3.x; keep slack.
    #[repr(C, align(8))]
    struct Md5Ctx([u8; 128]);

    #[link(name = "crypto")]
    unsafe extern "C" {
        fn MD5_Init(c: *mut Md5Ctx) -> c_int;
        fn MD5_Update(c: *mut Md5Ctx, data: *const c_void, len: usize) -> c_int;
        fn MD5_Final(md: *mut u8, c: *mut Md5Ctx) -> c_int;
    }

    /// MD5 of `data` with the deprecated-but-present low-level API: no
    /// provider fetch, just OpenSSL's assembly block function.
    pub fn md5(data: &[u8]) -> [u8; 16] {
        let mut ctx = Md5Ctx([0; 128]);
        let mut out = [0u8; 16];
        // SAFETY: ctx is larger than MD5_CTX and aligned; data and out are
        // valid for the lengths given.
        unsafe {
            MD5_Init(&mut ctx);
            MD5_Update(&mut ctx, data.as_ptr().cast(), data.len());
            MD5_Final(out.as_mut_ptr(), &mut ctx);
        }
        out
    }
}

fn addrs(family: Family) -> AddrPair {
    match family {
        Family::V4 => AddrPair::V4 {
            src: Ipv4Addr::new(192, 0, 2, 1),
            dst: Ipv4Addr::new(192, 0, 2, 2),
        },
        Family::V6 => AddrPair::V6 {
            src: Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
            dst: Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2),
        },
    }
}

fn family_name(family: Family) -> &'static str {
    match family {
        Family::V4 => "v4",
        Family::V6 => "v6",
    }
}

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

fn key(len: usize) -> Key {
    let bytes: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
    Key::new(&bytes).unwrap()
}

/// A PSH ACK from port 179 carrying `payload_len` bytes after `options`.
fn spec(addrs: &AddrPair, options: Vec<u8>, payload_len: usize) -> TcpSegmentSpec {
    TcpSegmentSpec {
        seq: 0x0102_0304,
        ack: 0x0a0b_0c0d,
        window: 502,
        options,
        payload: payload(payload_len),
        ..TcpSegmentSpec::new(*addrs, (179, 40000), TcpFlags::PSH | TcpFlags::ACK)
    }
}

/// A signed segment, and the digest input laid out contiguously
/// (pseudo-header, fixed header with zero checksum, payload, key).
fn signed_segment(addrs: &AddrPair, payload_len: usize, key: &Key) -> (Vec<u8>, Vec<u8>) {
    let mut segment = spec(addrs, options::linux_md5_placeholder(), payload_len)
        .to_bytes()
        .unwrap();
    sign_segment_in_place(addrs, &mut segment, key).unwrap();
    let mut flat = Vec::new();
    match addrs {
        AddrPair::V4 { src, dst } => {
            flat.extend(src.octets());
            flat.extend(dst.octets());
            flat.extend([0, 6]);
            flat.extend((segment.len() as u16).to_be_bytes());
        }
        AddrPair::V6 { src, dst } => {
            flat.extend(src.octets());
            flat.extend(dst.octets());
            flat.extend((segment.len() as u32).to_be_bytes());
            flat.extend([0, 0, 0, 6]);
        }
    }
    flat.extend(&segment[..16]);
    flat.extend([0, 0]);
    flat.extend(&segment[18..20]);
    flat.extend(&segment[SIGNED_HEADER_LEN..]);
    flat.extend(key.as_bytes());
    (segment, flat)
}

/// An unsigned IP packet carrying `payload_len` bytes.
fn unsigned_packet(addrs: &AddrPair, payload_len: usize) -> Vec<u8> {
    spec(addrs, Vec::new(), payload_len).to_packet().unwrap()
}

/// The largest payload a signed packet of this family can carry: IPv4's
/// 16-bit total length includes the IP header, IPv6's payload length not.
fn max_packet_payload(family: Family) -> usize {
    match family {
        Family::V4 => 65535 - 20 - SIGNED_HEADER_LEN,
        Family::V6 => 65535 - SIGNED_HEADER_LEN,
    }
}

fn bench_digest(c: &mut Criterion) {
    for family in [Family::V4, Family::V6] {
        let addrs = addrs(family);
        for key_len in KEY_LENS {
            let key = key(key_len);
            for payload_len in PAYLOADS {
                let (segment, flat) = signed_segment(&addrs, payload_len, &key);
                let ours = tcpmd5::segment_digest(&addrs, &segment, &key).unwrap();
                assert_eq!(ours, <[u8; 16]>::from(Md5::digest(&flat)));
                #[cfg(feature = "openssl")]
                assert_eq!(ours, openssl::md5(&flat));
                let name = format!(
                    "{RUN}.digest.{}.k{key_len}.p{payload_len}",
                    family_name(family)
                );
                let mut g = c.benchmark_group(name);
                g.throughput(Throughput::Bytes(flat.len() as u64));
                g.bench_function("tcpmd5", |b| {
                    b.iter(|| tcpmd5::segment_digest(&addrs, black_box(&segment), &key))
                });
                g.bench_function("md5_raw", |b| b.iter(|| Md5::digest(black_box(&flat))));
                #[cfg(feature = "openssl")]
                g.bench_function("openssl", |b| b.iter(|| openssl::md5(black_box(&flat))));
                g.finish();
            }
        }
    }
}

fn bench_packet(c: &mut Criterion) {
    let semantics = Semantics::Linux { tcp_ao: false };
    for family in [Family::V4, Family::V6] {
        let addrs = addrs(family);
        let key_len = 16;
        let key = key(key_len);
        let mut table = KeyTable::new();
        let devices: &[(i32, bool)] = &[];
        table
            .apply(family, &Md5SigRequest::add(addrs.src(), &key), devices)
            .unwrap();
        for requested in PAYLOADS {
            let payload_len = requested.min(max_packet_payload(family));
            let unsigned = unsigned_packet(&addrs, payload_len);
            let mut out = vec![0u8; unsigned.len() + 64];
            let len = sign_packet_into(&unsigned, &key, &mut out).unwrap();
            let signed = out[..len].to_vec();
            let verdict = packet_verdict(&signed, &table, 0, semantics).unwrap();
            assert!(verdict.is_accept(), "{verdict}");
            let name = format!(
                "{RUN}.packet.{}.k{key_len}.p{payload_len}",
                family_name(family)
            );
            let mut g = c.benchmark_group(name);
            // Same byte count as the digest case (pseudo-header + 20 + payload + key).
            let pseudo = if matches!(family, Family::V4) { 12 } else { 40 };
            g.throughput(Throughput::Bytes(
                (pseudo + 20 + payload_len + key_len) as u64,
            ));
            g.bench_function("packet_verdict", |b| {
                b.iter(|| packet_verdict(black_box(&signed), &table, 0, semantics))
            });
            g.bench_function("sign_packet_into", |b| {
                b.iter(|| sign_packet_into(black_box(&unsigned), &key, &mut out))
            });
            g.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = bench_digest, bench_packet
}
/// `criterion_main!`, except that criterion's output reaches stdout through
/// a pipe: criterion prints with `println!`, which panics on a closed or full
/// stdout (`--list | head -1`, `> /dev/full`) and then aborts in a
/// destructor. A relay thread copies the pipe to the real stdout and, once
/// that fails, only drains it; the program then ends like any failed write
/// (quietly with 141 on a closed pipe, one line and 1 otherwise).
fn main() -> std::process::ExitCode {
    let relay = match stdout_relay::start() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("digest: cannot relay stdout: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    benches();
    Criterion::default().configure_from_args().final_summary();
    match relay.finish() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::ExitCode::from(141),
        Err(e) => {
            eprintln!("digest: write error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[allow(unsafe_code)]
mod stdout_relay {
    use std::fs::File;
    use std::io::{self, Read, Write};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::thread::JoinHandle;

    /// The relay thread; [`Relay::finish`] ends it.
    pub(super) struct Relay(JoinHandle<io::Result<()>>);

    fn dup2(from: &impl AsRawFd, to: i32) -> io::Result<()> {
        // SAFETY: both are open descriptors; dup2 only replaces `to`.
        if unsafe { libc::dup2(from.as_raw_fd(), to) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Points fd 1 at a pipe and starts copying it to the real stdout.
    pub(super) fn start() -> io::Result<Relay> {
        // SAFETY: dup has no preconditions; a non-negative result is a new
        // descriptor that nothing else owns.
        let real = unsafe { libc::dup(1) };
        if real < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `real` was just returned by dup and is owned here only.
        let mut real = File::from(unsafe { OwnedFd::from_raw_fd(real) });
        let (mut reader, writer) = io::pipe()?;
        dup2(&writer, 1)?;
        drop(writer);
        Ok(Relay(std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            let mut failed = None;
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                if failed.is_none()
                    && let Err(e) = real.write_all(buf.get(..n).unwrap_or_default())
                {
                    failed = Some(e);
                }
            }
            failed.map_or(Ok(()), Err)
        })))
    }

    impl Relay {
        /// Closes the pipe (fd 1 becomes /dev/null) and waits for the copy.
        pub(super) fn finish(self) -> io::Result<()> {
            io::stdout().flush()?;
            dup2(&File::options().write(true).open("/dev/null")?, 1)?;
            self.0
                .join()
                .map_err(|_| io::Error::other("the stdout relay panicked"))?
        }
    }
}
