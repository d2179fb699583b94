//! `verify` with TCP-AO keys: every AO-relevant segment of the capture
//! checked in capture order (one pass of its own, after the MD5 one: the
//! traffic keys need each connection's ISNs from its SYN and SYN-ACK, and
//! the SNE its sequence numbers, in order). Per flow: how many verified,
//! failed (by drop reason, with the first frame and why), and were left
//! unchecked (with why: the handshake was not captured). Only run when AO
//! keys are given, so MD5-only output is unchanged.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::net::SocketAddr;
use std::path::Path;

use serde::Serialize;
use tcpmd5::ao::{AoLocation, AoVerdict, SneTracker, locate, lookup_address};

use crate::ao_check::{AoCheck, AoResult, IsnSource, Sne, check};
use crate::assess::prepare;
use crate::capture::{CaptureError, Next, read_frames};
use crate::isn_book::IsnBook;
use crate::keys::AoKeySpec;
use crate::keys::KeyRing;
use crate::segment::{Located, locate as locate_segment};

/// Segments of one kind in a flow: how many, the first one's frame, why.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Tally {
    pub(super) count: u64,
    pub(super) first_frame: u64,
    pub(super) reason: String,
}

impl Tally {
    fn first(frame: u64, check: &AoCheck) -> Tally {
        Tally {
            count: 0,
            first_frame: frame,
            reason: check.reason.clone(),
        }
    }
}

/// One flow's AO results.
#[derive(Debug, Clone, Default, Serialize)]
pub(super) struct AoFlow {
    /// Segments whose MAC verified.
    pub(super) verified: u64,
    /// Drops, by verdict id.
    pub(super) dropped: BTreeMap<String, Tally>,
    /// Segments left unchecked.
    pub(super) unchecked: Option<Tally>,
    /// Key rotations asked for (RNextKeyID differing from the key's).
    pub(super) rotation_requests: u64,
}

/// The AO results of a capture, by flow (`src > dst`).
#[derive(Debug, Clone, Default, Serialize)]
pub(super) struct AoAudit {
    /// By flow.
    pub(super) flows: BTreeMap<String, AoFlow>,
    /// AO keys given, by label.
    pub(super) keys: Vec<String>,
}

impl AoAudit {
    /// Whether any segment was dropped.
    pub(super) fn failed(&self) -> bool {
        self.flows.values().any(|f| !f.dropped.is_empty())
    }

    /// Whether any segment was checked.
    pub(super) fn checked_any(&self) -> bool {
        self.flows
            .values()
            .any(|f| f.verified > 0 || !f.dropped.is_empty())
    }

    /// The human section.
    pub(super) fn human(&self) -> String {
        let mut t = format!("\nTCP-AO (linux-ao; keys: {}):\n", self.keys.join(", "));
        if self.flows.is_empty() {
            t.push_str("  no segment carries a TCP-AO option, and none comes from a peer an AO key covers\n");
        }
        for (flow, f) in &self.flows {
            t.push_str(&format!("  {flow}: {} verified", f.verified));
            for (id, d) in &f.dropped {
                t.push_str(&format!(
                    "; {id} x{} (first frame {}: {})",
                    d.count, d.first_frame, d.reason
                ));
            }
            if let Some(u) = &f.unchecked {
                t.push_str(&format!(
                    "; {} unchecked (first frame {}: {})",
                    u.count, u.first_frame, u.reason
                ));
            }
            if f.rotation_requests > 0 {
                t.push_str(&format!(
                    "; {} asked for another key (RNextKeyID)",
                    f.rotation_requests
                ));
            }
            t.push('\n');
        }
        t
    }
}

/// Checks the AO segments of the capture at `path` with `keys`.
pub(super) fn audit(
    path: &Path,
    keys: &[AoKeySpec],
    md5_keys: &mut KeyRing,
) -> Result<AoAudit, CaptureError> {
    let file = File::open(path).map_err(|e| CaptureError {
        offset: 0,
        detail: e.to_string(),
    })?;
    let mut out = AoAudit {
        keys: keys.iter().map(AoKeySpec::label).collect(),
        ..AoAudit::default()
    };
    let mut book = IsnBook::default();
    // By flow and connection (its ISNs): a new connection on the same
    // 4-tuple starts from its own ISN with SNE 0.
    let mut sne: BTreeMap<(String, u32, u32), SneTracker> = BTreeMap::new();
    read_frames(BufReader::new(file), |f| {
        let Located::Tcp(seg) = locate_segment(f.link, f.data, f.orig_len) else {
            return Next::Continue;
        };
        let addrs = seg.addrs();
        let segment = seg.ip.segment;
        book.learn(&addrs, segment);
        let tcp = seg.tcp();
        let (sport, dport) = (tcp.src_port(), tcp.dst_port());
        let signed_ao = matches!(locate(tcp.options()), Ok(AoLocation::Ao { .. }) | Err(_));
        let covered = keys.iter().any(|k| {
            k.scope.port_matches(sport, dport) && k.mkt.covers(lookup_address(addrs.src()), 0)
        });
        if !signed_ao && !covered {
            return Next::Continue;
        }
        let flow = format!(
            "{} > {}",
            SocketAddr::new(addrs.src(), sport),
            SocketAddr::new(addrs.dst(), dport)
        );
        let isns = match book.isns(&addrs, sport, dport) {
            Some(i) => IsnSource::Known(i, "from the connection's SYN and SYN-ACK"),
            None => IsnSource::Unknown(
                "the capture does not show (its SYN and SYN-ACK were not captured)",
            ),
        };
        let connection = match isns {
            IsnSource::Known(i, _) => Some((flow.clone(), i.src_isn, i.dst_isn)),
            IsnSource::Unknown(_) => None,
        };
        let tracker = connection
            .as_ref()
            .map(|c| *sne.entry(c.clone()).or_insert_with(|| SneTracker::new(c.1)));
        let seq = tcp.seq_number();
        let this_sne = tracker.map_or(0, |t| t.sne_of(seq));
        let md5_key = prepare(&seg, md5_keys).key().is_some();
        let this_sne = Sne::Known(this_sne, "tracked through the capture");
        let result: AoCheck = check(keys, &addrs, segment, isns, this_sne, md5_key);
        let entry = out.flows.entry(flow.clone()).or_default();
        match result.verdict {
            AoResult::Checked(AoVerdict::Signed { .. }) => {
                entry.verified += 1;
                if result.rnext_request.is_some() {
                    entry.rotation_requests += 1;
                }
                if let Some(t) = connection.as_ref().and_then(|c| sne.get_mut(c)) {
                    t.accept(seq);
                }
            }
            AoResult::Unchecked => {
                entry
                    .unchecked
                    .get_or_insert_with(|| Tally::first(f.number, &result))
                    .count += 1;
            }
            v if result.dropped() => {
                entry
                    .dropped
                    .entry(v.id())
                    .or_insert_with(|| Tally::first(f.number, &result))
                    .count += 1;
            }
            // Accepted unsigned, or MD5 (the MD5 pass reports it).
            _ => {}
        }
        Next::Continue
    })?;
    out.flows
        .retain(|_, f| f.verified > 0 || !f.dropped.is_empty() || f.unchecked.is_some());
    Ok(out)
}
