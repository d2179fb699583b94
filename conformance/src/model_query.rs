//! Every question a case asks the model, kept so the runner can ask it again
//! under other semantics: whether the case shows a known kernel defect
//! ([`crate::known_defect`]) and where the kernel's semantics departs from
//! RFC 2385 ([`crate::deviation`]) are computed from these, never listed by
//! hand.
//!
//! Cases predict through [`receiver_verdict`] and [`packet_verdict`]; each call is
//! logged for the case running on this thread. A worker thread runs one case
//! at a time, and the runner [`take`]s the log around each case body.

use std::cell::RefCell;

use tcpmd5::verdict::{Receiver, ReceiverVerdict};
use tcpmd5::wire::WireError;
use tcpmd5::{KeyTable, Semantics, Verdict};

/// One segment as the model judged it: the packet, the keys of the socket
/// it reached, and what kind of socket that was.
#[derive(Debug, Clone)]
pub struct ModelQuery {
    /// The whole IP packet.
    pub packet: Vec<u8>,
    /// The keys of the receiving socket.
    pub table: KeyTable,
    /// The L3 domain it arrived in (0 outside VRFs).
    pub l3index: i32,
    /// The kind of socket it reached.
    pub receiver: Receiver,
}

impl ModelQuery {
    /// The model's verdict on this segment under `semantics`.
    pub fn verdict(&self, semantics: Semantics) -> Result<ReceiverVerdict, WireError> {
        tcpmd5::verdict::receiver_verdict(
            &self.packet,
            &self.table,
            self.l3index,
            semantics,
            self.receiver,
        )
    }

    /// Whether `a` and `b` give this segment different verdicts: one
    /// accepts and the other drops, or they drop for different reasons (two
    /// kinds of acceptance are one verdict to TCP; a segment the model
    /// cannot parse differs under none).
    pub fn differs(&self, a: Semantics, b: Semantics) -> bool {
        match (self.verdict(a), self.verdict(b)) {
            (Ok(x), Ok(y)) => x.id() != y.id(),
            _ => false,
        }
    }
}

thread_local! {
    static LOG: RefCell<Vec<ModelQuery>> = const { RefCell::new(Vec::new()) };
}

fn log(packet: &[u8], table: &KeyTable, l3index: i32, receiver: Receiver) {
    let query = ModelQuery {
        packet: packet.to_vec(),
        table: table.clone(),
        l3index,
        receiver,
    };
    LOG.with(|log| log.borrow_mut().push(query));
}

/// The model's verdict for `packet` reaching `receiver` whose keys are
/// `table` (`tcpmd5::receiver_verdict`), logged for the running case.
pub(crate) fn receiver_verdict(
    packet: &[u8],
    table: &KeyTable,
    l3index: i32,
    semantics: Semantics,
    receiver: Receiver,
) -> Result<ReceiverVerdict, WireError> {
    log(packet, table, l3index, receiver);
    tcpmd5::verdict::receiver_verdict(packet, table, l3index, semantics, receiver)
}

/// The model's verdict at a listener or full socket
/// (`tcpmd5::packet_verdict`), logged for the running case.
pub(crate) fn packet_verdict(
    packet: &[u8],
    table: &KeyTable,
    l3index: i32,
    semantics: Semantics,
) -> Result<Verdict, WireError> {
    log(packet, table, l3index, Receiver::Socket);
    tcpmd5::packet_verdict(packet, table, l3index, semantics)
}

/// The queries logged on this thread since the last call (and clears them).
pub fn take() -> Vec<ModelQuery> {
    LOG.with(|log| std::mem::take(&mut *log.borrow_mut()))
}
