//! What `watch` adds up: drops per peer and cause, and the namespace's
//! counters against the drops the tracepoints reported (they must agree:
//! each tracepoint fires where its counter is incremented).

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;
use tcpmd5_witness::counters::{TcpExtCounters, delta};

use crate::diagnosis::{Cause, Evidence, diagnose};
use crate::drop_event::{DropCause, DropEvent};

/// Drops by peer and cause, and by cause over every peer.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    by_peer: BTreeMap<(IpAddr, DropCause), u64>,
    /// The evidence of each session (this host's address, the peer's).
    sessions: BTreeMap<(IpAddr, IpAddr), Evidence>,
    /// Every drop seen, filtered or not (what the counters count).
    by_cause: BTreeMap<DropCause, u64>,
}

/// One peer's drops of one cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerTotal {
    /// The peer.
    pub peer: IpAddr,
    /// The verdict id.
    pub verdict: String,
    /// The counter.
    pub counter: Option<&'static str>,
    /// How many segments.
    pub segments: u64,
}

/// A session's likely causes, as `verify` words them, from this host's drops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionCauses {
    /// This host's address.
    pub local: IpAddr,
    /// The peer's.
    pub peer: IpAddr,
    /// The causes' ids (`no-password`, `digest-fails`, …).
    pub causes: Vec<&'static str>,
    /// The causes in words, with the drop counts.
    pub sentences: Vec<String>,
}

/// A counter's change against the drops the tracepoints reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CounterCheck {
    /// The counter.
    pub counter: &'static str,
    /// Its change over the watch.
    pub delta: i64,
    /// Drops reported by tracepoints for it (`None`: no tracepoints).
    pub events: Option<u64>,
}

impl Totals {
    /// Adds a drop; `shown` says whether it passes the `--peer` filter.
    pub fn add(&mut self, event: &DropEvent, shown: bool) {
        *self.by_cause.entry(event.cause).or_default() += 1;
        if shown {
            *self
                .by_peer
                .entry((event.peer_ip(), event.cause))
                .or_default() += 1;
            let (local, peer) = (event.local.ip(), event.peer_ip());
            let evidence = self
                .sessions
                .entry((local, peer))
                .or_insert_with(|| Evidence::new(local, peer));
            event.add_to(evidence);
        }
    }

    /// Each session's causes. A watch sees only this host's drops, never
    /// what was taken or answered: "SYNs unanswered" is not its to say.
    pub fn sessions(&self) -> Vec<SessionCauses> {
        self.sessions
            .iter()
            .map(|((local, peer), evidence)| {
                let d = diagnose(evidence.clone());
                let causes: Vec<&Cause> = d
                    .causes
                    .iter()
                    .filter(|c| c.is_problem() && !matches!(c, Cause::SynsUnanswered { .. }))
                    .collect();
                SessionCauses {
                    local: *local,
                    peer: *peer,
                    causes: causes.iter().map(|c| c.id()).collect(),
                    sentences: causes.iter().map(|c| d.sentence(c)).collect(),
                }
            })
            .collect()
    }

    /// The per-peer totals, by peer then cause.
    pub fn peers(&self) -> Vec<PeerTotal> {
        self.by_peer
            .iter()
            .map(|((peer, cause), n)| PeerTotal {
                peer: *peer,
                verdict: cause.id(),
                counter: cause.counter(),
                segments: *n,
            })
            .collect()
    }

    /// Drops reported for `counter` (all peers).
    pub fn events_for(&self, counter: &str) -> u64 {
        self.by_cause
            .iter()
            .filter(|(c, _)| c.counter() == Some(counter))
            .map(|(_, n)| n)
            .sum()
    }
}

/// The counters a watch compares: those of the MD5 drop reasons (and the
/// AO counter where the kernel has it).
pub fn watched_counters() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = tcpmd5::verdict::DropReason::ALL
        .iter()
        .filter(|r| r.tracepoint().is_some())
        .filter_map(|r| r.counter())
        .collect();
    // TCP_AOUNEXPECTED and TCP_AOKEYNOTFOUND share theirs, not side by side.
    let mut seen = Vec::new();
    names.retain(|n| {
        let first = !seen.contains(n);
        seen.push(*n);
        first
    });
    names
}

/// The watched counters' changes from `before` to `after`, each with the
/// drops the tracepoints reported (`None` without tracepoints). A counter
/// this kernel lacks is left out.
pub fn counter_checks(
    before: &TcpExtCounters,
    after: &TcpExtCounters,
    totals: Option<&Totals>,
) -> Vec<CounterCheck> {
    let changes = delta(before, after);
    watched_counters()
        .into_iter()
        .filter(|c| after.get(c).is_some())
        .map(|counter| CounterCheck {
            counter,
            delta: changes.get(counter).copied().unwrap_or(0),
            events: totals.map(|t| t.events_for(counter)),
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::drop_event::DropReasonKey;
    use tcpmd5::verdict::DropReason;

    fn drop(peer: &str, reason: DropReason) -> DropEvent {
        DropEvent {
            peer: peer.parse().unwrap(),
            local: "10.0.0.1:179".parse().unwrap(),
            cause: DropCause::Reason(DropReasonKey::of(reason)),
            state: None,
            flags: "S".into(),
            l3index: None,
        }
    }

    /// Each counter once, though two reasons share `TCPAOKeyNotFound`.
    #[test]
    fn each_counter_is_watched_once() {
        let names = watched_counters();
        for n in &names {
            assert_eq!(names.iter().filter(|m| *m == n).count(), 1, "{n}");
        }
        assert!(names.contains(&"TCPAOKeyNotFound"));
        assert!(names.contains(&"TCPMD5Failure"));
    }

    #[test]
    fn totals_and_counters() {
        let mut t = Totals::default();
        t.add(&drop("10.0.0.2:1", DropReason::Md5Failure), true);
        t.add(&drop("10.0.0.2:2", DropReason::Md5Failure), true);
        t.add(&drop("10.0.0.3:2", DropReason::Md5NotFound), false);
        let peers = t.peers();
        assert_eq!(peers.len(), 1);
        assert_eq!(
            (peers[0].segments, peers[0].verdict.as_str()),
            (2, "drop:TCP_MD5FAILURE")
        );
        let text = |f: u64, n: u64| {
            format!("TcpExt: TCPMD5NotFound TCPMD5Unexpected TCPMD5Failure\nTcpExt: {n} 0 {f}\n")
        };
        let before = TcpExtCounters::parse(&text(5, 1)).unwrap();
        let after = TcpExtCounters::parse(&text(7, 2)).unwrap();
        let checks = counter_checks(&before, &after, Some(&t));
        let failure = checks
            .iter()
            .find(|c| c.counter == "TCPMD5Failure")
            .unwrap();
        assert_eq!((failure.delta, failure.events), (2, Some(2)));
        let sessions = t.sessions();
        assert_eq!(sessions.len(), 1);
        assert_eq!(sessions[0].causes, ["digest-fails"]);
        assert!(sessions[0].sentences[0].contains("10.0.0.1 drops 2 segments of 10.0.0.2"));
        let not_found = checks
            .iter()
            .find(|c| c.counter == "TCPMD5NotFound")
            .unwrap();
        assert_eq!((not_found.delta, not_found.events), (1, Some(1)));
    }
}
