//! What `tcpmd5 sockets` reports, gathered inside the namespace: each TCP
//! socket holding MD5 keys, each key's scope, length and fingerprint (the
//! key bytes are compared and fingerprinted here, then dropped), whether it
//! equals the configured key, and the keyless sockets worth a line.

use std::net::{IpAddr, SocketAddr, UdpSocket};

use serde::Serialize;
use subtle::ConstantTimeEq;

use crate::fingerprint::{Fingerprint, Salt};
use crate::inet_diag::{DiagSocket, unmap};
use crate::keys::KeyRing;
use crate::md5sig_attr::SocketKey;
use crate::owners::{Owner, Owners};
use tcpmd5_witness::tcp_state::TcpState;

/// One socket in the report.
#[derive(Debug, Clone, Serialize)]
pub struct SocketEntry {
    /// `LISTEN`, `ESTAB`, `SYN-SENT`, … (as `ss` spells them).
    pub state: String,
    /// Local address and port.
    pub local: SocketAddr,
    /// Remote address and port (unspecified for a listener).
    pub remote: SocketAddr,
    /// The device (VRF) the socket is bound to, if any.
    pub device: Option<String>,
    /// The process holding it, where it can be found.
    pub owner: Option<Owner>,
    /// Its MD5 keys.
    pub keys: Vec<KeyEntry>,
}

/// One key of a socket, without its bytes.
#[derive(Debug, Clone, Serialize)]
pub struct KeyEntry {
    /// The peers it applies to: `ADDR/PREFIX`.
    pub scope: String,
    /// The key's length in bytes.
    pub len: usize,
    /// Its fingerprint.
    pub fingerprint: Fingerprint,
    /// What the fingerprint is salted with (the same on both routers of a
    /// peering).
    pub salt: String,
    /// How it compares with the configured keys, when keys were given.
    pub configured: Option<Configured>,
    /// Salted with a prefix, not a peering: its fingerprint is not
    /// comparable with a /32 key's.
    #[serde(skip)]
    pub prefix_salted: bool,
}

/// A socket key against the keys given on the command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Configured {
    /// The same bytes as the configured key.
    Equal {
        /// The configured key (scope and where it was given).
        key: String,
    },
    /// Different bytes.
    Differs {
        /// The configured key.
        key: String,
    },
    /// No configured key covers the scope.
    NotConfigured,
}

/// A keyless socket toward peers that have keys elsewhere on the host.
#[derive(Debug, Clone, Serialize)]
pub struct KeylessNote {
    /// The socket's state.
    pub state: String,
    /// Its local end.
    pub local: SocketAddr,
    /// Its remote end.
    pub remote: SocketAddr,
    /// What it means.
    pub note: String,
}

/// Everything `sockets` reports about one namespace.
#[derive(Debug, Clone, Serialize)]
pub struct SocketsReport {
    /// The sockets holding keys.
    pub sockets: Vec<SocketEntry>,
    /// Keyless sockets worth a line.
    pub keyless: Vec<KeylessNote>,
}

/// Builds the report from a dump (run inside the namespace: the source
/// address toward a peer is asked of its routing table).
pub fn report(sockets: &[DiagSocket], ring: Option<&KeyRing>) -> SocketsReport {
    let owners = Owners::scan();
    // A listener's key is copied to each accepted socket: fingerprint once.
    let mut memo = Memo::default();
    let keyed: Vec<&DiagSocket> = sockets.iter().filter(|s| !s.md5_keys.is_empty()).collect();
    let entries = keyed
        .iter()
        .map(|s| SocketEntry {
            state: s.state.name(),
            local: s.local,
            remote: s.remote,
            device: (s.bound_ifindex != 0).then(|| {
                crate::ifname::name_of(s.bound_ifindex)
                    .unwrap_or_else(|| format!("ifindex {}", s.bound_ifindex))
            }),
            owner: owners.of(s.inode).cloned(),
            keys: s
                .md5_keys
                .iter()
                .map(|k| key_entry(s, k, ring, &mut memo))
                .collect(),
        })
        .collect();
    SocketsReport {
        sockets: entries,
        keyless: keyless_notes(sockets, &keyed),
    }
}

