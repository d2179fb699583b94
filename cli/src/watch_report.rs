//! How `watch` shows what the namespace's thread sends: a line (or JSON
//! record) per drop, counter changes when there are no tracepoints, and the
//! per-peer totals with the counters they must equal.

use std::io::{self, Write};
use std::time::Instant;

use serde::Serialize;
use tcpmd5_witness::counters::{TcpExtCounters, delta};

use crate::args::Format;
use crate::drop_event::DropEvent;
use crate::error::{CliError, Status};
use crate::keys::KeyScope;
use crate::watch_message::Message;
use crate::watch_totals::{
    CounterCheck, PeerTotal, SessionCauses, Totals, counter_checks, watched_counters,
};

/// Why peers cannot be named without the tracepoints.
const NO_PEERS: &str =
    "the namespace's counters say how many segments were dropped and why, but not from which peer";

/// The watch's state on the rendering side.
#[derive(Debug)]
pub struct Report {
    format: Format,
    netns: Option<String>,
    peer: Option<KeyScope>,
    started: Instant,
    baseline: Option<TcpExtCounters>,
    /// The last counters shown (fallback: changes since then are printed).
    last: Option<TcpExtCounters>,
    tracing: bool,
    totals: Totals,
    drops: u64,
    failure: Option<String>,
}

#[derive(Debug, Serialize)]
struct StartRecord<'a> {
    event: &'static str,
    netns: Option<&'a str>,
    tracepoints: &'a [&'static str],
    #[serde(skip_serializing_if = "Option::is_none")]
    fallback: Option<String>,
}

#[derive(Debug, Serialize)]
struct TotalsRecord<'a> {
    event: &'static str,
    last: bool,
    seconds: f64,
    peers_named: bool,
    peers: &'a [PeerTotal],
    sessions: &'a [SessionCauses],
    counters: &'a [CounterCheck],
}

impl Report {
    /// A report in `format`, showing drops from peers in `peer` (all without).
    pub fn new(format: Format, netns: Option<String>, peer: Option<KeyScope>) -> Report {
        Report {
            format,
            netns,
            peer,
            started: Instant::now(),
            baseline: None,
            last: None,
            tracing: false,
            totals: Totals::default(),
            drops: 0,
            failure: None,
        }
    }

    fn shown(&self, d: &DropEvent) -> bool {
        self.peer.is_none_or(|p| {
            p.contains(d.peer_ip()) && p.port_matches(d.peer.port(), d.local.port())
        })
    }

    /// Shows one message, at once (a watch is read as it runs).
    pub fn take(&mut self, message: Message, out: &mut dyn Write) -> io::Result<()> {
        self.show(message, out)?;
        out.flush()
    }

    fn show(&mut self, message: Message, out: &mut dyn Write) -> io::Result<()> {
        match message {
            Message::Started { counters, tracing } => {
                self.baseline = Some(counters.clone());
                self.last = Some(counters);
                self.started = Instant::now();
                self.tracing = tracing.is_ok();
                self.started_line(&tracing, out)
            }
            Message::Drop(d) => {
                let shown = self.shown(&d);
                self.totals.add(&d, shown);
                if shown {
                    self.drops += 1;
                    self.drop_line(&d, out)?;
                }
                Ok(())
            }
            Message::Counters { counters, last } => {
                if !self.tracing {
                    self.counter_changes(&counters, out)?;
                }
                if last || self.tracing {
                    self.totals_lines(&counters, last, out)?;
                }
                self.last = Some(counters);
                Ok(())
            }
            Message::Failed(reason) => {
                self.failure = Some(reason);
                Ok(())
            }
        }
    }

    /// The exit status: 0 nothing dropped, 1 drops seen (by tracepoint or
    /// counter), 4 (error) when nothing could be observed. A failure after
    /// drops were seen is a warning: the drops' status stands.
    pub fn status(&self) -> Result<Status, CliError> {
        if let Some(f) = &self.failure {
            if self.drops == 0 {
                return Err(CliError::Unavailable(format!("watch: {f}")));
            }
            eprintln!("tcpmd5: warning: watch: {f}");
        }
        Ok(if self.drops > 0 {
            Status::Failures
        } else {
            Status::Ok
        })
    }

    fn where_(&self) -> String {
        self.netns
            .as_deref()
            .map_or_else(|| "this namespace".to_owned(), |n| format!("namespace {n}"))
    }

