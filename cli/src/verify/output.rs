//! A judged segment written out: its line (with `--frames`, or a JSON
//! record), its connection's counts and its session's evidence.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::json;
use tcpmd5::verdict::{DropReason, Verdict, VerdictId};
use tcpmd5::wire::TcpFlags;

use crate::args::{Format, VerifyArgs};
use crate::assess::{Assessment, Status, syn_kind};
use crate::diagnosis::Evidence;
use crate::keys::KeyRing;
use crate::segment::Segment;
use crate::summary::{Counts, Summary};

use super::flow::{ChunkConnection, Flow, Said, Spelled};

/// A chunk's output text and summary, being written.
pub(super) struct Output<'a> {
    pub(super) args: &'a VerifyArgs,
    pub(super) keys: &'a KeyRing,
    pub(super) text: &'a mut Vec<u8>,
    pub(super) summary: &'a mut Summary,
    /// The chunk's connections, each once, in order of appearance (a
    /// flow knows its slot).
    pub(super) connections: &'a mut Vec<ChunkConnection>,
    pub(super) chunk: u64,
    pub(super) flags: &'a mut Spelled<TcpFlags>,
    pub(super) verdicts: &'a mut Spelled<VerdictId>,
}

/// Appends `text`, then spaces up to `width` bytes (`{:<width}`).
fn padded(out: &mut Vec<u8>, text: &[u8], width: usize) {
    out.extend_from_slice(text);
    out.resize(out.len() + width.saturating_sub(text.len()), b' ');
}

