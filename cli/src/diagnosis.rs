//! A BGP session's diagnosis, in an operator's words: whether it came up,
//! which router drops what, and the likely cause, from the evidence of
//! every segment between the two routers (all their connections, both
//! directions). The one vocabulary of causes: `verify` prints it, and
//! other tools (`sockets`, `watch`) may reuse [`Cause`] and
//! [`Diagnosis`].

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use serde::Serialize;
use tcpmd5::verdict::{DropReason, Verdict};

/// One end of a session: `A` is the lower address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum End {
    /// The lower address.
    A,
    /// The higher address.
    B,
}

impl End {
    /// The other end.
    pub fn peer(self) -> End {
        match self {
            End::A => End::B,
            End::B => End::A,
        }
    }
}

/// What one direction of a session (segments sent by one end, received
/// by the other) showed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Direction {
    /// TCP segments.
    pub segments: u64,
    /// SYNs (without ACK): connection attempts.
    pub syns: u64,
    /// SYN-ACKs: answers to the other end's attempts.
    pub syn_acks: u64,
    /// Segments the receiver takes.
    pub accepted: u64,
    /// Of those, segments with payload (BGP messages delivered).
    pub accepted_payload: u64,
    /// Segments the receiver drops, by verdict id.
    pub drops: BTreeMap<String, u64>,
    /// Segments carrying a TCP-AO option the receiver lets past its MD5
    /// check (the bypass).
    pub bypass: u64,
    /// Signed segments nobody gave the receiver's key for.
    pub unchecked: u64,
    /// Segments carrying a partial (offloaded) TCP checksum.
    pub partial_checksums: u64,
    /// Signed segments by the key that verifies them (labels, never bytes):
    /// the receiver's when accepted, or another given key when dropped.
    pub verified_by: BTreeMap<String, u64>,
    /// Dropped for a wrong digest, yet verified by the key the sender
    /// holds for the receiver: the two ends hold different passwords.
    pub failures_with_senders_key: u64,
}

impl Direction {
    /// How many were dropped for `reason`.
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.drops
            .get(&Verdict::Drop(reason).id().to_string())
            .copied()
            .unwrap_or(0)
    }

    /// Adds a drop.
    pub fn add_drop(&mut self, verdict: Verdict) {
        *self.drops.entry(verdict.id().to_string()).or_default() += 1;
    }

    /// Adds the counts of another part of the capture.
    pub fn merge(&mut self, other: &Direction) {
        self.segments += other.segments;
        self.syns += other.syns;
        self.syn_acks += other.syn_acks;
        self.accepted += other.accepted;
        self.accepted_payload += other.accepted_payload;
        self.bypass += other.bypass;
        self.unchecked += other.unchecked;
        self.partial_checksums += other.partial_checksums;
        self.failures_with_senders_key += other.failures_with_senders_key;
        for (k, n) in &other.drops {
            *self.drops.entry(k.clone()).or_default() += n;
        }
        for (k, n) in &other.verified_by {
            *self.verified_by.entry(k.clone()).or_default() += n;
        }
    }

    fn total_drops(&self) -> u64 {
        self.drops.values().sum()
    }
}

/// The evidence of a session: its two ends and both directions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// End A's address (the lower).
    pub a: IpAddr,
    /// End B's address.
    pub b: IpAddr,
    /// How output names A (a router's name, or its address).
    pub a_name: String,
    /// How output names B.
    pub b_name: String,
    /// Segments from A to B.
    pub a_to_b: Direction,
    /// Segments from B to A.
    pub b_to_a: Direction,
}

impl Evidence {
    /// The evidence of the session between `x` and `y`, nothing seen yet.
    pub fn new(x: IpAddr, y: IpAddr) -> Evidence {
        let (a, b) = if x <= y { (x, y) } else { (y, x) };
        Evidence {
            a,
            b,
            a_name: a.to_string(),
            b_name: b.to_string(),
            a_to_b: Direction::default(),
            b_to_a: Direction::default(),
        }
    }

    /// The end at `addr`, if it is one.
    pub fn end_of(&self, addr: IpAddr) -> Option<End> {
        if addr == self.a {
            Some(End::A)
        } else if addr == self.b {
            Some(End::B)
        } else {
            None
        }
    }

