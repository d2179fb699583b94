//! `verdict`: four control bytes choose the semantics, the arrival L3
//! domain and the keys a socket holds (and may sign the packet first, see
//! [`keyed`]); the rest is an IP packet. `packet_verdict` must equal the
//! verdict recomputed from the model scan, the model key lookup and the
//! RFC 2385 digest; its `VerdictId` reads back as itself.

use tcpmd5::verdict::VerdictId;
use tcpmd5::wire::IpSegment;
use tcpmd5::{Acceptance, Checksums, Verdict, packet_verdict_with, segment_digest};

use super::keyed::{PREFIX_LEN, keyed, model_verdict};
use crate::scan_model::{classify, model_scan};

/// The entry point: `[semantics, l3 domain, key mode, key length]` (see
/// [`keyed`]) then an IP packet.
pub fn run(data: &[u8]) {
    let Some((prefix, packet)) = data.split_first_chunk::<PREFIX_LEN>() else {
        return;
    };
    let socket = keyed(*prefix, packet);
    let (semantics, l3index) = (socket.semantics, socket.l3index);
    // The MD5 stage only: random bytes rarely carry a right checksum.
    let result = packet_verdict_with(
        &socket.packet,
        &socket.table,
        l3index,
        semantics,
        Checksums::Skip,
    );
    let Ok(located) = IpSegment::parse(&socket.packet) else {
        assert!(
            result.is_err(),
            "verdict for an unparseable packet: {result:?}"
        );
        return;
    };
    let verdict = result.expect("a parseable packet has a verdict");
    let entry = socket.table.lookup(located.addrs.src(), l3index);
    let model_entry = socket.model.lookup(located.addrs.src(), l3index);
    assert_eq!(entry.is_some(), model_entry.is_some(), "key lookup differs");
    if let (Some(l), Some(m)) = (entry, model_entry) {
        assert!(m.matches(l), "key lookup differs: {l:?} vs {m:?}");
    }
    let tcp = located.tcp();
    let scan = semantics.scan(tcp.options());
    assert_eq!(
        classify(&scan),
        model_scan(semantics, tcp.options()),
        "{semantics}: scan differs from the model"
    );
    let expected = model_verdict(semantics, &located, &socket.model, l3index);
    assert_eq!(
        verdict, expected,
        "{semantics}: scan {scan:?}, key {entry:?}"
    );
    // Every drop is visible to the suite through a counter or a tracepoint,
    // and its name and message carry the kernel's reason.
    assert_eq!(verdict.is_accept(), matches!(verdict, Verdict::Accept(_)));
    assert!(!verdict.to_string().is_empty());
    if let Verdict::Drop(reason) = verdict {
        assert!(
            reason.counter().is_some() || reason.tracepoint().is_some(),
            "{reason:?} has no witness"
        );
        assert!(verdict.id().to_string().ends_with(reason.kernel_name()));
        assert!(verdict.to_string().contains(&reason.to_string()));
    }
    // The one spelling of the verdict reads back as itself, and nothing
    // else does.
    let id = verdict.id();
    assert_eq!(id.to_string().parse::<VerdictId>(), Ok(id));
    assert!(VerdictId::all().any(|known| known == id));
    let unknown = format!("{id}:x");
    let err = unknown.parse::<VerdictId>().expect_err("no id ends in :x");
    assert!(err.to_string().contains(&unknown), "{err}");
    if verdict == Verdict::Accept(Acceptance::Signed) {
        let e = entry.expect("signed implies a key");
        let d = segment_digest(&located.addrs, located.segment, &e.key).expect("digest");
        assert_eq!(scan.md5_digest(), Some(&d));
    }
}
