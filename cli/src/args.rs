//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::assess::ChecksumMode;

/// Explain, verify and sign TCP MD5 (RFC 2385) segments the way the Linux
/// receive path decides: why won't my BGP session come up?
#[derive(Debug, Parser)]
#[command(name = "tcpmd5", version)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Explain the receiver's decision on one segment, step by step, under
    /// every semantics.
    Explain(ExplainArgs),
    /// Verify every TCP segment of a pcap or pcapng capture.
    Verify(VerifyArgs),
    /// Re-sign the segments of a capture (or one hex packet) with the given
    /// keys, fixing checksums; writes a pcap.
    Sign(SignArgs),
    /// List the TCP sockets holding MD5 keys (live, needs CAP_NET_ADMIN):
    /// each key's scope, length and a salted fingerprint, never the key.
    Sockets(SocketsArgs),
    /// Print each segment the kernel drops for its MD5/AO options as it
    /// happens (tcp_hash_* tracepoints), then per-peer totals.
    Watch(WatchArgs),
}

/// Receiver keys (every subcommand).
#[derive(Clone, Args)]
pub struct KeyArgs {
    /// A key: SCOPE=SECRET, where SCOPE is an address or prefix with an
    /// optional port (10.0.0.0/24, 10.0.0.1:179, [2001:db8::1]:179) and
    /// SECRET is text or hex:0011… (1 to 80 bytes, NUL allowed); an
    /// empty SECRET means no key for the scope. Both ends hold a key given
    /// this way. Repeatable; later keys are newer.
    #[arg(long = "key", value_name = "SCOPE=SECRET")]
    pub keys: Vec<String>,
    /// A file of keys, one SCOPE=SECRET per line, `#` comment lines; a
    /// line `host [NAME] ADDR…` starts a host's own table (its addresses,
    /// then its SCOPE=SECRET lines; SCOPE= for no key).
    #[arg(long = "keys", value_name = "FILE")]
    pub key_files: Vec<PathBuf>,
    /// A router's BGP configuration (BIRD 2 or FRR, detected): its
    /// neighbors' passwords are its key table. Repeatable.
    #[arg(long = "router", value_name = "FILE")]
    pub routers: Vec<PathBuf>,
    /// A TCP-AO key: the MKT the receiver of segments from SCOPE holds
    /// (KEYID: the KeyID they carry; RNEXT: the receiver's own SendID;
    /// ALG: hmac-sha1 or aes-cmac, optionally followed by ,maclen=N (the
    /// MAC length, default 12) and ,exclude-options (only the AO option is
    /// covered); SECRET: text or hex:…). Repeatable; a key file takes the
    /// same as `ao SCOPE=KEYID:RNEXT:ALG:SECRET` lines.
    #[arg(long = "ao-key", value_name = "SCOPE=KEYID:RNEXT:ALG:SECRET")]
    pub ao_keys: Vec<String>,
}

/// `--key` arguments hold secrets: counted, never shown.
impl std::fmt::Debug for KeyArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyArgs")
            .field("keys", &format_args!("<{} given>", self.keys.len()))
            .field("key_files", &self.key_files)
            .field("routers", &self.routers)
            .field("ao_keys", &format_args!("<{} given>", self.ao_keys.len()))
            .finish()
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Human,
    /// JSON (explain: one object; verify: JSON lines).
    Json,
}

/// The receiving socket's state (explain).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReceiverState {
    /// A listener or an established (full) socket: checked.
    Listener,
    /// An established connection: checked.
    Established,
    /// A request socket (SYN-RECV): checked, and a TCP-AO option it did
    /// not negotiate is dropped.
    SynRecv,
    /// TIME-WAIT (or an orphaned FIN-WAIT-2): Linux checks nothing (under
    /// `--semantics rfc2385`, every segment is checked).
    TimeWait,
}

