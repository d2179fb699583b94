//! How far the generated segments reach into the input space: how many
//! carried an MD5 option, an AO option, a malformed option, a full 40-byte
//! area, a bad checksum, which verdicts the model gave, and where they went.

use std::collections::BTreeMap;

use serde::Serialize;
use tcpmd5::wire::tcp_option::kind;
use tcpmd5::wire::{IpSegment, TcpPacket};
use tcpmd5::{AuthScan, Checksums, DropReason, Key, MAX_KEY_LEN, Semantics, Verdict};

use super::input::KeyScope;
use super::options::MAX_AREA;

/// Counts over the segments of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Reach {
    /// Segments sent.
    pub segments: u64,
    /// To a listener (SYNs).
    pub listener: u64,
    /// To an established connection.
    pub established: u64,
    /// With an option of kind 19 before any EOL, any length.
    pub md5_option: u64,
    /// With an option of kind 29 before any EOL.
    pub ao_option: u64,
    /// Whose option area a strict reading (RFC 2385 and RFC 9293 syntax)
    /// finds malformed.
    pub malformed: u64,
    /// With a full 40-byte option area.
    pub full_area: u64,
    /// With an EOL the receiver reaches.
    pub eol: u64,
    /// With a payload.
    pub payload: u64,
    /// With a bad TCP checksum.
    pub bad_checksum: u64,
    /// Of those, longer than 76 bytes: the MD5 check comes first.
    pub checksum_after_auth: u64,
    /// Where the receiver held a key (for any address).
    pub receiver_key: u64,
    /// Of those, keys for a prefix holding the peer.
    pub key_prefix: u64,
    /// Of those, keys for another address only.
    pub key_elsewhere: u64,
    /// Of those, keys with a NUL byte.
    pub key_with_nul: u64,
    /// Of those, keys of the maximum length (80 bytes).
    pub key_max_len: u64,
    /// The model's verdicts (`accept (digest verified)`, `drop TCP_AUTH_HDR`, ...).
    pub verdicts: BTreeMap<String, u64>,
}

impl Reach {
    /// Counts one IP packet.
    pub fn count(
        &mut self,
        packet: &[u8],
        established: bool,
        key: Option<(&Key, KeyScope)>,
        verdict: Verdict,
    ) {
        self.segments += 1;
        if established {
            self.established += 1;
        } else {
            self.listener += 1;
        }
        if let Some((k, scope)) = key {
            self.receiver_key += 1;
            self.key_prefix += u64::from(matches!(scope, KeyScope::Prefix(_)));
            self.key_elsewhere += u64::from(scope == KeyScope::Elsewhere);
            self.key_with_nul += u64::from(k.as_bytes().contains(&0));
            self.key_max_len += u64::from(k.len() == MAX_KEY_LEN);
        }
        *self.verdicts.entry(verdict.to_string()).or_default() += 1;
        let Ok(located) = IpSegment::parse(packet) else {
            return;
        };
        if Checksums::Verify.drop_reason(packet, &located) == Some(DropReason::TcpChecksum) {
            self.bad_checksum += 1;
            self.checksum_after_auth += u64::from(Checksums::Verify.after_auth(&located).is_some());
        }
        let Ok(tcp) = TcpPacket::new_checked(located.segment) else {
            return;
        };
        let area = tcp.options();
        self.payload += u64::from(!tcp.payload().is_empty());
        self.full_area += u64::from(area.len() == MAX_AREA);
        self.malformed += u64::from(matches!(
            Semantics::Rfc2385.scan(area),
            AuthScan::Malformed(_)
        ));
        let kinds = kinds_before_eol(area);
        self.md5_option += u64::from(kinds.contains(&kind::MD5));
        self.ao_option += u64::from(kinds.contains(&kind::AO));
        self.eol += u64::from(kinds.last() == Some(&kind::EOL));
    }

    /// Adds another run's counts.
    pub fn add(&mut self, other: &Reach) {
        self.segments += other.segments;
        self.listener += other.listener;
        self.established += other.established;
        self.md5_option += other.md5_option;
        self.ao_option += other.ao_option;
        self.malformed += other.malformed;
        self.full_area += other.full_area;
        self.eol += other.eol;
        self.payload += other.payload;
        self.bad_checksum += other.bad_checksum;
        self.checksum_after_auth += other.checksum_after_auth;
        self.receiver_key += other.receiver_key;
        self.key_prefix += other.key_prefix;
        self.key_elsewhere += other.key_elsewhere;
        self.key_with_nul += other.key_with_nul;
        self.key_max_len += other.key_max_len;
        for (k, v) in &other.verdicts {
            *self.verdicts.entry(k.clone()).or_default() += v;
        }
    }

