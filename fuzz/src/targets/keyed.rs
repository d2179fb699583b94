//! What the `verdict` and `receiver` targets share: a control prefix that
//! builds the receiving socket's key table (library and model side by side,
//! optionally signing the packet with one of the keys), and the verdict
//! recomputed from the models alone.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use tcpmd5::key_table::{KeyTable, Md5SigRequest};
use tcpmd5::wire::IpSegment;
use tcpmd5::{Acceptance, DropReason, Family, Key, Semantics, Verdict};
use tcpmd5_testkit::fuzz_input::key_mode;

use crate::digest_model::rfc2385_digest;
use crate::key_model::{ModelResult, ModelTable};
use crate::scan_model::{Outcome, model_scan};

/// Bytes of the key prefix: `[semantics, l3 domain, key mode, key length]`
/// (the layout the seed generator writes).
pub const PREFIX_LEN: usize = tcpmd5_testkit::fuzz_input::KEY_PREFIX_LEN;

/// The receiving socket as the prefix describes it, and the packet.
#[derive(Debug)]
pub(crate) struct Keyed {
    pub(crate) semantics: Semantics,
    pub(crate) l3index: i32,
    pub(crate) table: KeyTable,
    pub(crate) model: ModelTable,
    /// The packet, signed when the key mode says so.
    pub(crate) packet: Vec<u8>,
}

/// Builds the socket from `[semantics, l3 domain, key mode, key length]`.
/// Key mode bits: 1 exact key for the source (A), 2 a /0 key for its
/// family (B), 4 bind A to VRF 5, 8 a /0 key for the other family,
/// 16 sign the packet first (with A, or B if 32 is set).
pub(crate) fn keyed(prefix: [u8; PREFIX_LEN], packet: &[u8]) -> Keyed {
    let [sem, l3, mode, klen] = prefix;
    let semantics = Semantics::ALL[usize::from(sem) % 4];
    let l3index = [0, 5, 7, 3][usize::from(l3 & 3)];
    let key_len = 1 + usize::from(klen) % 80;
    let key_a = Key::new(&b"key-A-0123456789".repeat(5)[..key_len]).expect("1..=80");
    let key_b = Key::new(&b"key-B-9876543210".repeat(5)[..key_len]).expect("1..=80");
    let devices: &[(i32, bool)] = &[(5, true), (7, false), (3, true)];

    let src = IpSegment::parse(packet).ok().map(|s| s.addrs.src());
    let family = src.map_or(Family::V4, |s| Family::of(&s));
    let socket = Family::V6;
    let mut table = KeyTable::new();
    let mut model = ModelTable::default();
    let mut add = |req: Md5SigRequest| {
        let got = table.apply(socket, &req, devices);
        let want = model.apply(socket, &req, devices);
        assert_eq!(
            got.is_ok(),
            matches!(want, ModelResult::Added | ModelResult::Replaced)
        );
    };
    let as_v6 = |a: IpAddr| match a {
        IpAddr::V4(v4) => IpAddr::V6(v4.to_ipv6_mapped()),
        v6 => v6,
    };
    let any = |f: Family| match f {
        Family::V4 => IpAddr::V6(Ipv4Addr::UNSPECIFIED.to_ipv6_mapped()),
        Family::V6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    if mode & key_mode::FAMILY_WILDCARD != 0 {
        add(Md5SigRequest::add(any(family), &key_b).with_prefix(0));
    }
    if mode & key_mode::OTHER_FAMILY_WILDCARD != 0 {
        let other = if family == Family::V4 {
            Family::V6
        } else {
            Family::V4
        };
        add(Md5SigRequest::add(any(other), &key_b).with_prefix(0));
    }
    if mode & key_mode::EXACT != 0
        && let Some(src) = src
    {
        let req = Md5SigRequest::add(as_v6(src), &key_a);
        add(if mode & key_mode::BIND_VRF_5 != 0 {
            req.with_ifindex(5)
        } else {
            req
        });
    }
    let mut packet = packet.to_vec();
    if mode & key_mode::SIGN != 0 {
        let key = if mode & key_mode::SIGN_WITH_B != 0 {
            &key_b
        } else {
            &key_a
        };
        if let Ok(signed) = tcpmd5::sign::sign_packet_to_vec(&packet, key) {
            packet = signed;
        }
    }
    Keyed {
        semantics,
        l3index,
        table,
        model,
        packet,
    }
}

/// The verdict for `located` from the models only: the model scan, the
/// model's key for the source, the RFC 2385 digest.
pub(crate) fn model_verdict(
    semantics: Semantics,
    located: &IpSegment<'_>,
    model: &ModelTable,
    l3index: i32,
) -> Verdict {
    let tcp = located.tcp();
    let area = tcp.options();
    let entry = model.lookup(located.addrs.src(), l3index);
    match model_scan(semantics, area) {
        Outcome::Malformed(_) => Verdict::Drop(DropReason::AuthHeader),
        Outcome::Ao(..) => match semantics {
            Semantics::Linux { tcp_ao: true } => Verdict::Drop(DropReason::AoUnexpected),
            // The proposed fix: an AO option counts as no MD5 option.
            Semantics::LinuxAoBypassFixed if entry.is_some() => {
                Verdict::Drop(DropReason::Md5NotFound)
            }
            Semantics::LinuxAoBypassFixed => Verdict::Accept(Acceptance::Unsigned),
            _ => Verdict::Accept(Acceptance::AoNotChecked),
        },
        Outcome::Absent => match entry {
            Some(_) => Verdict::Drop(DropReason::Md5NotFound),
            None => Verdict::Accept(Acceptance::Unsigned),
        },
        Outcome::Md5(at) => match entry {
            None => Verdict::Drop(DropReason::Md5Unexpected),
            Some(e) => {
                let carried = &area[at + 2..at + 18];
                match rfc2385_digest(&located.addrs, located.segment, &e.key) {
                    Some(d) if d[..] == *carried => Verdict::Accept(Acceptance::Signed),
                    _ => Verdict::Drop(DropReason::Md5Failure),
                }
            }
        },
    }
}
