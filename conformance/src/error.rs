//! The error of everything above `harness/`: what the suite was doing when a
//! case could not be decided (a setup step failed, the barrier was lost, the
//! model could not read a segment the suite built). A case that meets one is
//! an error, never a pass or a fail.

use std::error::Error as _;
use std::fmt::Write as _;
use std::io;

use tcpmd5::ao::MasterKeyLenError;
use tcpmd5::wire::WireError;

use crate::harness::ao_sockopt::AoCallError;
use crate::harness::trace::TraceUnavailable;
use crate::harness::{Errno, HarnessError};
use crate::outcome::Finding;

/// Why a case (or the probe) could not be decided. `Display` says what was
/// being done; the cause is `source()`, and [`Error::chain`] prints both.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A lab step failed (namespace, raw frames, counters).
    #[error("{step}")]
    Harness {
        /// What was being done.
        step: &'static str,
        /// The harness's error.
        #[source]
        source: HarnessError,
    },
    /// A socket or file operation failed.
    #[error("{step}")]
    Io {
        /// What was being done.
        step: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A socket option or `/proc` read was refused with an errno.
    #[error("{step}")]
    Errno {
        /// What was being done.
        step: String,
        /// The kernel's answer.
        #[source]
        source: Errno,
    },
    /// A TCP-AO socket option failed or answered what cannot be decoded.
    #[error("{step}")]
    AoSockopt {
        /// What was being done.
        step: String,
        /// The kernel's answer.
        #[source]
        source: AoCallError,
    },
    /// A TCP-AO master key the case chose is too long.
    #[error("a TCP-AO master key")]
    MasterKey(#[source] MasterKeyLenError),
    /// The tracepoints could not be read mid-case.
    #[error("reading the tcp:tcp_hash_* tracepoints")]
    Trace(#[source] TraceUnavailable),
    /// The model could not read a segment the suite built.
    #[error("the model cannot read {what}")]
    Model {
        /// Which segment.
        what: &'static str,
        /// Why.
        #[source]
        source: WireError,
    },
    /// The kernel and the model disagree on a request that only sets a case up.
    #[error("setting up ({request}): kernel {kernel}, model {model}")]
    SetupDisagrees {
        /// The request, without its key.
        request: String,
        /// The kernel's answer.
        kernel: String,
        /// The model's answer.
        model: String,
    },
    /// The barrier did not come back: a drop cannot be told from a loss.
    #[error(
        "the barrier was not answered within {timeout_ms} ms: cannot tell a drop from a loss ({evidence})"
    )]
    BarrierLost {
        /// The bound waited.
        timeout_ms: u128,
        /// What was seen meanwhile.
        evidence: String,
    },
    /// A segment or state a setup step is certain of did not come.
    #[error("{0}")]
    NotSeen(String),
    /// The model gave an answer this case does not handle.
    #[error("{0}")]
    Unmodelled(String),
    /// An address of the other family.
    #[error("{addr} is not an {family} address")]
    WrongFamily {
        /// The address.
        addr: std::net::IpAddr,
        /// The family wanted.
        family: tcpmd5::Family,
    },
}

impl Error {
    /// A mapper for a failed socket or file operation.
    pub fn io(step: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
        let step = step.into();
        move |source| Error::Io { step, source }
    }

    /// A mapper for a failed lab step.
    pub fn harness(step: &'static str) -> impl FnOnce(HarnessError) -> Error {
        move |source| Error::Harness { step, source }
    }

    /// A mapper for an errno.
    pub fn errno(step: impl Into<String>) -> impl FnOnce(Errno) -> Error {
        let step = step.into();
        move |source| Error::Errno { step, source }
    }

    /// A mapper for a failed TCP-AO socket option.
    pub fn ao_sockopt(step: impl Into<String>) -> impl FnOnce(AoCallError) -> Error {
        let step = step.into();
        move |source| Error::AoSockopt { step, source }
    }

    /// A mapper for a segment the model cannot read.
    pub fn model(what: &'static str) -> impl FnOnce(WireError) -> Error {
        move |source| Error::Model { what, source }
    }

    /// The error and its causes: `what was done: why: why`.
    pub fn chain(&self) -> String {
        let mut text = self.to_string();
        let mut cause = self.source();
        while let Some(c) = cause {
            let _ = write!(text, ": {c}");
            cause = c.source();
        }
        text
    }
}

impl From<Error> for Finding {
    fn from(e: Error) -> Finding {
        Finding::error(e.chain())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_names_the_step_and_the_cause() {
        let e =
            Error::io("listen on 10.99.0.1:179")(io::Error::from_raw_os_error(libc::EADDRINUSE));
        assert!(e.source().is_some());
        let text = e.chain();
        assert!(text.starts_with("listen on 10.99.0.1:179: "), "{text}");
        assert!(text.contains("in use"), "{text}");
    }
}
