//! The kernel sockets the differential sends to, in one lab reused for many
//! cases: a listener for SYNs, and an established connection (accepted from
//! a second listener, driven by the suite's [`Peer`]) that is kept while
//! it stays ESTABLISHED and replaced when a case closes or resets it.

use std::io::Read as _;
use std::net::IpAddr;
use std::os::fd::AsFd;

use socket2::Socket;
use tcpmd5::key_table::{KeyTable, Md5SigRequest};
use tcpmd5::{Family, Key};

use super::input::KeyScope;
use crate::error::Error;
use crate::exchange::Barrier;
use crate::harness::{Lab, sockopt};
use crate::listener::{Listener, agreed};
use crate::peer::{Auth, Peer};
use crate::words;

/// The port of the listener that receives the generated SYNs.
pub(super) const SYN_PORT: u16 = 179;
/// The port of the listener the established connections come from.
pub(super) const CONN_PORT: u16 = 180;
/// Cases per lab before it is rebuilt (bounds what accumulates in it).
const LAB_REUSE: usize = 250;
/// The peer ports used for probes and connections, in turn.
const PORTS: std::ops::RangeInclusive<u16> = 20000..=59000;

/// An established connection: the kernel's socket, the model of its keys,
/// and the peer's end.
#[derive(Debug)]
pub(super) struct Connection {
    /// The accepted socket (non-blocking).
    pub sock: Socket,
    /// The model of its key table.
    pub model: KeyTable,
    /// The peer's end: numbers, the kernel's key, verification.
    pub peer: Peer,
    devices: Vec<(i32, bool)>,
    installed: Option<Installed>,
}

/// A key as installed: the request that added it and the one that deletes it.
#[derive(Debug, Clone)]
struct Installed {
    add: Md5SigRequest,
    delete: Md5SigRequest,
}

impl Installed {
    fn new(peer: IpAddr, key: Option<&Key>, scope: KeyScope) -> Option<Installed> {
        key.map(|k| {
            let (add, delete) = scope.requests(peer, k);
            Installed { add, delete }
        })
    }
}

impl Connection {
    /// Makes the socket hold `wanted` (or no key), in the kernel and in the
    /// model; both must accept every request. Whether anything changed.
    fn hold(&mut self, family: Family, wanted: Option<Installed>) -> Result<bool, Error> {
        if self.installed.as_ref().map(|i| &i.add) == wanted.as_ref().map(|w| &w.add) {
            return Ok(false);
        }
        let mut requests = Vec::new();
        requests.extend(self.installed.take().map(|i| i.delete));
        requests.extend(wanted.as_ref().map(|w| w.add.clone()));
        for request in &requests {
            let kernel = sockopt::set_md5sig(self.sock.as_fd(), request);
            let model = self.model.apply(family, request, self.devices.as_slice());
            agreed(request, kernel, model)?;
        }
        self.installed = wanted;
        let peer = self.peer.addrs.src();
        self.peer.kernel_key = self.model.lookup(peer, 0).map(|e| e.key.clone());
        Ok(true)
    }

