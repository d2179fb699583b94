//! The daemons' configurations, written from a [`LabSpec`]: each router's
//! sessions with its own address (`local` / `update-source`), the peer's,
//! and the password it holds for the peer. Timers are short (hold 3 s,
//! connect retry 1 s) so that a lab run takes seconds.

use std::net::IpAddr;

use crate::error::LabError;
use crate::spec::{Daemon, LabSpec, Session, Side};

/// The router id of `side` (BGP wants an IPv4 one, whatever the sessions).
pub fn router_id(side: Side) -> &'static str {
    match side {
        Side::A => "192.0.2.1",
        Side::B => "192.0.2.2",
    }
}

/// The configuration of the router on `side`, as bytes (passwords may
/// hold any byte but the daemon's delimiters).
pub fn write(spec: &LabSpec, side: Side) -> Result<Vec<u8>, LabError> {
    match spec.router(side).daemon {
        Daemon::Bird => bird(spec, side),
        Daemon::Frr => frr(spec, side),
    }
}

fn family(addr: IpAddr) -> &'static str {
    match addr {
        IpAddr::V4(_) => "ipv4",
        IpAddr::V6(_) => "ipv6",
    }
}

fn bad(s: &Session, detail: &str) -> LabError {
    LabError::Spec {
        session: s.name.to_owned(),
        detail: detail.to_owned(),
    }
}

/// BIRD 2: one `protocol bgp` per session; a password is a quoted string,
/// taken literally (no `"` or newline inside).
fn bird(spec: &LabSpec, side: Side) -> Result<Vec<u8>, LabError> {
    let me = spec.router(side);
    let peer = spec.router(side.peer());
    let mut out = format!(
        "router id {};\nprotocol device {{ scan time 1; }}\n",
        router_id(side)
    )
    .into_bytes();
    for s in &spec.sessions {
        let name = s.name.replace('-', "_");
        out.extend_from_slice(
            format!(
                "protocol bgp {name} {{\n  local {} as {};\n  neighbor {} as {};\n",
                s.addr(side),
                me.asn,
                s.addr(side.peer()),
                peer.asn
            )
            .as_bytes(),
        );
        if let Some(pw) = s.password(side) {
            if pw.iter().any(|b| matches!(b, b'"' | b'\n' | b'\r')) {
                return Err(bad(s, "a BIRD password cannot hold '\"' or a newline"));
            }
            out.extend_from_slice(b"  password \"");
            out.extend_from_slice(pw);
            out.extend_from_slice(b"\";\n");
        }
        out.extend_from_slice(
            format!(
                "  connect retry time 1;\n  connect delay time 1;\n  hold time 3;\n  keepalive time 1;\n  error wait time 1, 2;\n  {} {{ import all; export none; }};\n}}\n",
                family(s.addr(side))
            )
            .as_bytes(),
        );
    }
    Ok(out)
}

/// FRR: `router bgp` with one neighbor per session; a password is one
/// word (no whitespace inside).
fn frr(spec: &LabSpec, side: Side) -> Result<Vec<u8>, LabError> {
    let me = spec.router(side);
    let peer = spec.router(side.peer());
    let mut out = format!(
        "frr defaults traditional\nhostname {}\nrouter bgp {}\n bgp router-id {}\n no bgp ebgp-requires-policy\n no bgp default ipv4-unicast\n timers bgp 1 3\n",
        side.letter(),
        me.asn,
        router_id(side)
    )
    .into_bytes();
    for s in &spec.sessions {
        let n = s.addr(side.peer());
        out.extend_from_slice(
            format!(
                " neighbor {n} remote-as {}\n neighbor {n} update-source {}\n neighbor {n} timers connect 1\n",
                peer.asn,
                s.addr(side)
            )
            .as_bytes(),
        );
        if let Some(pw) = s.password(side) {
            if pw.iter().any(|b| b.is_ascii_whitespace()) {
                // FRR reads it as one word: a space would cut it short.
                return Err(bad(s, "an FRR password cannot hold a space or a newline"));
            }
            out.extend_from_slice(format!(" neighbor {n} password ").as_bytes());
            out.extend_from_slice(pw);
            out.push(b'\n');
        }
    }
    for fam in ["ipv4", "ipv6"] {
        out.extend_from_slice(format!(" address-family {fam} unicast\n").as_bytes());
        for s in spec.sessions.iter().filter(|s| family(s.a_addr) == fam) {
            out.extend_from_slice(
                format!("  neighbor {} activate\n", s.addr(side.peer())).as_bytes(),
            );
        }
        out.extend_from_slice(b" exit-address-family\n");
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn both_daemons_get_every_session() {
        let spec = LabSpec::operator_mix();
        let a = String::from_utf8(write(&spec, Side::A).unwrap()).unwrap();
        let b = String::from_utf8(write(&spec, Side::B).unwrap()).unwrap();
        assert_eq!(a.matches("protocol bgp ").count(), spec.sessions.len());
        assert!(a.contains("password \"only A has it\";"), "{a}");
        assert!(
            b.contains(" neighbor 10.79.2.1 password Peer-Pass-2O26\n"),
            "{b}"
        );
        assert!(!b.contains("10.79.3.1 password"), "{b}");
    }
}
