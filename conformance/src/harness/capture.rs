//! Raw Ethernet frames on the peer's side of the veth (AF_PACKET via pnet).
#![allow(unsafe_code)]

use std::fmt;
use std::io;
use std::time::{Duration, Instant};

use pnet_datalink::{Channel, DataLinkReceiver, DataLinkSender, MacAddr, NetworkInterface, linux};

use super::error::HarnessError;
use super::link::Mac;

/// How long one blocking read may last; `recv_frame` loops on it until its
/// deadline, so a wait never exceeds the deadline by more than this.
const POLL_SLICE: Duration = Duration::from_millis(5);
/// Large enough for a GSO super-frame handed over a veth unsegmented.
const BUFFER: usize = 65_536 + 64;

/// An AF_PACKET channel bound to one interface of the current namespace.
/// Its socket (shared by sender and receiver) closes when this is dropped.
pub struct PeerPort {
    tx: Box<dyn DataLinkSender>,
    rx: Box<dyn DataLinkReceiver>,
    /// The channel's socket (owned by pnet, open while `rx` lives), polled
    /// without waiting by [`PeerPort::drain_queued`].
    fd: libc::c_int,
    ifindex: u32,
}

impl fmt::Debug for PeerPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeerPort")
            .field("ifindex", &self.ifindex)
            .finish_non_exhaustive()
    }
}

impl PeerPort {
    /// Opens the channel on `ifindex`. The interface description is built by
    /// hand: pnet's own listing reads /sys/class/net, which belongs to the
    /// namespace /sys was mounted in, not to ours.
    pub fn open(ifindex: u32, name: &str, mac: Mac) -> Result<PeerPort, HarnessError> {
        let iface = NetworkInterface {
            name: name.to_owned(),
            description: String::new(),
            index: ifindex,
            mac: Some(MacAddr::from(mac)),
            ips: Vec::new(),
            flags: 0,
        };
        // Made here, not by pnet, to keep its number for a zero-timeout
        // poll; pnet binds it, sets O_NONBLOCK and closes it on drop (and
        // on a failed set-up).
        // SAFETY: socket only takes integers.
        let fd = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW,
                i32::from((libc::ETH_P_ALL as u16).to_be()),
            )
        };
        if fd < 0 {
            return Err(HarnessError::last_os("socket(AF_PACKET)"));
        }
        // The peer's own frames are of no use to it (the lab skips them):
        // not looped back, they cost no copy and no read. A kernel before
        // 4.20 refuses the option and they are skipped as before.
        let on: libc::c_int = 1;
        // SAFETY: a live socket, an int option of the right size.
        let _ = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_PACKET,
                libc::PACKET_IGNORE_OUTGOING,
                (&raw const on).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        let config = linux::Config {
            write_buffer_size: BUFFER,
            read_buffer_size: BUFFER,
            read_timeout: Some(POLL_SLICE),
            write_timeout: Some(Duration::from_secs(1)),
            channel_type: pnet_datalink::ChannelType::Layer2,
            fanout: None,
            promiscuous: false,
            socket_fd: Some(fd),
        };
        match linux::channel(&iface, config) {
            Ok(Channel::Ethernet(tx, rx)) => Ok(PeerPort {
                tx,
                rx,
                fd,
                ifindex,
            }),
            Ok(_) => Err(HarnessError::Unsupported(
                "pnet returned a non-Ethernet channel".to_owned(),
            )),
            Err(e) => Err(HarnessError::io(format!("AF_PACKET on {name}"), &e)),
        }
    }

    /// The interface this port is bound to.
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// Sends one complete Ethernet frame.
    pub fn send_frame(&mut self, frame: &[u8]) -> Result<(), HarnessError> {
        match self.tx.send_to(frame, None) {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(HarnessError::io("AF_PACKET send", &e)),
            None => Err(HarnessError::Unsupported(
                "AF_PACKET send: frame larger than the write buffer".to_owned(),
            )),
        }
    }

    /// Discards frames already queued (waiting at most one poll slice for
    /// more); returns how many were dropped.
    pub fn drain(&mut self) -> Result<usize, HarnessError> {
        let mut n = 0;
        loop {
            match self.rx.next() {
                Ok(_) => n += 1,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                    ) =>
                {
                    return Ok(n);
                }
                Err(e) => return Err(HarnessError::io("AF_PACKET recv", &e)),
            }
        }
    }

    /// Discards the frames already queued, without waiting for more;
    /// returns how many were dropped.
    pub fn drain_queued(&mut self) -> Result<usize, HarnessError> {
        let mut n = 0;
        loop {
            let mut pollfd = libc::pollfd {
                fd: self.fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one live pollfd, count 1, no wait.
            let ready = unsafe { libc::poll(&raw mut pollfd, 1, 0) };
            if ready < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(HarnessError::io("poll(AF_PACKET)", &e));
            }
            if ready == 0 || pollfd.revents & libc::POLLIN == 0 {
                return Ok(n);
            }
            match self.rx.next() {
                Ok(_) => n += 1,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::WouldBlock
                    ) => {}
                Err(e) => return Err(HarnessError::io("AF_PACKET recv", &e)),
            }
        }
    }

    /// The next frame the interface received (and, on a kernel before 4.20,
    /// sent), or `None` once `deadline` passes.
    pub fn recv_frame(&mut self, deadline: Instant) -> Result<Option<Vec<u8>>, HarnessError> {
        loop {
            if Instant::now() >= deadline {
                return Ok(None);
            }
            match self.rx.next() {
                Ok(frame) => return Ok(Some(frame.to_vec())),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::TimedOut
                            | io::ErrorKind::WouldBlock
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(HarnessError::io("AF_PACKET recv", &e)),
            }
        }
    }
}