    /// The fractions, for the report.
    pub fn lines(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("to a listener (SYN)", self.listener),
            ("to an established connection", self.established),
            ("MD5 option (kind 19, any length)", self.md5_option),
            ("AO option (kind 29)", self.ao_option),
            ("malformed option area (strict reading)", self.malformed),
            ("full 40-byte option area", self.full_area),
            ("EOL reached by the scan", self.eol),
            ("payload", self.payload),
            ("bad TCP checksum", self.bad_checksum),
            (
                "  longer than 76 bytes (MD5 check first)",
                self.checksum_after_auth,
            ),
            ("receiver holds a key", self.receiver_key),
            ("  for a prefix holding the peer", self.key_prefix),
            ("  for another address only", self.key_elsewhere),
            ("  the key has a NUL byte", self.key_with_nul),
            ("  the key is 80 bytes long", self.key_max_len),
        ]
    }
}

/// The option kinds read the way a receiver reads them, up to and
/// including an EOL, stopping at a length that cannot be right.
fn kinds_before_eol(area: &[u8]) -> Vec<u8> {
    let mut kinds = Vec::new();
    let mut i = 0;
    while let Some(&k) = area.get(i) {
        kinds.push(k);
        match k {
            kind::EOL => break,
            kind::NOP => i += 1,
            _ => match area.get(i + 1) {
                Some(&len) if len >= 2 => i += usize::from(len),
                _ => break,
            },
        }
    }
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_stop_at_eol_and_bad_lengths() {
        assert_eq!(kinds_before_eol(&[1, 19, 18]), vec![1, 19]);
        assert_eq!(kinds_before_eol(&[0, 19, 18]), vec![0]);
        assert_eq!(kinds_before_eol(&[29, 1, 19, 18]), vec![29]);
        assert_eq!(kinds_before_eol(&[2, 4, 5, 0xb4, 29, 4, 1, 2]), vec![2, 29]);
    }
}

/// The generator's reach, measured without a kernel: the segments it
/// builds must carry every kind of option area the check distinguishes.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod generator_reach {
    use std::net::Ipv4Addr;

    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;
    use tcpmd5::key_table::KeyTable;
    use tcpmd5::wire::TcpFlags;
    use tcpmd5::{AddrPair, Family, packet_verdict};

    use super::Reach;
    use crate::differential::input::{Generator, Target, input_with};
    use crate::differential::probe::{Flippable, Header, build};

    #[test]
    fn segments_reach_every_area_kind_and_verdict() {
        let addrs = AddrPair::V4 {
            src: Ipv4Addr::new(10, 99, 0, 2),
            dst: Ipv4Addr::new(10, 99, 0, 1),
        };
        let strategy = input_with(Family::V4, Generator::default());
        let mut runner = TestRunner::deterministic();
        let mut reach = Reach::default();
        let n = 1000u64;
        for _ in 0..n {
            let input = strategy.new_tree(&mut runner).unwrap().current();
            let mut table = KeyTable::new();
            if let Some(k) = &input.receiver_key {
                let (add, _) = input.key_scope.requests(addrs.src(), k);
                table
                    .apply(Family::V4, &add, &[] as &[(i32, bool)])
                    .unwrap();
            }
            let key = table.lookup(addrs.src(), 0).map(|e| e.key.clone());
            let established = matches!(input.target, Target::Established(..));
            let header = Header {
                addrs,
                src_port: 40000,
                dst_port: 179,
                seq: input.base.seq,
                ack: 1,
                flags: if established {
                    TcpFlags::ACK
                } else {
                    TcpFlags::SYN
                },
                payload: true,
            };
            let spec = build(&input, header, key.as_ref(), Flippable::Syn);
            let packet = spec.packet();
            let verdict = packet_verdict(
                &packet,
                &table,
                0,
                tcpmd5::Semantics::Linux { tcp_ao: false },
            )
            .unwrap();
            reach.count(
                &packet,
                established,
                input.receiver_key.as_ref().map(|k| (k, input.key_scope)),
                verdict,
            );
        }
        for (what, count) in reach.lines() {
            // Keys are 1 to 80 bytes long, uniformly: 80 is rarer.
            let share = if what.contains("80 bytes") { 200 } else { 20 };
            assert!(count * share >= n, "{what}: {count} of {n}");
        }
        // Every verdict of a kernel without CONFIG_TCP_AO is reached, the
        // TCP checksum drop included (the IPv4 header's is not generated).
        assert_eq!(reach.verdicts.len(), 8, "{:?}", reach.verdicts);
    }
}