impl Output<'_> {
    /// Counts the segment into its session's evidence.
    fn evidence(&mut self, seg: &Segment<'_>, flow: &Flow, a: &Assessment, partial: bool) {
        let keys = self.keys;
        let (x, y) = flow.session;
        let e = self
            .summary
            .sessions
            .entry(flow.session)
            .or_insert_with(|| {
                let mut e = Evidence::new(x, y);
                e.a_name = keys.name_of(x, y);
                e.b_name = keys.name_of(y, x);
                e
            });
        let d = e.from_mut(flow.from);
        let tcp = seg.tcp();
        let (syn, syn_ack) = syn_kind(tcp.flags());
        d.segments += 1;
        d.syns += u64::from(syn);
        d.syn_acks += u64::from(syn_ack);
        d.partial_checksums += u64::from(partial);
        match (a.status, a.verdict) {
            (Status::Valid | Status::Unsigned, _) => {
                d.accepted += 1;
                d.accepted_payload += u64::from(!tcp.payload().is_empty());
            }
            (Status::Invalid, Some(v)) => d.add_drop(v),
            (Status::Invalid, None) | (Status::Unchecked, _) => d.unchecked += 1,
            (Status::Bypass, _) => d.bypass += 1,
        }
        let label = |i: usize| keys.spec(i).map(|s| s.label().to_owned());
        if a.status == Status::Valid
            && let Some(l) = a.key.and_then(label)
        {
            *d.verified_by.entry(l).or_default() += 1;
        }
        if let Some((i, senders)) = a.verified_with
            && let Some(l) = label(i)
        {
            *d.verified_by.entry(l).or_default() += 1;
            if senders && a.verdict == Some(Verdict::Drop(DropReason::Md5Failure)) {
                d.failures_with_senders_key += 1;
            }
        }
    }

    /// The chunk's counts of the flow's connection.
    fn connection(&mut self, flow: &mut Flow) -> Option<&mut ChunkConnection> {
        let slot = match flow.slot {
            Some((chunk, slot)) if chunk == self.chunk => slot,
            _ => {
                // Both directions of a connection share its slot.
                let slot = match self
                    .connections
                    .iter()
                    .position(|c| c.id == flow.connection)
                {
                    Some(slot) => slot,
                    None => {
                        self.connections.push(ChunkConnection {
                            id: flow.connection,
                            counts: Counts::default(),
                            keys: Vec::new(),
                            drops: BTreeMap::new(),
                        });
                        self.connections.len() - 1
                    }
                };
                flow.slot = Some((self.chunk, slot));
                slot
            }
        };
        self.connections.get_mut(slot)
    }

    pub(super) fn segment(
        &mut self,
        number: u64,
        seg: &Segment<'_>,
        flow: &mut Flow,
        a: &Assessment,
    ) {
        let tcp = seg.tcp();
        // Carries an MD5 option, read as its sender wrote it.
        let signed = tcpmd5::sign::locate_md5_option(tcp.options()).is_some();
        let decided = match a.status {
            Status::Valid | Status::Invalid | Status::Bypass => true,
            Status::Unsigned => a.receiver_known,
            Status::Unchecked => false,
        };
        let summary = &mut *self.summary;
        summary.totals.add(a.status, signed, decided);
        let partial = a.checksum_note.is_some_and(|r| r.partial);
        summary.partial_checksums += u64::from(partial);
        self.evidence(seg, flow, a, partial);
        let Some(conn) = self.connection(flow) else {
            return;
        };
        conn.counts.add(a.status, signed, decided);
        if a.status == Status::Valid
            && let Some(k) = a.key
            && !conn.keys.contains(&k)
        {
            conn.keys.push(k);
        }
        if a.status.fails()
            && let Some(v) = a.verdict
        {
            *conn.drops.entry(v.id().to_string()).or_default() += 1;
        }
        let human = self.args.format == Format::Human;
        if human && !self.args.frames
            || self.args.quiet && !a.status.fails() && a.status != Status::Unchecked
        {
            return;
        }
        let label = a.key.and_then(|i| self.keys.spec(i)).map(|s| s.label());
        let flags = tcp.flags();
        match self.args.format {
            Format::Json => {
                let record = json!({
                    "frame": number,
                    "src": flow.src,
                    "dst": flow.dst,
                    "flags": flags.to_string(),
                    "status": a.status.id(),
                    "verdict": a.verdict.map(|v| v.id().to_string()),
                    "reason": a.reason,
                    "key": label,
                    "notes": a.all_notes(),
                });
                let _ = writeln!(self.text, "{record}");
            }
            Format::Human => {
                // `#{number:<6} {src} > {dst} {flags} {status:<9} {verdict}:
                // {reason}[, key {key}]`, pieced together from the flow's
                // middle and (most often) the end of its last line: this
                // line is most of the tool's work per segment after the
                // digest.
                let said = Said {
                    flags,
                    status: a.status,
                    verdict: a.verdict.map(|v| v.id()),
                    key: a.key,
                    reason: match &a.reason {
                        std::borrow::Cow::Borrowed(r) => (r.as_ptr() as usize, r.len()),
                        std::borrow::Cow::Owned(_) => (0, 0),
                    },
                };
                if said.reason == (0, 0) || flow.tail.as_ref().is_none_or(|(s, _)| *s != said) {
                    let mut t = Vec::new();
                    t.extend_from_slice(self.flags.get(flags).as_bytes());
                    t.push(b' ');
                    padded(&mut t, a.status.id().as_bytes(), 9);
                    t.push(b' ');
                    match said.verdict {
                        Some(v) => t.extend_from_slice(self.verdicts.get(v).as_bytes()),
                        None => t.push(b'-'),
                    }
                    t.extend_from_slice(b": ");
                    t.extend_from_slice(a.reason.as_bytes());
                    if let Some(k) = label
                        && a.status == Status::Valid
                    {
                        t.extend_from_slice(b", key ");
                        t.extend_from_slice(k.as_bytes());
                    }
                    t.push(b'\n');
                    flow.tail = Some((said, t));
                }
                let out = &mut *self.text;
                out.push(b'#');
                padded(out, itoa::Buffer::new().format(number).as_bytes(), 6);
                out.push(b' ');
                out.extend_from_slice(&flow.head);
                if let Some((_, t)) = &flow.tail {
                    out.extend_from_slice(t);
                }
            }
        }
        if self.args.format == Format::Human {
            // A partial checksum is counted in the summary instead.
            let shown = a
                .checksum_note
                .filter(|r| !r.partial)
                .and_then(|r| r.problem());
            for note in shown.iter().chain(&a.notes) {
                let _ = writeln!(self.text, "        note: {note}");
            }
        }
    }
}
