//! Every conformance case, by area.

mod ao_keys;
mod ao_mitigation;
mod checksum;
mod keys;
mod kit;
mod layouts;
mod listener;
mod listener_ack;
mod selfcheck;
mod semantics;
mod session;
mod sockapi;
mod states;
mod tcp_ao;
mod timewait;
mod vrf;

use crate::case::Case;

/// All cases, in report order.
pub fn all() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(selfcheck::cases());
    cases.extend(semantics::cases());
    cases.extend(listener::cases());
    cases.extend(layouts::cases());
    cases.extend(sockapi::cases());
    cases.extend(session::server_cases());
    cases.extend(timewait::cases(timewait::Setup::TimeWait));
    cases.extend(session::client_cases());
    cases.extend(states::cases());
    cases.extend(timewait::cases(timewait::Setup::OrphanFinWait2));
    cases.extend(keys::cases());
    cases.extend(listener_ack::cases());
    cases.extend(ao_mitigation::cases());
    cases.extend(checksum::cases());
    cases.extend(vrf::cases());
    cases.extend(ao_keys::cases());
    cases.extend(tcp_ao::cases());
    cases
}