    /// The segments sent by `end`.
    pub fn from(&self, end: End) -> &Direction {
        match end {
            End::A => &self.a_to_b,
            End::B => &self.b_to_a,
        }
    }

    /// The segments sent by `end`, to count in.
    pub fn from_mut(&mut self, end: End) -> &mut Direction {
        match end {
            End::A => &mut self.a_to_b,
            End::B => &mut self.b_to_a,
        }
    }

    /// How output names `end`.
    pub fn name(&self, end: End) -> &str {
        match end {
            End::A => &self.a_name,
            End::B => &self.b_name,
        }
    }

    /// Adds another part of the capture's evidence.
    pub fn merge(&mut self, other: &Evidence) {
        self.a_to_b.merge(&other.a_to_b);
        self.b_to_a.merge(&other.b_to_a);
    }
}

/// A likely cause, or a finding an operator needs to hear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "cause", rename_all = "kebab-case")]
pub enum Cause {
    /// Up, every segment taken, signed both ways.
    Working,
    /// Up without MD5 on either side.
    WorkingUnsigned,
    /// Each direction verifies with its sender's key and not with the
    /// receiver's.
    PasswordsDiffer,
    /// `lacking` has no password for `holder`, which has one: `lacking`
    /// drops the signed segments, `holder` the unsigned ones.
    NoPassword {
        /// The end with a password.
        holder: End,
        /// The end without one.
        lacking: End,
    },
    /// Digests do not verify at `receiver`, and no key given verifies
    /// them either: a wrong password on one side (or altered segments).
    DigestFails {
        /// The end that drops them.
        receiver: End,
    },
    /// `side`'s connection attempts get no SYN-ACK.
    SynsUnanswered {
        /// The end whose SYNs go unanswered.
        side: End,
    },
    /// TCP-AO options toward an MD5 session, let past the MD5 check.
    AoBypass {
        /// The end that lets them in.
        receiver: End,
    },
    /// Segments dropped for a wrong checksum (neither right nor an
    /// offloaded partial sum).
    ChecksumDrops {
        /// The end that drops them.
        receiver: End,
    },
    /// Partial checksums from TX offload: not an error.
    OffloadedChecksums,
    /// Signed segments toward `receiver`, whose keys were not given.
    KeysUnknown {
        /// The end whose keys are missing.
        receiver: End,
    },
}

impl Cause {
    /// The stable id (`passwords-differ`, …).
    pub fn id(&self) -> &'static str {
        match self {
            Cause::Working => "working",
            Cause::WorkingUnsigned => "working-unsigned",
            Cause::PasswordsDiffer => "passwords-differ",
            Cause::NoPassword { .. } => "no-password",
            Cause::DigestFails { .. } => "digest-fails",
            Cause::SynsUnanswered { .. } => "syns-unanswered",
            Cause::AoBypass { .. } => "ao-bypass",
            Cause::ChecksumDrops { .. } => "checksum-drops",
            Cause::OffloadedChecksums => "offloaded-checksums",
            Cause::KeysUnknown { .. } => "keys-unknown",
        }
    }

    /// Whether it keeps the session down or lets attacks in.
    pub fn is_problem(&self) -> bool {
        !matches!(
            self,
            Cause::Working | Cause::WorkingUnsigned | Cause::OffloadedChecksums
        )
    }
}

/// A session's diagnosis: its evidence and the causes, most important first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    /// Whether BGP messages got through both ways.
    pub established: bool,
    /// The causes, most important first.
    pub causes: Vec<Cause>,
    /// What it rests on.
    pub evidence: Evidence,
}

