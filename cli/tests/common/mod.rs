//! What the tool's end-to-end tests share: packets, captures, the binary.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tcpmd5::wire::{TcpFlags, TcpRepr, ip_packet};
use tcpmd5::{AddrPair, Key};
use tcpmd5_cli::capture::PcapWriter;
use tcpmd5_cli::link::LinkType;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_tcpmd5");
pub(crate) const SECRET: &str = "S3cr3t-Zebra-Pass";

pub(crate) fn v4() -> AddrPair {
    AddrPair::V4 {
        src: Ipv4Addr::new(192, 0, 2, 2),
        dst: Ipv4Addr::new(192, 0, 2, 1),
    }
}

pub(crate) fn v6() -> AddrPair {
    AddrPair::V6 {
        src: "2001:db8::2".parse::<Ipv6Addr>().unwrap(),
        dst: "2001:db8::1".parse::<Ipv6Addr>().unwrap(),
    }
}

/// An unsigned segment from `addrs.src()` port 40000 to port 179.
pub(crate) fn packet(addrs: &AddrPair, options: &[u8], payload: &[u8]) -> Vec<u8> {
    let repr = TcpRepr {
        src_port: 40000,
        dst_port: 179,
        seq: 1000,
        ack: 2000,
        flags: TcpFlags::ACK | TcpFlags::PSH,
        window: 512,
        urgent: 0,
        options,
        payload,
    };
    ip_packet(addrs, &repr.to_vec(addrs).unwrap()).unwrap()
}

pub(crate) fn signed(addrs: &AddrPair, secret: &[u8]) -> Vec<u8> {
    tcpmd5::sign::sign_packet_to_vec(&packet(addrs, &[], b"BGP OPEN"), &Key::new(secret).unwrap())
        .unwrap()
}

/// Inserts an 8-byte Hop-by-Hop header into an IPv6 packet.
pub(crate) fn with_hop_by_hop(p: &[u8]) -> Vec<u8> {
    let mut out = p[..40].to_vec();
    out[6] = 0;
    let plen = u16::from_be_bytes([out[4], out[5]]) + 8;
    out[4..6].copy_from_slice(&plen.to_be_bytes());
    out.extend([6, 0, 1, 4, 0, 0, 0, 0]);
    out.extend(&p[40..]);
    out
}

pub(crate) fn link_header(link: LinkType, ip: &[u8]) -> Vec<u8> {
    let v6 = ip[0] >> 4 == 6;
    let ethertype: [u8; 2] = if v6 { [0x86, 0xdd] } else { [0x08, 0x00] };
    match link {
        LinkType::Ethernet => {
            let mut h = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
            h.extend(ethertype);
            h
        }
        LinkType::LinuxSll => {
            let mut h = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 2, 0, 0];
            h.extend(ethertype);
            h
        }
        LinkType::LinuxSll2 => {
            let mut h = ethertype.to_vec();
            h.extend([0, 0, 0, 0, 0, 2, 0, 1, 0, 0, 6, 2, 0, 0, 0, 0, 2, 0]);
            h
        }
        LinkType::Null => (if v6 { 30u32 } else { 2 }).to_le_bytes().to_vec(),
        LinkType::Loop => (if v6 { 24u32 } else { 2 }).to_be_bytes().to_vec(),
        LinkType::Raw | LinkType::Ipv4 | LinkType::Ipv6 => Vec::new(),
    }
}

pub(crate) fn vlan(tags: &[u16], ip: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
    for (i, tpid) in tags.iter().enumerate() {
        f.extend(tpid.to_be_bytes());
        f.extend((i as u16 + 10).to_be_bytes());
    }
    f.extend(if ip[0] >> 4 == 6 {
        [0x86, 0xdd]
    } else {
        [0x08, 0x00]
    });
    f.extend(ip);
    f
}

pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("tcpmd5-cli-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub(crate) fn path(&self, f: &str) -> PathBuf {
        self.0.join(f)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes a pcap of `frames` (data, length on the wire).
/// A frame captured whole: its original length is its length.
pub(crate) fn whole(frame: Vec<u8>) -> (Vec<u8>, u32) {
    let n = frame.len() as u32;
    (frame, n)
}

pub(crate) fn write_pcap(path: &Path, link: LinkType, frames: &[(Vec<u8>, u32)]) {
    let mut w = PcapWriter::new(Vec::new(), link).unwrap();
    for (i, (f, orig)) in frames.iter().enumerate() {
        w.write(f, *orig, (1_700_000_000, i as u32)).unwrap();
    }
    std::fs::write(path, w.finish().unwrap()).unwrap();
}

pub(crate) fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

pub(crate) fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

pub(crate) fn key_args() -> Vec<String> {
    vec![
        "--key".into(),
        format!("192.0.2.0/24={SECRET}"),
        "--key".into(),
        format!(
            "[2001:db8::/64]:179=hex:{}",
            tcpmd5_cli::hex::encode(SECRET.as_bytes())
        ),
    ]
}

pub(crate) fn verify(path: &Path, extra: &[&str]) -> (Vec<Value>, Output) {
    let mut args = vec![
        "verify".to_owned(),
        path.display().to_string(),
        "--format".into(),
        "json".into(),
    ];
    args.extend(key_args());
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let out = Command::new(BIN).args(&args).output().unwrap();
    // Frame records and the summary (sessions have their own test).
    let records = json_lines(&out)
        .into_iter()
        .filter(|r| r.get("session").is_none())
        .collect();
    (records, out)
}
