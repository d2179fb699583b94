//! The receiver's decision on one segment, named the way Linux names it.
//!
//! - The authentication check itself: [`Verdict`], [`packet_verdict`]; and
//!   [`VerdictId`], the one spelling of a verdict.
//! - Why a segment is dropped, with the kernel's counter and tracepoint:
//!   [`DropReason`].
//! - Which sockets run the check at all: [`Receiver`], [`receiver_verdict`].
//! - What a timewait socket does with a segment that reaches it:
//!   [`timewait_action`].
//! - The reset sent when no socket takes a segment: [`closed_port_reset`];
//!   and when a listener takes an ACK: [`listener_reset`].

mod checked;
mod closed_port;
mod id;
mod listener_reset;
mod reason;
mod receiver;
mod timewait;

#[cfg(test)]
mod test_packet;

pub use checked::{
    Acceptance, Verdict, decide, packet_verdict, packet_verdict_with, verify_segment,
};
pub use closed_port::{ResetReply, closed_port_reset, reset_listener_port};
pub use id::{ParseVerdictIdError, VerdictId};
pub use listener_reset::listener_reset;
pub use reason::DropReason;
pub use receiver::{Receiver, ReceiverVerdict, receiver_verdict};
pub use timewait::{TimeWaitAction, TimeWaitState, TimeWaitSubstate, timewait_action};
