//! How the suite words what the model predicts and what the kernel did, in
//! the terms a kernel engineer uses (`signed RST`, `no reply`, `TIME-WAIT`,
//! `drop:TCP_MD5FAILURE`). Every case line and note is built from these, so
//! each concept has one spelling; no Rust `Debug` text reaches a report.

use std::collections::BTreeMap;
use std::io;

use tcpmd5::key_table::{KeyChange, Md5SigRequest};
use tcpmd5::verdict::{ReceiverVerdict, ResetReply, TimeWaitAction, TimeWaitSubstate};
use tcpmd5::wire::TcpFlags;
use tcpmd5::wire::tcp_option::kind;
use tcpmd5::{AuthScan, DropReason, Semantics, Verdict};

use crate::exchange::Reply;
use crate::harness::proc_tcp::TcpRow;

/// A TCP state number (`tcpi_state`, `st` of `/proc/net/tcp`) by its name.
pub(crate) use tcpmd5_witness::tcp_state::kernel_name as tcp_state;

/// A verdict: the library's stable name (`accept`, `drop:TCP_MD5FAILURE`).
/// The one place that spells a verdict for the reports.
pub(crate) fn verdict(v: Verdict) -> String {
    v.id().to_string()
}

/// A drop reason as a verdict (`drop:TCP_MD5NOTFOUND`).
pub(crate) fn drop(r: DropReason) -> String {
    verdict(Verdict::Drop(r))
}

/// The verdict of a receiver that may not check at all (TIME-WAIT).
pub(crate) fn receiver_verdict(v: ReceiverVerdict) -> String {
    match v {
        ReceiverVerdict::Checked(v) => verdict(v),
        ReceiverVerdict::NotChecked => "accept (not checked)".to_owned(),
        ReceiverVerdict::AoRequestMismatch => {
            "drop:TCP_AOFAILURE (the request socket's TCP-AO check)".to_owned()
        }
    }
}

/// Whether a kernel segment carries an MD5 option.
pub(crate) fn is_signed(reply: &Reply) -> bool {
    tcpmd5::wire::TcpPacket::new_checked(&reply.segment[..])
        .is_ok_and(|t| matches!(Semantics::Rfc2385.scan(t.options()), AuthScan::Md5 { .. }))
}

/// TCP flags as a kernel engineer writes them (`SYN ACK`, `RST`, `FIN ACK`);
/// a plain `RST ACK` is an RST.
pub(crate) fn flags(f: TcpFlags) -> String {
    if f.contains(TcpFlags::RST) {
        return "RST".to_owned();
    }
    let mut names = Vec::new();
    for (flag, name) in [
        (TcpFlags::SYN, "SYN"),
        (TcpFlags::FIN, "FIN"),
        (TcpFlags::PSH, "PSH"),
        (TcpFlags::ACK, "ACK"),
    ] {
        if f.contains(flag) {
            names.push(name);
        }
    }
    if names.is_empty() {
        "segment without flags".to_owned()
    } else {
        names.join(" ")
    }
}

/// One kernel segment: `signed ACK`, `AO-signed ACK`, `unsigned RST`.
pub(crate) fn reply(r: &Reply) -> String {
    let how = if is_signed(r) {
        "signed"
    } else if tcpmd5::ao::SegmentAo::find(&r.segment).is_ok() {
        "AO-signed"
    } else {
        "unsigned"
    };
    format!("{how} {}", flags(r.flags))
}

/// The kernel's replies: `no reply`, `signed ACK`, `signed ACK, signed FIN ACK`.
pub(crate) fn replies(rs: &[Reply]) -> String {
    if rs.is_empty() {
        "no reply".to_owned()
    } else {
        rs.iter().map(reply).collect::<Vec<_>>().join(", ")
    }
}