    fn started_line(
        &self,
        tracing: &Result<Vec<&'static str>, String>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let fallback = tracing.as_ref().err().map(|r| {
            let filter = self.peer.map_or_else(String::new, |p| {
                format!(
                    "; --peer {p} cannot apply to counters: their changes are shown \
                         but do not set the exit status"
                )
            });
            format!("tracing unavailable ({r}): {NO_PEERS}{filter}")
        });
        match self.format {
            Format::Json => json_line(
                out,
                &StartRecord {
                    event: "start",
                    netns: self.netns.as_deref(),
                    tracepoints: tracing.as_deref().unwrap_or(&[]),
                    fallback,
                },
            ),
            Format::Human => match tracing {
                Ok(names) => writeln!(
                    out,
                    "watching {} through tracepoints {} (a private trace instance)",
                    self.where_(),
                    names.join(", ")
                ),
                Err(_) => writeln!(
                    out,
                    "watching {} through its counters {}: {}",
                    self.where_(),
                    watched_counters().join(", "),
                    fallback.unwrap_or_default()
                ),
            },
        }
    }

    fn drop_line(&self, d: &DropEvent, out: &mut dyn Write) -> io::Result<()> {
        let (rfc3339, clock) = crate::utc_time::now();
        match self.format {
            Format::Json => json_line(out, &d.record(&rfc3339)),
            Format::Human => {
                write!(
                    out,
                    "{clock}  {} > {} [{}]  {}",
                    d.peer,
                    d.local,
                    d.flags,
                    d.cause.id()
                )?;
                if let Some(c) = d.cause.counter() {
                    write!(out, " ({c})")?;
                }
                match d.cause_id().or(d.cause.undecided()) {
                    Some(cause) => writeln!(out, "  {cause}"),
                    None => writeln!(out),
                }
            }
        }
    }

    /// Fallback: each counter's change since the last reading.
    fn counter_changes(&mut self, now: &TcpExtCounters, out: &mut dyn Write) -> io::Result<()> {
        let Some(last) = self.last.clone() else {
            return Ok(());
        };
        let changes = delta(&last, now);
        let (rfc3339, clock) = crate::utc_time::now();
        for counter in watched_counters() {
            let (Some(n), Some(cause)) = (
                changes.get(counter),
                crate::drop_event::DropCause::of_counter(counter),
            ) else {
                continue;
            };
            // A counter names no peer: with --peer it cannot count.
            if self.peer.is_none() {
                self.drops += u64::try_from(*n).unwrap_or(0);
            }
            match self.format {
                Format::Json => json_line(
                    out,
                    &serde_json::json!({
                        "event": "counter",
                        "time": rfc3339,
                        "counter": counter,
                        "delta": n,
                        "verdict": cause.id(),
                    }),
                )?,
                Format::Human => writeln!(
                    out,
                    "{clock}  {counter} +{n}  {} (peer unknown)",
                    cause.id(),
                )?,
            }
        }
        Ok(())
    }

    fn totals_lines(
        &self,
        now: &TcpExtCounters,
        last: bool,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let Some(base) = &self.baseline else {
            return Ok(());
        };
        let peers = self.totals.peers();
        let sessions = self.totals.sessions();
        let checks = counter_checks(base, now, self.tracing.then_some(&self.totals));
        let seconds = self.started.elapsed().as_secs_f64();
        if self.format == Format::Json {
            return json_line(
                out,
                &TotalsRecord {
                    event: "totals",
                    last,
                    seconds: (seconds * 1000.0).round() / 1000.0,
                    peers_named: self.tracing,
                    peers: &peers,
                    sessions: &sessions,
                    counters: &checks,
                },
            );
        }
        if self.tracing {
            writeln!(out, "per-peer totals after {seconds:.1} s:")?;
            if peers.is_empty() {
                writeln!(out, "  no segment dropped for its MD5/AO options")?;
            }
            for p in &peers {
                writeln!(
                    out,
                    "  {:<24} {:<24} {:>6}  {}",
                    p.peer.to_string(),
                    p.verdict,
                    p.segments,
                    p.counter.unwrap_or("no counter")
                )?;
            }
            for s in &sessions {
                for sentence in &s.sentences {
                    writeln!(out, "  {} <> {}: {sentence}", s.local, s.peer)?;
                }
            }
        } else {
            writeln!(out, "after {seconds:.1} s ({NO_PEERS}):")?;
        }
        writeln!(
            out,
            "counters of the namespace against the drops the tracepoints saw:"
        )?;
        for c in &checks {
            match c.events {
                Some(e) => writeln!(
                    out,
                    "  {:<18} {:+}, {e} drop(s) seen{}",
                    c.counter,
                    c.delta,
                    if i64::try_from(e).is_ok_and(|e| e == c.delta) {
                        ""
                    } else {
                        " (they differ)"
                    }
                )?,
                None => writeln!(out, "  {:<18} {:+}", c.counter, c.delta)?,
            }
        }
        Ok(())
    }
}

