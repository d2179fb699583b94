//! What a lab is: two routers, the daemon each runs, and the BGP sessions
//! between them with the password each router holds for its peer.

use std::net::IpAddr;

/// The BGP daemon a router runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Daemon {
    /// BIRD 2 (`bird`, on `PATH`).
    Bird,
    /// FRR's `bgpd` (in `/usr/lib/frr`, off `PATH`), run without zebra.
    Frr,
}

impl Daemon {
    /// How reports name it.
    pub fn name(self) -> &'static str {
        match self {
            Daemon::Bird => "bird",
            Daemon::Frr => "frr",
        }
    }

    /// The program's file name ([`crate::require::binary`] finds it).
    pub fn program(self) -> &'static str {
        match self {
            Daemon::Bird => "bird",
            Daemon::Frr => "bgpd",
        }
    }

    /// The Debian package that installs it.
    pub fn package(self) -> &'static str {
        match self {
            Daemon::Bird => "bird2",
            Daemon::Frr => "frr",
        }
    }
}

/// One of the two routers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// Router A.
    A,
    /// Router B.
    B,
}

impl Side {
    /// The other router.
    pub fn peer(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }

    /// `A` or `B`.
    pub fn letter(self) -> &'static str {
        match self {
            Side::A => "A",
            Side::B => "B",
        }
    }
}

/// A router: its daemon and AS number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Router {
    /// What it runs.
    pub daemon: Daemon,
    /// Its AS (the two differ: eBGP).
    pub asn: u32,
}

/// A BGP session between A and B: each end's address and the password
/// each router is configured with for the other (`None`: no password).
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// A short name (`same-v4`, `a-only-v4`, …).
    pub name: &'static str,
    /// A's address (a /24 or /64 of its own on the link).
    pub a_addr: IpAddr,
    /// B's address.
    pub b_addr: IpAddr,
    /// A's password for B.
    pub a_password: Option<Vec<u8>>,
    /// B's password for A.
    pub b_password: Option<Vec<u8>>,
}

impl Session {
    /// The address of `side`.
    pub fn addr(&self, side: Side) -> IpAddr {
        match side {
            Side::A => self.a_addr,
            Side::B => self.b_addr,
        }
    }

    /// The password `side` holds for its peer.
    pub fn password(&self, side: Side) -> Option<&[u8]> {
        match side {
            Side::A => self.a_password.as_deref(),
            Side::B => self.b_password.as_deref(),
        }
    }

    /// What the passwords make of the session.
    pub fn expected(&self) -> Expected {
        match (&self.a_password, &self.b_password) {
            (None, None) => Expected::Unsigned,
            (Some(a), Some(b)) if a == b => Expected::Established,
            (Some(_), Some(_)) => Expected::PasswordsDiffer,
            (Some(_), None) => Expected::OnlyOneSide(Side::A),
            (None, Some(_)) => Expected::OnlyOneSide(Side::B),
        }
    }
}

/// Passwords are never printed: their lengths only.
impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("name", &self.name)
            .field("a_addr", &self.a_addr)
            .field("b_addr", &self.b_addr)
            .field("a_password_len", &self.a_password.as_ref().map(Vec::len))
            .field("b_password_len", &self.b_password.as_ref().map(Vec::len))
            .finish()
    }
}

/// What a session's passwords lead to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// Same password on both: it comes up, signed.
    Established,
    /// No password anywhere: it comes up, unsigned.
    Unsigned,
    /// Both have one, and they differ: it never comes up.
    PasswordsDiffer,
    /// Only this router has one: it never comes up.
    OnlyOneSide(Side),
}

/// Two routers and their sessions.
#[derive(Debug, Clone)]
pub struct LabSpec {
    /// Router A.
    pub a: Router,
    /// Router B.
    pub b: Router,
    /// The sessions (addresses distinct per session).
    pub sessions: Vec<Session>,
}

impl LabSpec {
    /// The router on `side`.
    pub fn router(&self, side: Side) -> Router {
        match side {
            Side::A => self.a,
            Side::B => self.b,
        }
    }

    /// An operator's mix: BIRD on A and FRR on B; a working session, a
    /// password one character off, a password on one router only (either
    /// way), an 80-byte password with non-ASCII bytes, a password with spaces, no
    /// password at all; IPv4 and IPv6. (FRR takes a password
    /// without spaces: the spaces are in the password only BIRD holds.)
    pub fn operator_mix() -> LabSpec {
        let v4 = |s: u8, h: u8| IpAddr::from([10, 79, s, h]);
        let v6 = |s: u16, h: u16| IpAddr::from([0xfd79, s, 0, 0, 0, 0, 0, h]);
        let pw = |t: &str| Some(t.as_bytes().to_vec());
        let mut long = "Lang-lebe-das-Passwort:\u{e4}\u{f6}\u{fc}\u{2014}#!"
            .as_bytes()
            .to_vec();
        while long.len() < 80 {
            long.push(b'0' + (long.len() % 10) as u8);
        }
        long.truncate(80);
        LabSpec {
            a: Router {
                daemon: Daemon::Bird,
                asn: 65001,
            },
            b: Router {
                daemon: Daemon::Frr,
                asn: 65002,
            },
            sessions: vec![
                Session {
                    name: "same-v4",
                    a_addr: v4(1, 1),
                    b_addr: v4(1, 2),
                    a_password: pw("Peer-Pass-2026"),
                    b_password: pw("Peer-Pass-2026"),
                },
                Session {
                    name: "differ-v4",
                    a_addr: v4(2, 1),
                    b_addr: v4(2, 2),
                    a_password: pw("Peer-Pass-2026"),
                    b_password: pw("Peer-Pass-2O26"),
                },
                Session {
                    name: "a-only-v4",
                    a_addr: v4(3, 1),
                    b_addr: v4(3, 2),
                    a_password: pw("only A has it"),
                    b_password: None,
                },
                Session {
                    name: "none-v4",
                    a_addr: v4(4, 1),
                    b_addr: v4(4, 2),
                    a_password: None,
                    b_password: None,
                },
                Session {
                    name: "long-v6",
                    a_addr: v6(5, 1),
                    b_addr: v6(5, 2),
                    a_password: Some(long.clone()),
                    b_password: Some(long),
                },
                Session {
                    name: "b-only-v6",
                    a_addr: v6(6, 1),
                    b_addr: v6(6, 2),
                    a_password: None,
                    b_password: pw("Only-B-2026"),
                },
                Session {
                    name: "differ-v6",
                    a_addr: v6(7, 1),
                    b_addr: v6(7, 2),
                    a_password: pw("v6-Pass-2026"),
                    b_password: pw("v6-Pass-2027"),
                },
            ],
        }
    }

    /// The same sessions with another pair of daemons.
    pub fn with_daemons(mut self, a: Daemon, b: Daemon) -> LabSpec {
        self.a.daemon = a;
        self.b.daemon = b;
        self
    }

    /// The daemons this lab needs.
    pub fn daemons(&self) -> Vec<Daemon> {
        let mut d = vec![self.a.daemon];
        if self.b.daemon != self.a.daemon {
            d.push(self.b.daemon);
        }
        d
    }
}
