//! A segment the kernel dropped for its authentication options, as a
//! `tcp:tcp_hash_*` (or `tcp:tcp_ao_*`) trace line reports it, in the
//! project's verdict vocabulary: the library's [`DropReason`] (its kernel
//! name and `TcpExt` counter) and the session's [`Cause`] as `verify`
//! diagnoses it ([`crate::diagnosis`]).

use std::net::{IpAddr, SocketAddr};

use serde::Serialize;
use tcpmd5::verdict::{DropReason, Verdict};
use tcpmd5_witness::hash_event::HashEventFields;
use tcpmd5_witness::trace::TraceEvent;

use crate::diagnosis::{Cause, Evidence, diagnose};

/// Why the segment was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DropCause {
    /// A reason the model knows (by its tracepoint).
    Reason(DropReasonKey),
    /// One of two reasons whose witnesses are the same, told apart only by
    /// the receiving socket's keys, which a trace line does not show:
    /// `tcp_ao_key_not_found` fires for a KeyID no AO key of the socket
    /// has (TCP_AOKEYNOTFOUND) and at a socket with no AO keys at all
    /// (TCP_AOUNEXPECTED: an MD5-only session on a `CONFIG_TCP_AO` kernel).
    Either(DropReasonKey, DropReasonKey),
    /// A tracepoint the model has no reason for (the TCP-AO ones).
    Unmodelled(&'static str),
}

/// [`DropReason`] with an order, for sorted totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DropReasonKey(usize);

impl DropReasonKey {
    /// The key of `reason`.
    pub fn of(reason: DropReason) -> DropReasonKey {
        DropReasonKey(
            DropReason::ALL
                .iter()
                .position(|r| *r == reason)
                .unwrap_or(0),
        )
    }

    /// The reason.
    pub fn reason(self) -> DropReason {
        DropReason::ALL
            .get(self.0)
            .copied()
            .unwrap_or(DropReason::AuthHeader)
    }
}

impl DropCause {
    /// The cause a tracepoint reports.
    pub fn of_tracepoint(name: &str) -> Option<DropCause> {
        if let Some(c) = Self::of_reasons(DropReason::of_tracepoint(name)) {
            return Some(c);
        }
        tcpmd5_witness::trace::HASH_EVENTS
            .iter()
            .chain(&tcpmd5_witness::trace::AO_DROP_EVENTS)
            .find(|n| **n == name)
            .map(|n| DropCause::Unmodelled(n))
    }

    /// The cause a `TcpExt` counter reports, if it is a drop's.
    pub fn of_counter(name: &str) -> Option<DropCause> {
        Self::of_reasons(DropReason::of_counter(name))
    }

    /// The cause of a witness that stands for `reasons`.
    fn of_reasons(mut reasons: impl Iterator<Item = DropReason>) -> Option<DropCause> {
        let first = DropReasonKey::of(reasons.next()?);
        Some(match reasons.next() {
            Some(second) => DropCause::Either(first, DropReasonKey::of(second)),
            None => DropCause::Reason(first),
        })
    }

    /// The model's reason, if the witness names one alone.
    pub fn reason(self) -> Option<DropReason> {
        match self {
            DropCause::Reason(k) => Some(k.reason()),
            DropCause::Either(..) | DropCause::Unmodelled(_) => None,
        }
    }

    /// The verdict id (`drop:TCP_MD5FAILURE`); both, `|`-separated, when
    /// the witness stands for two (`drop:TCP_AOUNEXPECTED|TCP_AOKEYNOTFOUND`);
    /// the tracepoint's name for a drop the model does not name.
    pub fn id(self) -> String {
        match self {
            DropCause::Reason(k) => k.reason().verdict_id().to_owned(),
            DropCause::Either(a, b) => {
                format!("{}|{}", a.reason().verdict_id(), b.reason().kernel_name())
            }
            DropCause::Unmodelled(name) => format!("tracepoint:{name}"),
        }
    }

    /// The counter the drop increments, if any (the two reasons of
    /// [`DropCause::Either`] share theirs).
    pub fn counter(self) -> Option<&'static str> {
        match self {
            DropCause::Reason(k) => k.reason().counter(),
            DropCause::Either(a, b) => a
                .reason()
                .counter()
                .filter(|c| b.reason().counter() == Some(*c)),
            DropCause::Unmodelled(_) => None,
        }
    }

    /// What the drop says about the receiver when the trace line cannot
    /// tell which reason it is.
    pub fn undecided(self) -> Option<&'static str> {
        match self {
            DropCause::Either(..) => Some(
                "no AO key of the receiver has the segment's KeyID, or it has no AO keys at all",
            ),
            DropCause::Reason(_) | DropCause::Unmodelled(_) => None,
        }
    }
}

/// One dropped segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropEvent {
    /// The segment's sender: the peer.
    pub peer: SocketAddr,
    /// Its receiver on this host.
    pub local: SocketAddr,
    /// Why it was dropped.
    pub cause: DropCause,
    /// The receiving socket's state, as the tracepoint prints it.
    pub state: Option<String>,
    /// The segment's flags (`S`, `.`, …).
    pub flags: String,
    /// The L3 domain (VRF) index of the lookup.
    pub l3index: Option<i32>,
}

impl DropEvent {
    /// The drop a trace line reports (`None` for a line that names no
    /// known drop or no endpoints).
    pub fn from_trace(event: &TraceEvent) -> Option<DropEvent> {
        let cause = DropCause::of_tracepoint(&event.name)?;
        let fields = HashEventFields::parse(&event.line)?;
        Some(DropEvent {
            peer: SocketAddr::new(crate::inet_diag::unmap(fields.src.ip()), fields.src.port()),
            local: SocketAddr::new(crate::inet_diag::unmap(fields.dst.ip()), fields.dst.port()),
            cause,
            state: fields.state,
            flags: fields.flags,
            l3index: fields.l3index,
        })
    }

