//! What `watch`'s thread inside the namespace tells the thread that
//! renders.

use tcpmd5_witness::counters::TcpExtCounters;

use crate::drop_event::DropEvent;

/// What the namespace's thread tells the rendering one.
#[derive(Debug)]
pub enum Message {
    /// The counters at the start, and the tracepoints recording (or why
    /// there are none).
    Started {
        /// The baseline.
        counters: TcpExtCounters,
        /// The enabled tracepoints, or why tracing is unavailable.
        tracing: Result<Vec<&'static str>, String>,
    },
    /// A dropped segment.
    Drop(DropEvent),
    /// The counters now; `last` at the end of the watch.
    Counters {
        /// The snapshot.
        counters: TcpExtCounters,
        /// Whether the watch has ended.
        last: bool,
    },
    /// The watch failed.
    Failed(String),
}
