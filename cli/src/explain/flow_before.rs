//! What a capture shows of one flow before a frame `explain` is asked
//! about: the connection's ISNs and its sender's TCP-AO SNE.

use std::fs::File;
use std::io::BufReader;

use tcpmd5::AddrPair;
use tcpmd5::ao::{FlowIsns, SneTracker};

use crate::capture::{Next, read_frames};
use crate::error::CliError;
use crate::isn_book::IsnBook;
use crate::segment::{Located, locate};

/// What the capture shows of a segment's flow before its frame: the
/// connection's ISNs and its sender's SNE, tracked as `verify` does.
pub(super) struct FlowBefore {
    /// The connection's ISNs, sender's first.
    pub(super) isns: Option<FlowIsns>,
    /// The sender's SNE tracker, for those ISNs.
    pub(super) tracker: Option<SneTracker>,
}

/// The flow from `addrs.src()`:`sport` before frame `n` of a capture.
pub(super) fn flow_before(
    path: &std::path::Path,
    n: u64,
    addrs: &AddrPair,
    sport: u16,
    dport: u16,
) -> Result<FlowBefore, CliError> {
    let file = File::open(path).map_err(|e| CliError::file(path, &e))?;
    let mut book = IsnBook::default();
    let mut tracked: Option<(FlowIsns, SneTracker)> = None;
    read_frames(BufReader::new(file), |f| {
        if f.number >= n {
            return Next::Stop;
        }
        if let Located::Tcp(s) = locate(f.link, f.data, f.orig_len) {
            let (a, tcp) = (s.addrs(), s.tcp());
            book.learn(&a, s.ip.segment);
            let same_flow = a == *addrs && (tcp.src_port(), tcp.dst_port()) == (sport, dport);
            if let Some(i) = book.isns(addrs, sport, dport).filter(|_| same_flow) {
                // A new connection on the 4-tuple starts a new tracker.
                let t = match &mut tracked {
                    Some((at, t)) if *at == i => t,
                    other => &mut other.insert((i, SneTracker::new(i.src_isn))).1,
                };
                t.accept(tcp.seq_number());
            }
        }
        Next::Continue
    })
    .map_err(|e| CliError::capture(path, e))?;
    let isns = book.isns(addrs, sport, dport);
    Ok(FlowBefore {
        isns,
        // No segment of the flow since its handshake: SNE 0 from its ISN.
        tracker: match tracked {
            Some((i, t)) if Some(i) == isns => Some(t),
            _ => isns.map(|i| SneTracker::new(i.src_isn)),
        },
    })
}
