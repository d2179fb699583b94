//! The receiving kernels' own verdicts: every `tcp:tcp_hash_*` event of a
//! router's namespace (the segment's addresses, ports and flags, and when
//! it fired), and the namespace's MD5 counters. A frame toward a router
//! is matched to the event of that router with its addresses, ports and
//! flags nearest in time; a frame without one was not dropped by the MD5
//! check.
#![allow(unsafe_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;

use tcpmd5::verdict::DropReason;
use tcpmd5_conformance::harness::trace::TraceEvent;
use tcpmd5_witness::hash_event::HashEventFields;

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
    /// From the flags a tracepoint prints (`S`, `P.`, …; blanks removed).
    pub fn from_printed(flags: &str) -> HashFlags {
        HashFlags {
            fin: flags.contains('F'),
            syn: flags.contains('S'),
            rst: flags.contains('R'),
            psh: flags.contains('P'),
            ack: flags.contains('.'),
        }
    }

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

/// Whether the routers' sockets hold TCP-AO keys: never (the daemons here
/// sign with MD5), so `tcp_ao_key_not_found` there is TCP_AOUNEXPECTED.
const ROUTERS_HOLD_AO_KEYS: bool = false;

/// Parses one event of a drop the model names (`… 123.456789:
/// tcp_hash_md5_mismatch: net=… state=… family=… src=A:P dest=B:Q
/// L3index=0 [FSRP.]`): the fields as the witness reads them, the verdict
/// as the library names the tracepoint's reason. `None` for a line that
/// does not parse, or a tracepoint the model has no reason for: the lab
/// reports those.
pub fn parse_event(router: Side, ev: &TraceEvent, offset_ns: i128) -> Option<KernelDrop> {
    let reason = DropReason::of_tracepoint_at(&ev.name, ROUTERS_HOLD_AO_KEYS)?;
    let fields = HashEventFields::parse(&ev.line)?;
    Some(KernelDrop {
        router,
        tracepoint: ev.name.clone(),
        verdict: reason.verdict_id(),
        state: fields.state?,
        src: fields.src,
        dst: fields.dst,
        flags: HashFlags::from_printed(&fields.flags),
        realtime_ns: i128::from(ev.stamp_ns()?).checked_add(offset_ns)?,
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
    /// Events that did not parse, or name a drop the model has no reason
    /// for (kept to be reported, never dropped).
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
            for r in counted_reasons() {
                let moved = r.counter().and_then(|n| c.get(n)).copied();
                out.insert(r.verdict_id(), moved.unwrap_or(0));
            }
        }
        out
    }

    /// How many drops each router's tracepoints reported, by verdict.
    pub fn traced(&self, router: Side) -> BTreeMap<&'static str, i64> {
        let mut out: BTreeMap<&'static str, i64> =
            counted_reasons().map(|r| (r.verdict_id(), 0)).collect();
        for d in self.drops.iter().filter(|d| d.router == router) {
            *out.entry(d.verdict).or_default() += 1;
        }
        out
    }
}

/// The reasons both a tracepoint and a `TcpExt` counter report, of the MD5
/// check (the daemons here sign with MD5), so the two can be compared.
fn counted_reasons() -> impl Iterator<Item = DropReason> {
    DropReason::ALL.into_iter().filter(|r| {
        r.kernel_name().starts_with("TCP_MD5")
            && r.tracepoint().is_some()
            && r.counter().is_some_and(|c| !c.contains(':'))
    })
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

    /// The verdict of each tracepoint is the library's, and a tracepoint the
    /// model has no reason for is no drop of its own spelling.
    #[test]
    fn verdicts_are_the_librarys() {
        let line = |name: &str| TraceEvent {
            name: name.into(),
            net_cookie: 7,
            line: format!(
                "x-1 [000] ..s1. 5.25: {name}: net=7 state=TCP_LISTEN family=AF_INET src=10.0.0.2:1 dest=10.0.0.1:179 L3index=0 [F  P.]"
            ),
        };
        // TCP_AOKEYNOTFOUND needs AO keys the routers never hold.
        for r in DropReason::ALL
            .into_iter()
            .filter(|r| *r != DropReason::AoKeyNotFound)
        {
            if let Some(t) = r.tracepoint() {
                let d = parse_event(Side::A, &line(t), 0).unwrap();
                assert_eq!(d.verdict, tcpmd5::verdict::VerdictId::Drop(r).to_string());
                assert_eq!(d.realtime_ns, 5_250_000_000);
                assert!(d.flags.fin && d.flags.psh && d.flags.ack && !d.flags.syn);
            }
        }
        // An AO segment at an MD5 router: no AO key at all.
        let ao = parse_event(Side::A, &line("tcp_ao_key_not_found"), 0).unwrap();
        assert_eq!(ao.verdict, "drop:TCP_AOUNEXPECTED");
        // TCP-AO required: the model's TCP_AONOTFOUND (no MD5 counter to
        // compare it with, so not among the counted reasons).
        let ao = parse_event(Side::A, &line("tcp_hash_ao_required"), 0).unwrap();
        assert_eq!(ao.verdict, "drop:TCP_AONOTFOUND");
        let truth = Truth::default();
        let keys = |m: BTreeMap<&'static str, i64>| m.into_keys().collect::<Vec<_>>();
        assert_eq!(
            keys(truth.traced(Side::A)),
            [
                "drop:TCP_MD5FAILURE",
                "drop:TCP_MD5NOTFOUND",
                "drop:TCP_MD5UNEXPECTED"
            ]
        );
    }
}
