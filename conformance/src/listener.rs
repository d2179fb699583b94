//! A kernel listener and its key-table model, kept in step: every request is
//! made to both with the same bytes.

use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsFd;

use tcpmd5::key_table::{KeyChange, KeyTable, KeyTableError, Md5SigRequest};
use tcpmd5::wire::SeqNumber;
use tcpmd5::{Family, Key, Semantics, Verdict};

use crate::model_query::packet_verdict;

use crate::error::Error;
use crate::exchange::{Barrier, exchange};
use crate::harness::{Errno, Lab, sockopt};
use crate::judge::judge;
use crate::outcome::Finding;
use crate::segment::SegmentSpec;
use crate::words;

/// A listening socket in the lab and the model of its keys.
#[derive(Debug)]
pub struct Listener {
    sock: socket2::Socket,
    /// Its local address.
    pub addr: SocketAddr,
    /// The socket's family (an IPv6 listener may accept IPv4 too).
    pub family: Family,
    /// The model of its key table.
    pub model: KeyTable,
    devices: Vec<(i32, bool)>,
}

impl Listener {
    /// Listens on the kernel's address of `family` (or the wildcard, for a
    /// dual-stack IPv6 listener) at `port`.
    pub fn open(lab: &Lab, family: Family, port: u16, dual_stack: bool) -> Result<Listener, Error> {
        let ip = if dual_stack {
            IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
        } else {
            lab.kernel_addr(family)
        };
        let v6only = match family {
            Family::V4 => None,
            Family::V6 => Some(!dual_stack),
        };
        let addr = SocketAddr::new(ip, port);
        let sock =
            sockopt::listener(addr, v6only).map_err(Error::io(format!("listen on {addr}")))?;
        // lo is 1; vk and vp are plain veths: none is an L3 master (VRF).
        let devices = vec![
            (1, false),
            (lab.kernel_ifindex() as i32, false),
            (lab.peer_ifindex() as i32, false),
        ];
        Ok(Listener {
            sock,
            addr,
            family,
            model: KeyTable::new(),
            devices,
        })
    }

    /// Makes `request` to the kernel and to the model; returns both answers.
    pub fn apply(
        &mut self,
        request: &Md5SigRequest,
    ) -> (Result<(), Errno>, Result<KeyChange, KeyTableError>) {
        let kernel = sockopt::set_md5sig(self.sock.as_fd(), request);
        let model = self
            .model
            .apply(self.family, request, self.devices.as_slice());
        (kernel, model)
    }

    /// Makes `request` and requires both to accept it.
    pub fn must_apply(&mut self, request: &Md5SigRequest) -> Result<(), Error> {
        let (kernel, model) = self.apply(request);
        agreed(request, kernel, model).map(drop)
    }

    /// The listening socket (for socket options the model has no table for).
    pub fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.sock.as_fd()
    }

    /// The connection waiting in the accept queue, if any (non-blocking).
    pub fn accept(&self) -> Result<Option<socket2::Socket>, Error> {
        match self.sock.accept() {
            Ok((s, _)) => Ok(Some(s)),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(Error::io("accept")(e)),
        }
    }

    /// The model of the key table a connection accepted from `peer`
    /// inherits: the listener's matching key, copied as a /32 (/128) key.
    pub fn child_model(&self, peer: IpAddr) -> KeyTable {
        let mut t = KeyTable::new();
        if let Some(k) = self.key_for(peer) {
            let _ = t.apply(
                Family::of(&peer),
                &Md5SigRequest::add(peer, &k),
                self.devices.as_slice(),
            );
        }
        t
    }

    /// The devices the model knows (ifindex, is L3 master).
    pub fn devices(&self) -> &[(i32, bool)] {
        &self.devices
    }

    /// Adds a key for one peer.
    pub fn add_key(&mut self, peer: IpAddr, key: &Key) -> Result<(), Error> {
        self.must_apply(&Md5SigRequest::add(peer, key))
    }

    /// The model's key for a peer (what the kernel signs replies with).
    pub fn key_for(&self, peer: IpAddr) -> Option<Key> {
        self.model.lookup(peer, 0).map(|e| e.key.clone())
    }

    /// Sends `probe` (a SYN to this listener) and judges the kernel's
    /// handling against the model under `semantics`.
    pub fn probe_syn(
        &self,
        lab: &mut Lab,
        barrier: &mut Barrier,
        probe: &SegmentSpec,
        semantics: Semantics,
    ) -> Finding {
        let packet = probe.packet();
        let expected = match packet_verdict(&packet, &self.model, 0, semantics) {
            Ok(v) => v,
            Err(e) => return Error::model("the probe")(e).into(),
        };
        self.probe_syn_expecting(lab, barrier, probe, expected)
    }

    /// Like [`Listener::probe_syn`] with the expected verdict given (used by
    /// the semantics probe, which tries several models).
    pub fn probe_syn_expecting(
        &self,
        lab: &mut Lab,
        barrier: &mut Barrier,
        probe: &SegmentSpec,
        expected: Verdict,
    ) -> Finding {
        match exchange(lab, barrier, probe) {
            Ok(obs) => {
                let key = self.key_for(probe.tcp.addrs.src());
                judge(&obs, SeqNumber(probe.tcp.seq) + 1, expected, key.as_ref())
            }
            Err(e) => e.into(),
        }
    }
}

/// Both answers to a setup request, which both must accept.
pub fn agreed(
    request: &Md5SigRequest,
    kernel: Result<(), Errno>,
    model: Result<KeyChange, KeyTableError>,
) -> Result<KeyChange, Error> {
    match (kernel, model) {
        (Ok(()), Ok(change)) => Ok(change),
        (kernel, model) => Err(Error::SetupDisagrees {
            request: words::request(request),
            kernel: kernel.map_or_else(|e| e.name(), |()| "ok".to_owned()),
            model: model.map_or_else(
                |e| e.errno_name().to_owned(),
                |c| words::key_change(c).to_owned(),
            ),
        }),
    }
}