fn full_len(addr: IpAddr) -> u8 {
    if addr.is_ipv4() { 32 } else { 128 }
}

/// Fingerprints computed so far, by salt and key.
#[derive(Default)]
struct Memo(Vec<(Salt, tcpmd5::Key, Fingerprint)>);

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Memo({} fingerprints)", self.0.len())
    }
}

impl Memo {
    fn fingerprint(&mut self, key: &tcpmd5::Key, salt: Salt) -> Fingerprint {
        if let Some((_, _, fp)) = self.0.iter().find(|(s, k, _)| *s == salt && k == key) {
            return *fp;
        }
        let fp = Fingerprint::of(key, &salt);
        self.0.push((salt, key.clone(), fp));
        fp
    }
}

fn key_entry(
    socket: &DiagSocket,
    key: &SocketKey,
    ring: Option<&KeyRing>,
    memo: &mut Memo,
) -> KeyEntry {
    let addr = unmap(key.addr);
    let prefixlen = if addr != key.addr && key.prefixlen >= 96 {
        key.prefixlen - 96
    } else {
        key.prefixlen
    };
    let local = if socket.local.ip().is_unspecified() {
        source_toward(addr).unwrap_or(socket.local.ip())
    } else {
        unmap(socket.local.ip())
    };
    let salt = if prefixlen >= full_len(addr) {
        Salt::peering(local, addr)
    } else {
        Salt::prefix(addr, prefixlen)
    };
    KeyEntry {
        scope: format!("{addr}/{prefixlen}"),
        len: key.key.len(),
        fingerprint: memo.fingerprint(&key.key, salt),
        salt: salt.to_string(),
        prefix_salted: matches!(salt, Salt::Prefix(..)),
        configured: ring.map(|r| {
            configured(
                r,
                local,
                addr,
                (socket.local.port(), socket.remote.port()),
                key,
            )
        }),
    }
}

/// The configured key this host's kernel would pick for a segment from
/// the key's peer (the receiving router's own table when `--router` or a
/// host section names this address, else the shared keys), compared in
/// constant time.
fn configured(
    ring: &KeyRing,
    local: IpAddr,
    peer: IpAddr,
    ports: (u16, u16),
    key: &SocketKey,
) -> Configured {
    let (local_port, remote_port) = ports;
    let spec = ring
        .lookup(peer, local, remote_port, local_port)
        .and_then(|c| c.index)
        .and_then(|i| ring.spec(i));
    let Some((spec, configured)) = spec.and_then(|s| s.key().map(|k| (s, k))) else {
        return Configured::NotConfigured;
    };
    let same: bool = configured.as_bytes().ct_eq(key.key.as_bytes()).into();
    let label = spec.label().to_owned();
    if same {
        Configured::Equal { key: label }
    } else {
        Configured::Differs { key: label }
    }
}

/// The source address this namespace's routing picks toward `peer` (a
/// connected UDP socket sends nothing).
fn source_toward(peer: IpAddr) -> Option<IpAddr> {
    let bind: SocketAddr = if peer.is_ipv4() {
        (IpAddr::from([0u8; 4]), 0).into()
    } else {
        (IpAddr::from([0u16; 8]), 0).into()
    };
    let sock = UdpSocket::bind(bind).ok()?;
    sock.connect((peer, 179)).ok()?;
    sock.local_addr().ok().map(|a| a.ip())
}

