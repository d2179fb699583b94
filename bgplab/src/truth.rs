//! The receiving kernels' own verdicts: every `tcp:tcp_hash_*` event of a
//! router's namespace (the segment's addresses, ports and flags, and when
//! it fired), and the namespace's MD5 counters. A frame toward a router
//! is matched to the event of that router with its addresses, ports and
//! flags nearest in time; a frame without one was not dropped by the MD5
//! check.
#![allow(unsafe_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;

use tcpmd5_conformance::harness::trace::TraceEvent;

use crate::spec::Side;

/// The TCP flags a tracepoint prints (`[FSRP.]`), in that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HashFlags {
    /// FIN.
    pub fin: bool,
    /// SYN.
    pub syn: bool,
    /// RST.
    pub rst: bool,
    /// PSH.
    pub psh: bool,
    /// ACK.
    pub ack: bool,
}

impl HashFlags {
    /// From a TCP header's flags byte.
    pub fn from_bits(bits: u8) -> HashFlags {
        HashFlags {
            fin: bits & 0x01 != 0,
            syn: bits & 0x02 != 0,
            rst: bits & 0x04 != 0,
            psh: bits & 0x08 != 0,
            ack: bits & 0x10 != 0,
        }
    }
}

/// One drop by a router's kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelDrop {
    /// The router whose kernel dropped it.
    pub router: Side,
    /// The tracepoint (`tcp_hash_md5_mismatch`, …).
    pub tracepoint: String,
    /// The verdict id the tool uses for it (`drop:TCP_MD5FAILURE`, …).
    pub verdict: &'static str,
    /// The receiving socket's state (`TCP_LISTEN`, …).
    pub state: String,
    /// The segment's source.
    pub src: SocketAddr,
    /// Its destination.
    pub dst: SocketAddr,
    /// Its flags.
    pub flags: HashFlags,
    /// When it fired, in nanoseconds of `CLOCK_REALTIME` (the trace clock
    /// is `mono`, moved by the offset measured when the lab started).
    pub realtime_ns: i128,
}

/// The verdict id of a tracepoint.
pub fn verdict_of(tracepoint: &str) -> Option<&'static str> {
    Some(match tracepoint {
        "tcp_hash_bad_header" => "drop:TCP_AUTH_HDR",
        "tcp_hash_md5_required" => "drop:TCP_MD5NOTFOUND",
        "tcp_hash_md5_unexpected" => "drop:TCP_MD5UNEXPECTED",
        "tcp_hash_md5_mismatch" => "drop:TCP_MD5FAILURE",
        "tcp_hash_ao_required" => "drop:TCP_AONOTFOUND",
        _ => return None,
    })
}

/// Parses one event line (`… 123.456789: tcp_hash_md5_mismatch: net=…
/// state=… family=… src=A:P dest=B:Q L3index=0 [FSRP.]`).
pub fn parse_event(router: Side, ev: &TraceEvent, offset_ns: i128) -> Option<KernelDrop> {
    let line = &ev.line;
    let (head, body) = line.split_once(&format!(" {}: ", ev.name))?;
    let stamp = head.split_whitespace().last()?.trim_end_matches(':');
    let (secs, frac) = stamp.split_once('.')?;
    let frac_ns: i128 = format!("{frac:0<9}").get(..9)?.parse().ok()?;
    // Trace text is untrusted: an absurd stamp is no event, not an overflow.
    let mono_ns = secs
        .parse::<i128>()
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(frac_ns)?;
    let field = |name: &str| {
        body.split_whitespace()
            .find_map(|w| w.strip_prefix(name).map(str::to_owned))
    };
    let flags = body.rsplit_once('[')?.1.trim_end_matches(']');
    let mut chars = flags.chars();
    let mut on = |c: char| chars.next() == Some(c);
    let flags = HashFlags {
        fin: on('F'),
        syn: on('S'),
        rst: on('R'),
        psh: on('P'),
        ack: on('.'),
    };
    Some(KernelDrop {
        router,
        tracepoint: ev.name.clone(),
        verdict: verdict_of(&ev.name)?,
        state: field("state=")?,
        src: field("src=")?.parse().ok()?,
        dst: field("dest=")?.parse().ok()?,
        flags,
        realtime_ns: mono_ns.checked_add(offset_ns)?,
    })
}

/// `CLOCK_REALTIME - CLOCK_MONOTONIC`, in nanoseconds.
pub fn realtime_offset_ns() -> i128 {
    let read = |clock| {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: ts is a live timespec; clock_gettime only writes it.
        unsafe { libc::clock_gettime(clock, &raw mut ts) };
        i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec)
    };
    let m0 = read(libc::CLOCK_MONOTONIC);
    let r = read(libc::CLOCK_REALTIME);
    let m1 = read(libc::CLOCK_MONOTONIC);
    r - (m0 + m1) / 2
}