    /// Bytes readable now (`Ok(None)`: would block; empty: EOF).
    pub(super) fn read_now(&self) -> std::io::Result<Option<Vec<u8>>> {
        let mut buf = [0u8; 4096];
        match (&self.sock).read(&mut buf) {
            Ok(n) => Ok(Some(buf.get(..n).unwrap_or(&[]).to_vec())),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The lab and its sockets for one family.
#[derive(Debug)]
pub(super) struct Targets {
    /// The lab (its namespace is the calling thread's while it lives).
    pub lab: Lab,
    /// The ordering barrier.
    pub barrier: Barrier,
    /// The listener SYN cases go to.
    pub listener: Listener,
    listener_key: Option<Installed>,
    conn_listener: Listener,
    conn_listener_key: Option<Installed>,
    conn: Option<Connection>,
    family: Family,
    used: usize,
    port: u16,
    events: ConnectionEvents,
}

pub use tcpmd5_report::differential::ConnectionEvents;

impl Targets {
    /// A fresh lab with both listeners.
    pub(super) fn new(family: Family) -> Result<Targets, Error> {
        let mut lab = Lab::new().map_err(Error::harness("creating the lab"))?;
        // Only the peer talks to the kernel here (see Lab::chain_counters).
        lab.chain_counters();
        let barrier = Barrier::open(&lab).map_err(Error::io("opening the barrier listener"))?;
        let listener = Listener::open(&lab, family, SYN_PORT, false)?;
        let conn_listener = Listener::open(&lab, family, CONN_PORT, false)?;
        Ok(Targets {
            lab,
            barrier,
            listener,
            listener_key: None,
            conn_listener,
            conn_listener_key: None,
            conn: None,
            family,
            used: 0,
            port: *PORTS.start(),
            events: ConnectionEvents::default(),
        })
    }

    /// Whether this lab has served its share of cases.
    pub(super) fn worn_out(&self) -> bool {
        self.used >= LAB_REUSE
    }

    /// Counts one case.
    pub(super) fn used(&mut self) {
        self.used += 1;
    }

    /// The family.
    pub(super) fn family(&self) -> Family {
        self.family
    }

    /// The peer's address.
    pub(super) fn peer_addr(&self) -> IpAddr {
        self.lab.peer_addr(self.family)
    }

    /// A peer port not used recently.
    pub(super) fn next_port(&mut self) -> u16 {
        self.port = if self.port >= *PORTS.end() {
            *PORTS.start()
        } else {
            self.port + 1
        };
        self.port
    }

    /// Makes the SYN listener hold `key` in `scope` (or no key).
    pub(super) fn listener_holds(
        &mut self,
        key: Option<&Key>,
        scope: KeyScope,
    ) -> Result<(), Error> {
        let wanted = Installed::new(self.peer_addr(), key, scope);
        hold(&mut self.listener, &mut self.listener_key, wanted)
    }

    /// The established connection, holding `key` in `scope`: the current
    /// one (its keys changed if needed), or a new one from a listener
    /// holding them, whose handshake is signed with the key the listener
    /// holds for the peer and whose socket inherits that key.
    pub(super) fn connection(&mut self, key: Option<&Key>, scope: KeyScope) -> Result<(), Error> {
        let family = self.family;
        let wanted = Installed::new(self.peer_addr(), key, scope);
        match &mut self.conn {
            Some(conn) => {
                if conn.hold(family, wanted)? {
                    self.events.key_changes += 1;
                }
                Ok(())
            }
            None => {
                self.conn = Some(self.connect(wanted)?);
                self.events.handshakes += 1;
                Ok(())
            }
        }
    }

    /// The lab, the barrier and the connection, borrowed together.
    pub(super) fn with_connection(
        &mut self,
    ) -> Result<(&mut Lab, &mut Barrier, &mut Connection), Error> {
        match &mut self.conn {
            Some(conn) => Ok((&mut self.lab, &mut self.barrier, conn)),
            None => Err(Error::NotSeen("no established connection".to_owned())),
        }
    }

    /// The connection events since the last call.
    pub(super) fn take_events(&mut self) -> ConnectionEvents {
        std::mem::take(&mut self.events)
    }

    /// Forgets the connection (after a FIN or RST ended it, or when its
    /// state is no longer known).
    pub(super) fn drop_connection(&mut self) {
        self.conn = None;
    }

    fn connect(&mut self, wanted: Option<Installed>) -> Result<Connection, Error> {
        let peer_addr = self.peer_addr();
        hold(&mut self.conn_listener, &mut self.conn_listener_key, wanted)?;
        let key = self.conn_listener.key_for(peer_addr);
        let key = key.as_ref();
        let port = self.next_port();
        let isn = 0x1d1f_0000u32 ^ u32::from(port).wrapping_mul(0x0001_0003);
        let mut peer = Peer::new(&self.lab, self.family, port, CONN_PORT, isn, key.cloned())?;
        let auth = Auth::with(key);
        let obs = peer.handshake(&mut self.lab, &mut self.barrier, &auth, &auth)?;
        if !obs.auth_counters.is_empty() {
            return Err(Error::NotSeen(format!(
                "a quiet handshake: its third ACK moved {}",
                words::counters(&obs.auth_counters)
            )));
        }
        let sock = self.conn_listener.accept()?.ok_or_else(|| {
            Error::NotSeen("the handshake completed but accept() found nothing".to_owned())
        })?;
        sock.set_nonblocking(true)
            .map_err(Error::io("O_NONBLOCK on the accepted socket"))?;
        // The child copies the key the listener holds for the peer, as a
        // key for the peer's address alone.
        Ok(Connection {
            sock,
            model: self.conn_listener.child_model(peer_addr),
            peer,
            devices: self.conn_listener.devices().to_vec(),
            installed: Installed::new(peer_addr, key, KeyScope::Peer),
        })
    }
}

/// Makes `listener` hold `wanted` instead of `installed`.
fn hold(
    listener: &mut Listener,
    installed: &mut Option<Installed>,
    wanted: Option<Installed>,
) -> Result<(), Error> {
    if installed.as_ref().map(|i| &i.add) == wanted.as_ref().map(|w| &w.add) {
        return Ok(());
    }
    if let Some(old) = installed.take() {
        listener.must_apply(&old.delete)?;
    }
    if let Some(new) = &wanted {
        listener.must_apply(&new.add)?;
    }
    *installed = wanted;
    Ok(())
}
