//! The operators' mitigation of the AO bypass, shown to work: an nftables
//! rule in the lab namespace drops TCP segments carrying option kind 29
//! (TCP-AO) toward the MD5-protected port, so the forged AO-only data and
//! RST that an affected kernel would accept never reach the session, while
//! signed traffic still flows. The rule's own counter witnesses the drops.
//! Skipped with the reason where `nft` is missing (decided before the case
//! runs; a failure under `CI=true`) or the kernel's nf_tables is.

use std::io::Write as _;
use std::process::{Command, Stdio};

use tcpmd5::{Family, packet_verdict};

use super::kit::common::LISTEN_PORT;
use super::kit::conn::{acknowledges_all_sent, established, finish, rst_effect};
use crate::case::{Case, Ctx, Need, Program};
use crate::error::Error;
use crate::outcome::{Finding, Outcome, Steps};
use crate::peer::{Auth, Peer};
use crate::record::Record;
use crate::segment::SegmentSpec;
use crate::words;

/// The nftables table the case installs (in its own namespace only).
const TABLE: &str = "tcpmd5_ao_mitigation";

/// The rule operators install: drop TCP-AO toward the MD5 port, early.
fn ruleset(port: u16) -> String {
    format!(
        "table inet {TABLE} {{\n\
         \tchain prerouting {{\n\
         \t\ttype filter hook prerouting priority raw; policy accept;\n\
         \t\ttcp dport {port} tcp option 29 exists counter drop\n\
         \t}}\n\
         }}\n"
    )
}

/// Runs `nft` in the calling thread's network namespace (the lab's: a child
/// process inherits it); `Err` is why it could not.
fn nft(args: &[&str], stdin: Option<&str>) -> Result<String, String> {
    let mut child = Command::new("nft")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run nft (nftables): {e}"))?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())
            .map_err(|e| format!("writing the ruleset to nft: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("waiting for nft: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "nft {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The packets the rule has dropped, from `nft list table`.
fn dropped_packets() -> Result<u64, String> {
    let listing = nft(&["list", "table", "inet", TABLE], None)?;
    listing
        .split_once("counter packets ")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("no rule counter in: {}", listing.trim()))
}

/// Cases of this area.
//= type=test
//= linux/ao-unchecked
pub(super) fn cases() -> Vec<Case> {
    Case::per_family(
        "ao-bypass",
        "nft-drops-option-29",
        "with an nftables rule dropping TCP option 29 toward the MD5 port, forged AO-only data and RST do not reach an established MD5 session; signed data still flows",
        mitigated_session,
    )
    .into_iter()
    .map(|c| c.with_need(Need::Program(Program::NFT)))
    .collect()
}

fn skipped(why: String) -> Finding {
    Finding {
        outcome: Outcome::Skip(why),
        steps: Steps::default(),
        notes: Vec::new(),
    }
}

/// Sends `probe` (AO-only) and requires the rule to have stopped it: no
/// reply, no authentication counter, nothing for the application.
fn forged_is_stopped(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    peer: &mut Peer,
    conn: &super::kit::conn::KernelConn,
    name: &str,
    probe: &SegmentSpec,
) -> Result<(), Error> {
    // What the kernel itself would do without the rule, for the notes only:
    // not logged as the case's prediction (the rule stops the segment), so
    // the case does not count as showing the bypass.
    if let Ok(v) = packet_verdict(&probe.packet(), &conn.model, 0, ctx.env.semantics) {
        rec.note(format!(
            "{name}: without the rule, {} predicts {v}",
            ctx.env.semantics.id()
        ));
    }
    let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, probe)?;
    let read = conn.read_now();
    let stopped =
        obs.replies.is_empty() && obs.auth_counters.is_empty() && matches!(read, Ok(None));
    let seen = if stopped {
        "stopped".to_owned()
    } else {
        format!(
            "{}; {}; the application sees {}",
            words::replies(&obs.replies),
            words::counters(&obs.auth_counters),
            words::read(&read)
        )
    };
    rec.step(format!("{name}: stopped"), format!("{name}: {seen}"));
    rec.check(
        stopped,
        format!("{name}: reached TCP through the rule ({seen})"),
    );
    Ok(())
}

fn mitigated_session(ctx: &mut Ctx<'_>, family: Family) -> Result<Finding, Error> {
    let (_listener, mut peer, conn) = established(ctx, family, 24)?;
    if let Err(why) = nft(&["-f", "-"], Some(&ruleset(LISTEN_PORT))) {
        return Ok(skipped(why));
    }
    let mut rec = Record::new();
    rec.note(format!(
        "rule: tcp dport {LISTEN_PORT} tcp option 29 exists counter drop (prerouting, priority raw)"
    ));

    let data = peer.data(b"FORGED", &Auth::Ao);
    forged_is_stopped(ctx, &mut rec, &mut peer, &conn, "AO data", &data)?;
    acknowledges_all_sent(ctx, &mut rec, &mut peer, "AO data")?;

    let rst = peer.rst(0, &Auth::Ao);
    forged_is_stopped(ctx, &mut rec, &mut peer, &conn, "AO RST", &rst)?;
    // Not reset, and signed data is still delivered through the rule.
    rst_effect(ctx, &mut rec, &mut peer, &conn, false)?;

    match dropped_packets() {
        Ok(n) => rec.check(
            n == 2,
            format!("the rule counted {n} dropped packets, not the 2 forged ones"),
        ),
        Err(why) => rec.problem(why),
    }
    rec.note("the rule dropped the AO data and the AO RST (its counter: 2 packets)");
    Ok(finish(rec, &[&peer]))
}
