//! How far the generated segments reach into the input space: how many
//! carried an MD5 option, an AO option, a malformed option, a full 40-byte
//! area, a bad checksum, which verdicts the model gave, and where they went.

use tcpmd5::wire::tcp_option::kind;
use tcpmd5::wire::{IpSegment, TcpPacket};
use tcpmd5::{AuthScan, Checksums, DropReason, Key, MAX_KEY_LEN, Semantics, Verdict};
pub use tcpmd5_report::differential::Reach;

use super::input::KeyScope;
use super::options::MAX_AREA;

/// Counts one IP packet into `reach`.
pub fn count(
    reach: &mut Reach,
    packet: &[u8],
    established: bool,
    key: Option<(&Key, KeyScope)>,
    verdict: Verdict,
) {
    reach.segments += 1;
    if established {
        reach.established += 1;
    } else {
        reach.listener += 1;
    }
    if let Some((k, scope)) = key {
        reach.receiver_key += 1;
        reach.key_prefix += u64::from(matches!(scope, KeyScope::Prefix(_)));
        reach.key_elsewhere += u64::from(scope == KeyScope::Elsewhere);
        reach.key_with_nul += u64::from(k.as_bytes().contains(&0));
        reach.key_max_len += u64::from(k.len() == MAX_KEY_LEN);
    }
    *reach.verdicts.entry(verdict.to_string()).or_default() += 1;
    let Ok(located) = IpSegment::parse(packet) else {
        return;
    };
    if Checksums::Verify.drop_reason(packet, &located) == Some(DropReason::TcpChecksum) {
        reach.bad_checksum += 1;
        reach.checksum_after_auth += u64::from(Checksums::Verify.after_auth(&located).is_some());
    }
    let Ok(tcp) = TcpPacket::new_checked(located.segment) else {
        return;
    };
    let area = tcp.options();
    reach.payload += u64::from(!tcp.payload().is_empty());
    reach.full_area += u64::from(area.len() == MAX_AREA);
    reach.malformed += u64::from(matches!(
        Semantics::Rfc2385.scan(area),
        AuthScan::Malformed(_)
    ));
    let kinds = kinds_before_eol(area);
    reach.md5_option += u64::from(kinds.contains(&kind::MD5));
    reach.ao_option += u64::from(kinds.contains(&kind::AO));
    reach.eol += u64::from(kinds.last() == Some(&kind::EOL));
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

    use super::{Reach, count};
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
            count(
                &mut reach,
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