/// Replies with their numbers, for the evidence.
pub(crate) fn replies_detail(rs: &[Reply]) -> String {
    if rs.is_empty() {
        return "no reply".to_owned();
    }
    rs.iter()
        .map(|r| format!("{} seq {:#x} ack {:#x}", reply(r), r.seq, r.ack))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Counter changes: `TCPMD5NotFound +1`, or `no counter moved`.
pub(crate) fn counters(c: &BTreeMap<String, i64>) -> String {
    if c.is_empty() {
        return "no counter moved".to_owned();
    }
    c.iter()
        .map(|(name, d)| format!("{name} {d:+}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Counter changes given as pairs.
pub(crate) fn counter_pairs(c: &[(&String, &i64)]) -> String {
    c.iter()
        .map(|(name, d)| format!("{name} {d:+}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Tracepoint events: `tcp:tcp_hash_md5_required`, `no tracepoint`, or
/// `tracepoints unavailable`.
pub(crate) fn trace(events: Option<&[String]>) -> String {
    match events {
        None => "tracepoints unavailable".to_owned(),
        Some([]) => "no tracepoint".to_owned(),
        Some(e) => tracepoints(e),
    }
}

/// Tracepoint names as `tcp:` events.
pub(crate) fn tracepoints<S: AsRef<str>>(names: &[S]) -> String {
    if names.is_empty() {
        return "none".to_owned();
    }
    names
        .iter()
        .map(|n| format!("tcp:{}", n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A timewait socket's substate.
pub(crate) fn substate(s: TimeWaitSubstate) -> &'static str {
    match s {
        TimeWaitSubstate::FinWait2 => "FIN-WAIT-2",
        TimeWaitSubstate::TimeWait => "TIME-WAIT",
    }
}

/// A connection's row of `/proc/net/tcp`: `timewait socket in TIME-WAIT`,
/// `full socket in ESTABLISHED`, `no socket`.
pub(crate) fn proc_row(row: Option<TcpRow>) -> String {
    match row {
        None => "no socket".to_owned(),
        Some(r) if r.is_timewait_sock() => format!(
            "timewait socket in {}{}",
            tcp_state(r.state),
            if r.inode == 0 { "" } else { " with an inode" }
        ),
        Some(r) => format!(
            "full socket in {} (timer {}, {})",
            tcp_state(r.state),
            r.timer,
            if r.inode == 0 {
                "no descriptor"
            } else {
                "a descriptor"
            }
        ),
    }
}

/// What a timewait socket does (`tcp_timewait_state_process`).
pub(crate) fn timewait_action(a: TimeWaitAction) -> &'static str {
    match a {
        TimeWaitAction::Ack {
            enters_time_wait: false,
        } => "ACK",
        TimeWaitAction::Ack {
            enters_time_wait: true,
        } => "ACK, enter TIME-WAIT",
        TimeWaitAction::ResetAndKill => "RST and kill",
        TimeWaitAction::Kill => "kill silently",
        TimeWaitAction::Reopen => "hand to a listener",
        TimeWaitAction::Ignore => "ignore",
    }
}

/// The reset the kernel sends for a closed port.
pub(crate) fn reset_reply(r: &ResetReply) -> &'static str {
    match r {
        ResetReply::None => "no reply",
        ResetReply::Unsigned => "unsigned RST",
        ResetReply::Signed(_) => "signed RST",
    }
}

/// What the application reads from a non-blocking socket.
pub(crate) fn read(r: &io::Result<Option<Vec<u8>>>) -> String {
    match r {
        Ok(None) => "nothing to read".to_owned(),
        Ok(Some(b)) if b.is_empty() => "EOF".to_owned(),
        Ok(Some(b)) => format!("{} bytes", b.len()),
        Err(e) => match e.raw_os_error() {
            Some(n) => crate::harness::Errno(n).name(),
            None => e.to_string(),
        },
    }
}

/// A `TCP_MD5SIG(_EXT)` request, without its key: `add key for 10.99.0.2/32`.
pub(crate) fn request(r: &Md5SigRequest) -> String {
    let op = if r.keylen == 0 { "delete" } else { "add" };
    format!("{op} key for {}/{}", r.addr, r.prefixlen)
}

/// A key-table change.
pub(crate) fn key_change(c: KeyChange) -> &'static str {
    match c {
        KeyChange::Added => "key added",
        KeyChange::Replaced => "key replaced",
        KeyChange::Deleted => "key deleted",
    }
}

/// Option kinds by name: `NOP NOP MD5 MSS`.
pub(crate) fn option_kinds(kinds: &[u8]) -> String {
    kinds
        .iter()
        .map(|k| match k {
            &kind::EOL => "EOL".to_owned(),
            &kind::NOP => "NOP".to_owned(),
            &kind::MSS => "MSS".to_owned(),
            &kind::WINDOW_SCALE => "WS".to_owned(),
            &kind::SACK_PERMITTED => "SACK-permitted".to_owned(),
            &kind::SACK => "SACK".to_owned(),
            &kind::TIMESTAMPS => "TS".to_owned(),
            &kind::MD5 => "MD5".to_owned(),
            &kind::AO => "AO".to_owned(),
            other => format!("kind-{other}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Bytes in hex, space separated.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::debug_markers;

    #[test]
    fn words_carry_no_debug_text() {
        let samples = [
            verdict(Verdict::Drop(DropReason::Md5Failure)),
            receiver_verdict(ReceiverVerdict::NotChecked),
            tcp_state(6),
            proc_row(None),
            timewait_action(TimeWaitAction::Ack {
                enters_time_wait: true,
            })
            .to_owned(),
            reset_reply(&ResetReply::None).to_owned(),
            read(&Ok(None)),
            counters(&BTreeMap::new()),
            trace(None),
            trace(Some(&["tcp_hash_md5_required".to_owned()])),
            option_kinds(&[1, 1, 19, 2]),
        ];
        for s in samples {
            assert!(debug_markers(&s).is_empty(), "{s}");
        }
        assert_eq!(
            verdict(Verdict::Drop(DropReason::Md5Failure)),
            "drop:TCP_MD5FAILURE"
        );
        assert_eq!(tcp_state(6), "TIME-WAIT");
        assert_eq!(flags(TcpFlags::RST | TcpFlags::ACK), "RST");
        assert_eq!(flags(TcpFlags::FIN | TcpFlags::ACK), "FIN ACK");
    }

    #[test]
    fn debug_markers_are_found() {
        assert_eq!(debug_markers("trace Some([])"), vec!["Some("]);
        assert!(!debug_markers("TcpRow { state: 6 }").is_empty());
    }
}