/// Diagnoses a session from its evidence.
pub fn diagnose(evidence: Evidence) -> Diagnosis {
    let (ab, ba) = (&evidence.a_to_b, &evidence.b_to_a);
    let established = ab.accepted_payload > 0 && ba.accepted_payload > 0;
    let mut causes = Vec::new();
    for end in [End::A, End::B] {
        // Sent by `end`'s peer, received by `end`.
        if evidence.from(end.peer()).bypass > 0 {
            causes.push(Cause::AoBypass { receiver: end });
        }
    }
    let differs = |d: &Direction| d.failures_with_senders_key > 0;
    if differs(ab) || differs(ba) {
        causes.push(Cause::PasswordsDiffer);
    }
    for end in [End::A, End::B] {
        let to_end = evidence.from(end.peer());
        let from_end = evidence.from(end);
        // `end` has no key for its peer: it drops the peer's signed
        // segments, and the peer drops `end`'s unsigned ones.
        if to_end.dropped(DropReason::Md5Unexpected) > 0
            || (from_end.dropped(DropReason::Md5NotFound) > 0
                && to_end.dropped(DropReason::Md5Failure) == 0)
        {
            causes.push(Cause::NoPassword {
                holder: end.peer(),
                lacking: end,
            });
        }
        if to_end.dropped(DropReason::Md5Failure) > to_end.failures_with_senders_key
            && !differs(to_end)
        {
            causes.push(Cause::DigestFails { receiver: end });
        }
        if to_end.dropped(DropReason::TcpChecksum) + to_end.dropped(DropReason::IpChecksum) > 0 {
            causes.push(Cause::ChecksumDrops { receiver: end });
        }
        if to_end.unchecked > 0 {
            causes.push(Cause::KeysUnknown { receiver: end });
        }
    }
    for end in [End::A, End::B] {
        if !established && evidence.from(end).syns > 0 && evidence.from(end.peer()).syn_acks == 0 {
            causes.push(Cause::SynsUnanswered { side: end });
        }
    }
    if established && ab.total_drops() + ba.total_drops() + ab.bypass + ba.bypass == 0 {
        let signed = !ab.verified_by.is_empty() || !ba.verified_by.is_empty();
        causes.insert(
            0,
            if signed {
                Cause::Working
            } else {
                Cause::WorkingUnsigned
            },
        );
    }
    if ab.partial_checksums + ba.partial_checksums > 0 {
        causes.push(Cause::OffloadedChecksums);
    }
    Diagnosis {
        established,
        causes,
        evidence,
    }
}

impl Diagnosis {
    /// The session, as `A <> B`.
    pub fn session(&self) -> String {
        format!("{} <> {}", self.evidence.a, self.evidence.b)
    }

    /// Whether any cause is a problem.
    pub fn has_problem(&self) -> bool {
        self.causes.iter().any(Cause::is_problem)
    }

    /// One cause in an operator's words, with its evidence counts.
    pub fn sentence(&self, cause: &Cause) -> String {
        let e = &self.evidence;
        let name = |end: End| e.name(end);
        let drops = |to: End, r: DropReason| e.from(to.peer()).dropped(r);
        let keys = |from: End| {
            let d = e.from(from);
            d.verified_by.keys().cloned().collect::<Vec<_>>().join(", ")
        };
        match cause {
            Cause::Working => format!(
                "working: every segment verified ({} -> {} by {}; {} -> {} by {})",
                name(End::A),
                name(End::B),
                keys(End::A),
                name(End::B),
                name(End::A),
                keys(End::B)
            ),
            Cause::WorkingUnsigned => "working, without MD5 on either side".to_owned(),
            Cause::PasswordsDiffer => {
                let mut s = "the two routers' passwords differ".to_owned();
                for from in [End::A, End::B] {
                    let d = e.from(from);
                    if d.failures_with_senders_key > 0 {
                        s.push_str(&format!(
                            "; {} drops {} segments of {} (TCP_MD5FAILURE), which verify with {}",
                            name(from.peer()),
                            d.dropped(DropReason::Md5Failure),
                            name(from),
                            keys(from)
                        ));
                    }
                }
                s
            }
            Cause::NoPassword { holder, lacking } => {
                let mut s = format!("{} has no password for {}", name(*lacking), name(*holder));
                let unexpected = drops(*lacking, DropReason::Md5Unexpected);
                if unexpected > 0 {
                    s.push_str(&format!(
                        "; {} drops {unexpected} signed segments of {} (TCP_MD5UNEXPECTED)",
                        name(*lacking),
                        name(*holder)
                    ));
                }
                let notfound = drops(*holder, DropReason::Md5NotFound);
                if notfound > 0 {
                    s.push_str(&format!(
                        "; {} drops {notfound} unsigned segments of {} (TCP_MD5NOTFOUND)",
                        name(*holder),
                        name(*lacking)
                    ));
                }
                s
            }
            Cause::DigestFails { receiver } => format!(
                "{} drops {} segments of {} whose digest does not verify (TCP_MD5FAILURE), with no key given that verifies them: a wrong password on one side, or altered segments",
                name(*receiver),
                drops(*receiver, DropReason::Md5Failure),
                name(receiver.peer())
            ),
            Cause::SynsUnanswered { side } => format!(
                "{}'s SYNs go unanswered ({} SYNs, no SYN-ACK)",
                name(*side),
                e.from(*side).syns
            ),
            Cause::AoBypass { receiver } => format!(
                "a TCP-AO option toward an MD5 session (the bypass): {} lets {} such segments of {} past its MD5 check",
                name(*receiver),
                e.from(receiver.peer()).bypass,
                name(receiver.peer())
            ),
            Cause::ChecksumDrops { receiver } => format!(
                "{} drops {} segments of {} for a wrong checksum (neither right nor an offloaded partial sum)",
                name(*receiver),
                drops(*receiver, DropReason::TcpChecksum)
                    + drops(*receiver, DropReason::IpChecksum),
                name(receiver.peer())
            ),
            Cause::OffloadedChecksums => format!(
                "offloaded checksums (not an error): {} segments carry the partial sum TX offload leaves",
                e.a_to_b.partial_checksums + e.b_to_a.partial_checksums
            ),
            Cause::KeysUnknown { receiver } => format!(
                "{} signed segments toward {} cannot be checked: give {}'s keys (--router, a host section, or --key)",
                e.from(receiver.peer()).unchecked,
                name(*receiver),
                name(*receiver)
            ),
        }
    }
}

