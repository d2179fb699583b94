//! Running one differential case on a family's lab: the lab is built on
//! first use, rebuilt once worn out or after a harness failure, and the
//! case goes to the listener or the established connection it names. The
//! property test ([`super::run`]) and the per-process [`super::Session`]
//! both run their cases through here.

use std::time::Instant;

use tcpmd5::{Family, Semantics};

use super::input::{Input, Target};
use super::judged::Judged;
use super::targets::{ConnectionEvents, Targets};
use super::{established, syn};
use crate::error::Error;

/// The lab of one family, kept between cases on the thread that built it
/// (a lab is bound to its thread's network namespace).
#[derive(Debug)]
pub(super) struct CaseRunner {
    family: Family,
    semantics: Semantics,
    targets: Option<Targets>,
}

/// One case, run.
#[derive(Debug)]
pub(super) struct Ran {
    /// The judgement, or the harness failure that prevented one.
    pub result: Result<Judged, Error>,
    /// How the established connection came about for it.
    pub events: ConnectionEvents,
    /// Wall time of the case, connection set-up included, lab set-up not.
    pub seconds: f64,
}

impl Ran {
    /// A case that could not run for `reason`.
    pub(super) fn harness(reason: String) -> Ran {
        Ran {
            result: Err(Error::NotSeen(reason)),
            events: ConnectionEvents::default(),
            seconds: 0.0,
        }
    }

    /// Whether the kernel agreed with the model on everything.
    pub(super) fn agrees(&self) -> bool {
        self.result.as_ref().is_ok_and(Judged::agrees)
    }
}

impl CaseRunner {
    /// A runner that holds `family`'s kernel to `semantics`; no lab yet.
    pub(super) fn new(family: Family, semantics: Semantics) -> CaseRunner {
        CaseRunner {
            family,
            semantics,
            targets: None,
        }
    }

    /// Runs `input`. After a harness failure the next case starts in a
    /// fresh lab.
    pub(super) fn run(&mut self, input: &Input) -> Ran {
        if self.targets.as_ref().is_none_or(Targets::worn_out) {
            self.targets = None;
            match Targets::new(self.family) {
                Ok(t) => self.targets = Some(t),
                Err(e) => {
                    return Ran {
                        result: Err(e),
                        events: ConnectionEvents::default(),
                        seconds: 0.0,
                    };
                }
            }
        }
        let Some(targets) = self.targets.as_mut() else {
            return Ran {
                result: Err(Error::NotSeen("no lab".to_owned())),
                events: ConnectionEvents::default(),
                seconds: 0.0,
            };
        };
        targets.used();
        let started = Instant::now();
        let result = match input.target {
            Target::Listener => syn::run(targets, self.semantics, input),
            Target::Established(kind, place) => {
                established::run(targets, self.semantics, input, kind, place)
            }
        };
        let events = targets.take_events();
        if result.is_err() {
            self.targets = None;
        }
        Ran {
            result,
            events,
            seconds: started.elapsed().as_secs_f64(),
        }
    }

    /// Closes the lab (on the thread that built it).
    pub(super) fn close(&mut self) {
        self.targets = None;
    }
}
