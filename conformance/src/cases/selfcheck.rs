//! Checks of the harness itself on the running kernel: the ordering barrier
//! that lets "no reply" be decided without sleeping.

use tcpmd5::Family;

use super::kit::common::{keyed_listener, keyless_listener, syn};
use crate::case::Case;
use crate::exchange::exchange;
use crate::outcome::Finding;
use crate::record::Record;

const ROUNDS: u32 = 64;

/// Cases of this area.
pub(super) fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(Case::per_family(
        "harness",
        "barrier-ordering",
        "the reply to a probe always arrives before the barrier's (64 rounds)",
        |ctx, family: Family| {
            let _listener = keyless_listener(ctx, family)?;
            let mut late = 0;
            for round in 0..ROUNDS {
                let probe = syn(ctx, family, 100 + round);
                match exchange(&mut ctx.lab, &mut ctx.barrier, &probe) {
                    Ok(obs) if !obs.barrier_seen => return Ok(Finding::error("barrier lost")),
                    Ok(obs) if obs.replies.is_empty() => late += 1,
                    Ok(_) => {}
                    Err(e) => return Err(e),
                }
            }
            let mut rec = Record::new();
            rec.check(
                late == 0,
                format!("{late} of {ROUNDS} replies came after the barrier"),
            );
            rec.step(
                format!("{ROUNDS}/{ROUNDS} in order"),
                format!("{}/{ROUNDS} in order", ROUNDS - late),
            );
            Ok(rec.finish())
        },
    ));
    cases.extend(Case::per_family(
        "harness",
        "barrier-counters",
        "a silent drop's counter has moved by the time the barrier returns (64 rounds)",
        |ctx, family: Family| {
            let _listener = keyed_listener(ctx, family)?;
            let mut missing = 0;
            for round in 0..ROUNDS {
                let probe = syn(ctx, family, 200 + round);
                match exchange(&mut ctx.lab, &mut ctx.barrier, &probe) {
                    Ok(obs) if !obs.barrier_seen => return Ok(Finding::error("barrier lost")),
                    Ok(obs) if obs.auth_counters.get("TCPMD5NotFound") != Some(&1) => missing += 1,
                    Ok(_) => {}
                    Err(e) => return Err(e),
                }
            }
            let mut rec = Record::new();
            rec.check(
                missing == 0,
                format!("{missing} drops not yet counted at the barrier"),
            );
            if missing == 0 {
                rec.note("TCPMD5NotFound +1 seen at every barrier");
            }
            rec.step(
                format!("{ROUNDS}/{ROUNDS} counted"),
                format!("{}/{ROUNDS} counted", ROUNDS - missing),
            );
            Ok(rec.finish())
        },
    ));
    cases
}