/// `tcpmd5 explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The packet: an IPv4/IPv6 packet or an Ethernet frame, in hex.
    #[arg(
        value_name = "HEX",
        required_unless_present = "capture",
        conflicts_with = "capture"
    )]
    pub hex: Option<String>,
    /// Take the segment from this capture…
    #[arg(long, value_name = "FILE", requires = "frame")]
    pub capture: Option<PathBuf>,
    /// …frame number N (from 1, as tcpdump and Wireshark count).
    #[arg(long, value_name = "N", requires = "capture")]
    pub frame: Option<u64>,
    /// The receiver's keys.
    #[command(flatten)]
    pub keys: KeyArgs,
    /// The receiving socket's state.
    #[arg(long, value_enum, default_value = "listener")]
    pub state: ReceiverState,
    /// Checksums: offload (a right one or the partial sum TX offload
    /// leaves passes, any other is a drop), strict (the receiver of
    /// exactly these bytes), or note (every mismatch passes).
    #[arg(long, value_enum, default_value = "offload")]
    pub checksum: ChecksumMode,
    /// The semantics of the decision line (what `verify` decides).
    #[arg(long, default_value = "linux", value_parser = parse_semantics)]
    pub semantics: tcpmd5::Semantics,
    /// The ISNs of the segment's connection, sender's first
    /// (`SRC_ISN:DST_ISN`, decimal or 0x-hex; printed in hex): the TCP-AO traffic key of any
    /// segment but a SYN or SYN-ACK needs them. With --capture they are
    /// read from the connection's SYN and SYN-ACK before the frame.
    #[arg(long, value_name = "SRC_ISN:DST_ISN", value_parser = parse_isns)]
    pub isns: Option<(u32, u32)>,
    /// The TCP-AO sequence number extension of the segment (RFC 5925
    /// §6.2: how often its sender's sequence number wrapped). With
    /// --capture it is tracked up to the frame; else SNE 0 is assumed, and
    /// a MAC that fails only under that assumption is left unchecked.
    #[arg(long, value_name = "N")]
    pub sne: Option<u32>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// `tcpmd5 verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The capture (pcap or pcapng).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The keys.
    #[command(flatten)]
    pub keys: KeyArgs,
    /// The receiver's semantics: rfc2385, linux-legacy, linux, linux-ao, or
    /// the proposed linux-ao-bypass-fixed.
    #[arg(long, default_value = "linux", value_parser = parse_semantics)]
    pub semantics: tcpmd5::Semantics,
    /// Checksums: offload (a right one or the partial sum TX offload
    /// leaves passes, any other is a drop), strict (the receiver of
    /// exactly these bytes), or note (every mismatch passes).
    #[arg(long, value_enum, default_value = "offload")]
    pub checksum: ChecksumMode,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Print a line per segment too (human format; JSON always has them).
    #[arg(long, short = 'v', visible_alias = "verbose")]
    pub frames: bool,
    /// With --frames, only the failing and unchecked segments.
    #[arg(long)]
    pub quiet: bool,
    /// Threads verifying segments (default: one per CPU; 1 verifies on the
    /// reading thread). The output is in capture order either way.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub jobs: Option<u16>,
}

/// `tcpmd5 sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The capture to re-sign (pcap or pcapng).
    #[arg(
        value_name = "FILE",
        required_unless_present = "hex",
        conflicts_with = "hex"
    )]
    pub file: Option<PathBuf>,
    /// One packet (IPv4/IPv6 or Ethernet) in hex instead of a capture.
    #[arg(long, value_name = "HEX")]
    pub hex: Option<String>,
    /// Write the pcap here (`-` for stdout). Required for a capture; for a
    /// hex packet the signed packet is printed in hex unless given.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The keys.
    #[command(flatten)]
    pub keys: KeyArgs,
}

/// Parses a semantics id.
pub fn parse_semantics(id: &str) -> Result<tcpmd5::Semantics, String> {
    tcpmd5::Semantics::from_id(id).ok_or_else(|| {
        format!(
            "unknown semantics {id:?} (one of {})",
            tcpmd5::Semantics::known()
                .map(tcpmd5::Semantics::id)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// `tcpmd5 sockets`.
#[derive(Debug, Args)]
pub struct SocketsArgs {
    /// Look into this network namespace (a name under /run/netns, as
    /// `ip netns` gives them) instead of the current one.
    #[arg(long, value_name = "NAME")]
    pub netns: Option<String>,
    /// Keys to compare each socket's key with (by scope, in constant time).
    #[command(flatten)]
    pub keys: KeyArgs,
    /// Output format (json: one object).
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// `tcpmd5 watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Watch this network namespace (a name under /run/netns).
    #[arg(long, value_name = "NAME")]
    pub netns: Option<String>,
    /// Stop after S seconds (default: at Ctrl-C).
    #[arg(long, value_name = "S", value_parser = positive_seconds)]
    pub duration: Option<f64>,
    /// Print the totals every S seconds too, not only at the end.
    #[arg(long, value_name = "S", value_parser = positive_seconds)]
    pub interval: Option<f64>,
    /// Only drops from these peers: an address or prefix, optionally with
    /// a port (10.0.0.2, 10.0.0.0/24, [2001:db8::1]:179).
    #[arg(long, value_name = "SCOPE")]
    pub peer: Option<String>,
    /// Output format (json: one record per line).
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// Parses a positive number of seconds.
fn positive_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s.is_finite() && s < 1e9 => Ok(s),
        _ => Err(format!("{text:?} is not a positive number of seconds")),
    }
}

/// `SRC_ISN:DST_ISN`, each decimal or `0x` hex.
fn parse_isns(text: &str) -> Result<(u32, u32), String> {
    let num = |t: &str| {
        match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            Some(h) => u32::from_str_radix(h, 16),
            None => t.parse::<u32>(),
        }
        .map_err(|_| format!("{t:?} is not a 32-bit number (decimal or 0x-hex)"))
    };
    let (a, b) = text
        .split_once(':')
        .ok_or_else(|| "expected SRC_ISN:DST_ISN".to_owned())?;
    Ok((num(a)?, num(b)?))
}