/// What both kernels did during a lab run.
#[derive(Debug, Clone, Default)]
pub struct Truth {
    /// Every drop, in the order each kernel reported it.
    pub drops: Vec<KernelDrop>,
    /// Per router, how much each MD5 counter (and `Tcp:InCsumErrors`) moved.
    pub counters: BTreeMap<Side, BTreeMap<String, i64>>,
    /// Events that did not parse (kept to be reported, never dropped).
    pub unparsed: Vec<String>,
}

/// The frames' matching window: a drop fires within microseconds of the
/// frame's capture on the link; 200 ms leaves room for a loaded machine
/// (retransmissions of one segment are a second apart).
const WINDOW_NS: i128 = 200_000_000;

impl Truth {
    /// The kernel's drop of a segment from `src` to `dst` with `flags`,
    /// captured at `realtime_ns`, received by `router`: the nearest unused
    /// event within the window (marked used in `used`).
    pub fn drop_of(
        &self,
        used: &mut [bool],
        router: Side,
        src: SocketAddr,
        dst: SocketAddr,
        flags: HashFlags,
        realtime_ns: i128,
    ) -> Option<&KernelDrop> {
        let best = self
            .drops
            .iter()
            .enumerate()
            .filter(|(i, d)| {
                !used.get(*i).copied().unwrap_or(true)
                    && d.router == router
                    && d.src == src
                    && d.dst == dst
                    && d.flags == flags
                    && (d.realtime_ns - realtime_ns).abs() <= WINDOW_NS
            })
            .min_by_key(|(_, d)| (d.realtime_ns - realtime_ns).abs())
            .map(|(i, _)| i)?;
        if let Some(u) = used.get_mut(best) {
            *u = true;
        }
        self.drops.get(best)
    }

    /// How many drops each router's counters say there were, by verdict.
    pub fn counted(&self, router: Side) -> BTreeMap<&'static str, i64> {
        let mut out = BTreeMap::new();
        if let Some(c) = self.counters.get(&router) {
            for (name, verdict) in [
                ("TCPMD5NotFound", "drop:TCP_MD5NOTFOUND"),
                ("TCPMD5Unexpected", "drop:TCP_MD5UNEXPECTED"),
                ("TCPMD5Failure", "drop:TCP_MD5FAILURE"),
            ] {
                out.insert(verdict, c.get(name).copied().unwrap_or(0));
            }
        }
        out
    }

    /// How many drops each router's tracepoints reported, by verdict.
    pub fn traced(&self, router: Side) -> BTreeMap<&'static str, i64> {
        let mut out: BTreeMap<&'static str, i64> = [
            "drop:TCP_MD5NOTFOUND",
            "drop:TCP_MD5UNEXPECTED",
            "drop:TCP_MD5FAILURE",
        ]
        .into_iter()
        .map(|v| (v, 0))
        .collect();
        for d in self.drops.iter().filter(|d| d.router == router) {
            *out.entry(d.verdict).or_default() += 1;
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_v6_event() {
        let ev = TraceEvent {
            name: "tcp_hash_md5_unexpected".into(),
            net_cookie: 7,
            line: "<idle>-0 [001] ..s2. 1234.000567: tcp_hash_md5_unexpected: net=7 state=TCP_LISTEN family=AF_INET6 src=[fd79:6::1]:40000 dest=[fd79:6::2]:179 L3index=0 [ S  .]".into(),
        };
        let d = parse_event(Side::B, &ev, 10).unwrap();
        assert_eq!(d.verdict, "drop:TCP_MD5UNEXPECTED");
        assert_eq!(d.src, "[fd79:6::1]:40000".parse().unwrap());
        assert!(d.flags.syn && d.flags.ack && !d.flags.fin);
        assert_eq!(d.realtime_ns, 1_234_000_567_000 + 10);
        assert_eq!(d.state, "TCP_LISTEN");
    }

    /// A stamp whose nanoseconds overflow is no event, never a panic.
    #[test]
    fn an_absurd_stamp_is_no_event() {
        let line = |stamp: &str| TraceEvent {
            name: "tcp_hash_md5_mismatch".into(),
            net_cookie: 7,
            line: format!(
                "x-1 [000] ..s1. {stamp}: tcp_hash_md5_mismatch: net=7 state=TCP_LISTEN family=AF_INET src=10.0.0.2:1 dest=10.0.0.1:179 L3index=0 [ S   ]"
            ),
        };
        let huge = format!("{}.5", i128::MAX / 10);
        assert_eq!(parse_event(Side::A, &line(&huge), 0), None);
        assert!(parse_event(Side::A, &line("12.5"), i128::MAX).is_none());
        assert!(parse_event(Side::A, &line("12.5"), 0).is_some());
    }
}