fn json_line(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::other)?;
    writeln!(out)?;
    out.flush()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn counters(failures: u64) -> TcpExtCounters {
        TcpExtCounters::parse(&format!(
            "TcpExt: TCPMD5NotFound TCPMD5Unexpected TCPMD5Failure\nTcpExt: 0 0 {failures}\n"
        ))
        .unwrap()
    }

    #[test]
    fn without_tracepoints_counters_and_no_peers() {
        let mut r = Report::new(Format::Human, Some("r1".into()), None);
        let mut out = Vec::new();
        let started = Message::Started {
            counters: counters(5),
            tracing: Err("this kernel has no tcp_hash_* tracepoints".into()),
        };
        r.take(started, &mut out).unwrap();
        r.take(
            Message::Counters {
                counters: counters(8),
                last: false,
            },
            &mut out,
        )
        .unwrap();
        r.take(
            Message::Counters {
                counters: counters(8),
                last: true,
            },
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("through its counters"), "{text}");
        assert!(text.contains("not from which peer"), "{text}");
        assert!(
            text.contains("TCPMD5Failure +3  drop:TCP_MD5FAILURE (peer unknown)"),
            "{text}"
        );
        assert!(text.contains("TCPMD5Failure      +3"), "{text}");
        assert_eq!(r.status().unwrap(), Status::Failures);
    }

    #[test]
    fn peer_filter_shows_its_peers_and_counters_count_all() {
        use crate::drop_event::{DropCause, DropReasonKey};
        use tcpmd5::verdict::DropReason;
        let scope = crate::keys::parse_scope("10.0.0.2").unwrap();
        let mut r = Report::new(Format::Json, None, Some(scope));
        let mut out = Vec::new();
        let started = Message::Started {
            counters: counters(0),
            tracing: Ok(vec!["tcp_hash_md5_mismatch"]),
        };
        r.take(started, &mut out).unwrap();
        for peer in ["10.0.0.2:1000", "10.0.0.3:1000"] {
            let d = DropEvent {
                peer: peer.parse().unwrap(),
                local: "10.0.0.1:179".parse().unwrap(),
                cause: DropCause::Reason(DropReasonKey::of(DropReason::Md5Failure)),
                state: Some("TCP_LISTEN".into()),
                flags: "S".into(),
                l3index: Some(0),
            };
            r.take(Message::Drop(d), &mut out).unwrap();
        }
        r.take(
            Message::Counters {
                counters: counters(2),
                last: true,
            },
            &mut out,
        )
        .unwrap();
        let lines: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let drops: Vec<_> = lines.iter().filter(|l| l["event"] == "drop").collect();
        assert_eq!(drops.len(), 1);
        assert_eq!(drops[0]["peer"], "10.0.0.2:1000");
        assert_eq!(drops[0]["cause"], "digest-fails");
        let totals = lines.last().unwrap();
        assert_eq!(totals["peers"].as_array().unwrap().len(), 1);
        let failure = totals["counters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["counter"] == "TCPMD5Failure")
            .unwrap();
        assert_eq!(
            (failure["delta"].as_i64(), failure["events"].as_i64()),
            (Some(2), Some(2))
        );
    }

    #[test]
    fn a_failure_after_drops_keeps_their_status() {
        let mut r = Report::new(Format::Human, None, None);
        let mut out = Vec::new();
        let started = Message::Started {
            counters: counters(0),
            tracing: Err("no tracepoints".into()),
        };
        r.take(started, &mut out).unwrap();
        r.take(Message::Failed("the trace pipe closed".into()), &mut out)
            .unwrap();
        assert!(r.status().is_err(), "nothing observed: an error");
        r.take(
            Message::Counters {
                counters: counters(1),
                last: false,
            },
            &mut out,
        )
        .unwrap();
        assert_eq!(r.status().unwrap(), Status::Failures);
    }

    #[test]
    fn without_tracepoints_a_peer_filter_leaves_counters_out_of_the_status() {
        let scope = crate::keys::parse_scope("10.0.0.2").unwrap();
        let mut r = Report::new(Format::Human, None, Some(scope));
        let mut out = Vec::new();
        let started = Message::Started {
            counters: counters(0),
            tracing: Err("no tracepoints".into()),
        };
        r.take(started, &mut out).unwrap();
        r.take(
            Message::Counters {
                counters: counters(4),
                last: true,
            },
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("TCPMD5Failure +4"), "{text}");
        assert!(
            text.contains("--peer 10.0.0.2 cannot apply to counters"),
            "{text}"
        );
        assert_eq!(r.status().unwrap(), Status::Ok);
    }
}