impl fmt::Display for Diagnosis {
    /// `A <> B: established|not established; cause; cause`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}",
            self.session(),
            if self.established {
                "established"
            } else {
                "not established"
            }
        )?;
        if self.causes.is_empty() {
            let (ab, ba) = (&self.evidence.a_to_b, &self.evidence.b_to_a);
            write!(
                f,
                "; no cause seen ({} and {} segments)",
                ab.segments, ba.segments
            )?;
        }
        for c in &self.causes {
            write!(f, "; {}", self.sentence(c))?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ev() -> Evidence {
        let mut e = Evidence::new("10.0.0.2".parse().unwrap(), "10.0.0.1".parse().unwrap());
        e.a_name = "A".into();
        e.b_name = "B".into();
        e
    }

    #[test]
    fn one_sided_password() {
        let mut e = ev();
        e.a_to_b.syns = 5;
        for _ in 0..5 {
            e.a_to_b.add_drop(Verdict::Drop(DropReason::Md5Unexpected));
        }
        e.b_to_a.syns = 3;
        for _ in 0..3 {
            e.b_to_a.add_drop(Verdict::Drop(DropReason::Md5NotFound));
        }
        let d = diagnose(e);
        assert!(!d.established);
        assert_eq!(
            d.causes,
            vec![
                Cause::NoPassword {
                    holder: End::A,
                    lacking: End::B
                },
                Cause::SynsUnanswered { side: End::A },
                Cause::SynsUnanswered { side: End::B },
            ]
        );
        let text = d.to_string();
        assert!(text.contains("B has no password for A"), "{text}");
        assert!(text.contains("A's SYNs go unanswered"), "{text}");
    }

    #[test]
    fn passwords_differ_and_working() {
        let mut e = ev();
        e.a_to_b.syns = 2;
        e.a_to_b.add_drop(Verdict::Drop(DropReason::Md5Failure));
        e.a_to_b.add_drop(Verdict::Drop(DropReason::Md5Failure));
        e.a_to_b.failures_with_senders_key = 2;
        e.a_to_b.verified_by.insert("10.0.0.2 (a.conf:3)".into(), 2);
        let d = diagnose(e);
        assert_eq!(d.causes.first(), Some(&Cause::PasswordsDiffer));
        assert!(d.to_string().contains("the two routers' passwords differ"));

        let mut e = ev();
        for dir in [&mut e.a_to_b, &mut e.b_to_a] {
            dir.accepted_payload = 3;
            dir.partial_checksums = 1;
            dir.verified_by.insert("k".into(), 3);
        }
        let d = diagnose(e);
        assert_eq!(d.causes, vec![Cause::Working, Cause::OffloadedChecksums]);
        assert!(d.to_string().contains("offloaded checksums (not an error)"));
        assert!(!d.has_problem());
    }
}