/// Keyless listeners on a port where keyed sessions live, and keyless
/// connections to peers that have a key elsewhere.
fn keyless_notes(sockets: &[DiagSocket], keyed: &[&DiagSocket]) -> Vec<KeylessNote> {
    let covers = |peer: IpAddr| {
        keyed.iter().find(|k| {
            k.md5_keys.iter().any(|key| {
                crate::keys::KeyScope {
                    addr: unmap(key.addr),
                    prefixlen: key.prefixlen.min(full_len(unmap(key.addr))),
                    port: None,
                }
                .contains(peer)
            })
        })
    };
    let mut out = Vec::new();
    for s in sockets.iter().filter(|s| s.md5_keys.is_empty()) {
        let note = match s.state {
            TcpState::Listen => {
                let port = s.local.port();
                let peers: Vec<String> = keyed
                    .iter()
                    .filter(|k| k.local.port() == port || k.remote.port() == port)
                    .flat_map(|k| k.md5_keys.iter())
                    .map(|k| unmap(k.addr).to_string())
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                if peers.is_empty() {
                    continue;
                }
                format!(
                    "listener without keys on port {port}, where sockets hold keys for {}: a signed SYN it takes is dropped (TCP_MD5UNEXPECTED)",
                    peers.join(", ")
                )
            }
            TcpState::TimeWait | TcpState::SynRecv | TcpState::Close => continue,
            _ => {
                let peer = unmap(s.remote.ip());
                let Some(holder) = covers(peer) else { continue };
                format!(
                    "connection to {peer} without a key, while {} {} holds one for it: this session is not authenticated",
                    holder.state, holder.local
                )
            }
        };
        out.push(KeylessNote {
            state: s.state.name(),
            local: s.local,
            remote: s.remote,
            note,
        });
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn socket(state: TcpState, local: &str, remote: &str, key_for: Option<&str>) -> DiagSocket {
        DiagSocket {
            state,
            local: local.parse().unwrap(),
            remote: remote.parse().unwrap(),
            bound_ifindex: 0,
            inode: 0,
            md5_keys: key_for
                .map(|a| {
                    vec![SocketKey {
                        addr: a.parse().unwrap(),
                        prefixlen: 32,
                        key: tcpmd5::Key::new(b"k").unwrap(),
                    }]
                })
                .unwrap_or_default(),
        }
    }

    #[test]
    fn keyless_sockets_toward_keyed_peers() {
        let sockets = [
            socket(
                TcpState::Listen,
                "0.0.0.0:179",
                "0.0.0.0:0",
                Some("10.0.0.2"),
            ),
            socket(TcpState::Listen, "[::]:179", "[::]:0", None),
            socket(TcpState::Established, "10.0.0.1:179", "10.0.0.2:4000", None),
            socket(TcpState::Established, "10.0.0.1:179", "10.0.0.3:4000", None),
            socket(TcpState::Listen, "0.0.0.0:22", "0.0.0.0:0", None),
        ];
        let keyed: Vec<&DiagSocket> = sockets.iter().filter(|s| !s.md5_keys.is_empty()).collect();
        let notes = keyless_notes(&sockets, &keyed);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].note.contains("listener without keys on port 179"));
        assert!(notes[0].note.contains("10.0.0.2"));
        assert!(
            notes[1]
                .note
                .contains("connection to 10.0.0.2 without a key")
        );
    }

    #[test]
    fn configured_key_compared() {
        let s = socket(
            TcpState::Established,
            "10.0.0.1:179",
            "10.0.0.2:4000",
            Some("10.0.0.2"),
        );
        let k = &s.md5_keys[0];
        let ring = |text: &str| {
            KeyRing::new(vec![
                crate::keys::parse_key(text, "--key #1".into()).unwrap(),
            ])
        };
        let (local, peer) = (s.local.ip(), k.addr);
        let ports = (179, 4000);
        let eq = configured(&ring("10.0.0.0/24=k"), local, peer, ports, k);
        assert!(matches!(eq, Configured::Equal { .. }), "{eq:?}");
        let ne = configured(&ring("10.0.0.2=K"), local, peer, ports, k);
        assert!(matches!(ne, Configured::Differs { .. }), "{ne:?}");
        let none = configured(&ring("10.9.0.2=k"), local, peer, ports, k);
        assert_eq!(none, Configured::NotConfigured);
    }
}
