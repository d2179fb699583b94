//! A conformance case: an id, what it needs from the machine, and a body
//! that runs in a fresh lab on the calling thread.

use std::fmt;
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
            _ => None,
        })
    }
}
