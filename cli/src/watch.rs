//! `tcpmd5 watch`: each segment the kernel drops for its MD5/AO options, as
//! it happens, with the peer, the reason and the counter, then per-peer
//! totals — read from the `tcp:tcp_hash_*` tracepoints of a private trace
//! instance inside the namespace's thread; on kernels without them, the
//! namespace's counters (which cannot name peers). The instance (and a
//! private tracefs mount) is removed when the watch ends, on Ctrl-C too.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tcpmd5_witness::counters::TcpExtCounters;
use tcpmd5_witness::trace::{self, DROP_EVENTS, TraceSession};

use crate::args::WatchArgs;
use crate::drop_event::DropEvent;
use crate::error::{CliError, Status};
use crate::keys::{KeyScope, parse_scope};
use crate::watch_message::Message;
use crate::watch_report::Report;

/// How often the trace pipe (or, without tracepoints, the counters) is read.
const POLL: Duration = Duration::from_millis(100);

/// Runs `tcpmd5 watch`.
pub fn run(args: &WatchArgs, out: &mut dyn Write) -> Result<Status, CliError> {
    let peer: Option<KeyScope> = args
        .peer
        .as_deref()
        .map(|p| parse_scope(p).map_err(|e| CliError::argument(format!("--peer {p}"), e)))
        .transpose()?;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .map_err(|e| CliError::Unavailable(format!("signal handler: {e}")))?;
    }
    let (tx, rx) = mpsc::channel();
    let duration = args.duration.map(Duration::from_secs_f64);
    let interval = args.interval.map(Duration::from_secs_f64);
    let thread_stop = Arc::clone(&stop);
    let handle = crate::netns::spawn_in(args.netns.clone(), move || {
        observe(&tx, &thread_stop, duration, interval);
    })
    .map_err(CliError::from_netns)?;
    let mut report = Report::new(args.format, args.netns.clone(), peer);
    let mut result = Ok(());
    for message in rx {
        if let Err(e) = report.take(message, out) {
            // A closed stdout ends the watch (and removes the instance).
            stop.store(true, Ordering::Relaxed);
            result = Err(e);
        }
    }
    match handle.join() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(CliError::from_netns(e)),
        Err(_) => return Err(CliError::Unavailable("the watching thread failed".into())),
    }
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Status::Ok),
        Err(e) => Err(CliError::stdout(e)),
        Ok(()) => report.status(),
    }
}

/// The namespace's side: records until `stop` or `duration`, sending
/// drops and counters. Runs inside the namespace.
fn observe(
    tx: &mpsc::Sender<Message>,
    stop: &AtomicBool,
    duration: Option<Duration>,
    interval: Option<Duration>,
) {
    // The baseline first: a drop between it and the tracepoints being
    // enabled is then in the counters' delta too (the reverse order would
    // trace a drop the delta misses).
    let baseline = TcpExtCounters::read();
    let session = match tcpmd5_witness::netns_cookie::current() {
        Ok(cookie) => TraceSession::start_with(cookie, &DROP_EVENTS).map_err(|e| e.reason),
        Err(e) => Err(format!("getsockopt(SO_NETNS_COOKIE): {e}")),
    };
    let counters = match baseline {
        Ok(c) => c,
        Err(e) => {
            let _ = tx.send(Message::Failed(format!(
                "the namespace's counters cannot be read ({e}){}",
                session
                    .as_ref()
                    .err()
                    .map(|r| format!(", and tracing is unavailable: {r}"))
                    .unwrap_or_default()
            )));
            drop(session);
            trace::close();
            return;
        }
    };
    let tracing = session
        .as_ref()
        .map(|s| s.enabled().to_vec())
        .map_err(Clone::clone);
    let mut failed = tx.send(Message::Started { counters, tracing }).is_err();
    let start = Instant::now();
    let mut next_counters = start + interval.unwrap_or(POLL);
    while !failed && !stop.load(Ordering::Relaxed) {
        if duration.is_some_and(|d| start.elapsed() >= d) {
            break;
        }
        if let Ok(s) = &session {
            failed = send_drops(tx, s);
        }
        // Without tracepoints the counters are all there is: read them at
        // every poll so their changes are shown as they happen.
        let due = session.is_err() || interval.is_some();
        if due && Instant::now() >= next_counters {
            next_counters += interval.unwrap_or(POLL);
            match TcpExtCounters::read() {
                Ok(counters) => {
                    failed |= tx
                        .send(Message::Counters {
                            counters,
                            last: false,
                        })
                        .is_err();
                }
                Err(e) => failed |= tx.send(Message::Failed(e.to_string())).is_err(),
            }
        }
        let left = duration.map_or(POLL, |d| d.saturating_sub(start.elapsed()));
        std::thread::sleep(left.min(POLL));
    }
    if let Ok(s) = &session {
        failed |= send_drops(tx, s);
    }
    if !failed {
        let _ = match TcpExtCounters::read() {
            Ok(counters) => tx.send(Message::Counters {
                counters,
                last: true,
            }),
            Err(e) => tx.send(Message::Failed(e.to_string())),
        };
    }
    drop(session);
    trace::close();
}

/// Sends the drops recorded since the last call; true when the receiver
/// is gone or the trace cannot be read (reported).
fn send_drops(tx: &mpsc::Sender<Message>, session: &TraceSession) -> bool {
    match session.take() {
        Ok(events) => events
            .iter()
            .filter_map(DropEvent::from_trace)
            .any(|d| tx.send(Message::Drop(d)).is_err()),
        Err(e) => {
            let _ = tx.send(Message::Failed(e.to_string()));
            true
        }
    }
}