    /// The peer's address.
    pub fn peer_ip(&self) -> IpAddr {
        self.peer.ip()
    }

    /// Counts this drop into the evidence of its session (the segment went
    /// from the peer to this host).
    pub fn add_to(&self, evidence: &mut Evidence) {
        if let (Some(reason), Some(from)) = (self.cause.reason(), evidence.end_of(self.peer_ip())) {
            let direction = evidence.from_mut(from);
            direction.segments += 1;
            if self.flags == "S" {
                direction.syns += 1;
            }
            direction.add_drop(Verdict::Drop(reason));
        }
    }

    /// The session's evidence made of this drop alone.
    pub fn evidence(&self) -> Evidence {
        let mut e = Evidence::new(self.local.ip(), self.peer_ip());
        self.add_to(&mut e);
        e
    }

    /// What `verify` would conclude from this drop alone: its most
    /// important cause's id (`no-password`, `digest-fails`, …), none for
    /// a drop the model does not name.
    pub fn cause_id(&self) -> Option<&'static str> {
        diagnose(self.evidence())
            .causes
            .iter()
            .find(|c| c.is_problem() && !matches!(c, Cause::SynsUnanswered { .. }))
            .map(Cause::id)
    }
}

/// A drop as JSON.
#[derive(Debug, Serialize)]
pub struct DropRecord<'a> {
    /// `"drop"`.
    pub event: &'static str,
    /// Wall-clock time it was read (UTC, RFC 3339).
    pub time: &'a str,
    /// The peer (sender).
    pub peer: SocketAddr,
    /// This host's end.
    pub local: SocketAddr,
    /// The verdict id.
    pub verdict: String,
    /// The counter it increments.
    pub counter: Option<&'static str>,
    /// The session's likely cause, as `verify` names it.
    pub cause: Option<&'static str>,
    /// The receiving socket's state.
    pub state: Option<&'a str>,
    /// The segment's flags.
    pub flags: &'a str,
    /// The L3 domain index.
    pub l3index: Option<i32>,
}

impl DropEvent {
    /// The JSON record of this drop read at `time`.
    pub fn record<'a>(&'a self, time: &'a str) -> DropRecord<'a> {
        DropRecord {
            event: "drop",
            time,
            peer: self.peer,
            local: self.local,
            verdict: self.cause.id(),
            counter: self.cause.counter(),
            cause: self.cause_id(),
            state: self.state.as_deref(),
            flags: &self.flags,
            l3index: self.l3index,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn trace_line_to_verdict() {
        let ev = TraceEvent {
            name: "tcp_hash_md5_unexpected".into(),
            net_cookie: 1,
            line: "bird-9 [0] ..s1. 1.0: tcp_hash_md5_unexpected: net=1 state=TCP_LISTEN family=AF_INET6 src=[::ffff:10.0.0.3]:4000 dest=[::ffff:10.0.0.1]:179 L3index=0 [ S   ]".into(),
        };
        let d = DropEvent::from_trace(&ev).unwrap();
        assert_eq!(d.peer, "10.0.0.3:4000".parse().unwrap());
        assert_eq!(d.cause.id(), "drop:TCP_MD5UNEXPECTED");
        assert_eq!(d.cause.counter(), Some("TCPMD5Unexpected"));
        assert_eq!(d.cause_id(), Some("no-password"));
        let e = d.evidence();
        let text = diagnose(e).to_string();
        assert!(
            text.contains("10.0.0.1 has no password for 10.0.0.3"),
            "{text}"
        );
        let ao = DropCause::of_tracepoint("tcp_hash_ao_required").unwrap();
        assert_eq!(
            (ao.id().as_str(), ao.counter()),
            ("drop:TCP_AONOTFOUND", Some("TCPAORequired"))
        );
        // Every AO drop tracepoint has the model's reasons.
        for t in tcpmd5_witness::trace::AO_DROP_EVENTS {
            let c = DropCause::of_tracepoint(t).unwrap();
            assert!(!matches!(c, DropCause::Unmodelled(_)), "{t}");
        }
        // An AO segment at a socket with no AO keys (an MD5-only session)
        // and one whose KeyID no AO key has fire the same tracepoint and
        // count the same counter: the line says both, never one wrongly.
        let ao = DropCause::of_tracepoint("tcp_ao_key_not_found").unwrap();
        assert_eq!(ao.id(), "drop:TCP_AOUNEXPECTED|TCP_AOKEYNOTFOUND");
        assert_eq!(ao.counter(), Some("TCPAOKeyNotFound"));
        assert_eq!(ao.reason(), None);
        assert!(ao.undecided().unwrap().contains("no AO keys at all"));
        assert_eq!(DropCause::of_counter("TCPAOKeyNotFound"), Some(ao));
        assert_eq!(
            DropCause::of_counter("TCPMD5Failure").map(DropCause::id),
            Some("drop:TCP_MD5FAILURE".to_owned())
        );
        assert_eq!(DropCause::of_counter("TCPAOGood"), None);
        assert_eq!(
            DropCause::of_tracepoint("tcp_ao_wrong_maclen").map(DropCause::id),
            Some("drop:TCP_AOFAILURE".to_owned())
        );
        assert!(DropCause::of_tracepoint("tcp_probe").is_none());
        for r in DropReason::ALL {
            assert_eq!(DropReasonKey::of(r).reason(), r);
        }
    }
}
