//! A conformance case: an id, what it needs from the machine, and a body
//! that runs in a fresh lab on the calling thread.

use std::fmt;
use std::process::{Command, Stdio};
use std::sync::Arc;

use tcpmd5::Family;

use crate::environment::Environment;
use crate::error::Error;
use crate::exchange::Barrier;
use crate::harness::Lab;
use crate::outcome::Finding;

/// What a case needs beyond MD5 support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// IPv6 in the kernel.
    Ipv6,
    /// VRF (L3 master) devices.
    Vrf,
    /// `CONFIG_TCP_AO`.
    TcpAo,
    /// A program the case runs.
    Program(Program),
}

/// A program a case runs, and the Debian package that installs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Program {
    /// The command, looked up on `PATH`.
    pub name: &'static str,
    /// The package (`ci/install-deps.sh` installs it).
    pub package: &'static str,
}

impl Program {
    /// `nft`, for the nftables mitigation cases.
    pub const NFT: Program = Program {
        name: "nft",
        package: "nftables",
    };

    /// Why the program cannot be run, if it cannot: `--version` is
    /// spawned through `PATH`, as the case would spawn it.
    pub fn missing(self) -> Option<String> {
        match Command::new(self.name)
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
        {
            Ok(_) => None,
            Err(e) => Some(format!(
                "cannot run {} ({e}): install {}",
                self.name, self.package
            )),
        }
    }
}

/// Whether CI is running (`CI=true`): there a missing program fails its
/// case instead of skipping it, since `ci/install-deps.sh` installs them.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Everything a case body works with.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// The case's private namespace.
    pub lab: Lab,
    /// Keyless listeners for the ordering barrier.
    pub barrier: Barrier,
    /// The probed environment.
    pub env: &'a Environment,
}

/// A case body.
pub type Body = Arc<dyn Fn(&mut Ctx<'_>) -> Finding + Send + Sync>;

/// One case.
#[derive(Clone)]
pub struct Case {
    /// Stable id: `area/name/family`.
    pub id: String,
    /// The area it belongs to (for the summary).
    pub area: &'static str,
    /// The family it runs in, if per family.
    pub family: Option<Family>,
    /// What it checks, in a sentence.
    pub summary: String,
    /// What it needs.
    pub needs: Vec<Need>,
    /// The body.
    pub body: Body,
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Case")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Case {
    /// A case run once per family, as `area/name/ipv4` and `area/name/ipv6`.
    /// An error the body returns is the case's finding (an error outcome).
    pub fn per_family(
        area: &'static str,
        name: &str,
        summary: &str,
        body: impl Fn(&mut Ctx<'_>, Family) -> Result<Finding, Error> + Send + Sync + Clone + 'static,
    ) -> Vec<Case> {
        Family::ALL
            .into_iter()
            .map(|family| {
                let body = body.clone();
                Case {
                    id: format!("{area}/{name}/{family}"),
                    area,
                    family: Some(family),
                    summary: summary.to_owned(),
                    needs: if family == Family::V6 {
                        vec![Need::Ipv6]
                    } else {
                        vec![]
                    },
                    body: Arc::new(move |ctx: &mut Ctx<'_>| {
                        body(ctx, family).unwrap_or_else(Finding::from)
                    }),
                }
            })
            .collect()
    }

    /// Why this case cannot run in `env`, if it cannot.
    pub fn unmet_need(&self, env: &Environment) -> Option<String> {
        self.needs.iter().find_map(|need| match need {
            Need::Ipv6 if !env.ipv6 => Some("the kernel has no IPv6".to_owned()),
            Need::Vrf if env.vrf != Some(true) => {
                Some("the kernel has no VRF support (CONFIG_NET_VRF)".to_owned())
            }
            Need::TcpAo if !env.tcp_ao => {
                Some("the kernel has no TCP-AO (CONFIG_TCP_AO)".to_owned())
            }
            Need::Program(p) if !under_ci() => p.missing(),
            _ => None,
        })
    }

    /// Why this case must fail before it runs, if it must: under `CI=true`
    /// a program it needs is missing (elsewhere that is a skip, from
    /// [`Case::unmet_need`]).
    pub fn missing_under_ci(&self) -> Option<String> {
        if !under_ci() {
            return None;
        }
        self.needs.iter().find_map(|need| match need {
            Need::Program(p) => p
                .missing()
                .map(|why| format!("{why}; CI=true, where ci/install-deps.sh installs it")),
            _ => None,
        })
    }

    /// The case, also needing `need`.
    pub fn with_need(mut self, need: Need) -> Case {
        self.needs.push(need);
        self
    }
}
