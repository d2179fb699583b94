//! What the case areas are built from: the lab's listener and probes
//! ([`common`]), a live connection driven by the peer ([`conn`]) and the
//! closing states reached from it ([`closing`]) and the segments sent to
//! a timewait socket ([`tw_probe`]). Areas import kits, never
//! each other.

pub(super) mod ao;
pub(super) mod ao_repair;
pub(super) mod ao_steps;
pub(super) mod closing;
pub(super) mod common;
pub(super) mod conn;
pub(super) mod replies;
pub(super) mod tw_probe;
