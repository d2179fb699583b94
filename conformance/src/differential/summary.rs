//! The differential's report: cases, agreements and rates per family and
//! kind, the reach, and every disagreement with the segment and both
//! verdicts, as text or JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use tcpmd5::Family;

use super::reach::Reach;
use super::targets::ConnectionEvents;

/// Cases of one kind in one family.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KindStats {
    /// Cases run (shrinking steps not included).
    pub cases: u64,
    /// Cases where kernel and model agreed on everything.
    pub agreements: u64,
    /// Cases where they did not.
    pub disagreements: u64,
    /// Wall time spent on these cases, seconds (connection set-up included).
    pub seconds: f64,
}

impl KindStats {
    /// Cases per second.
    pub fn rate(&self) -> f64 {
        self.cases as f64 / self.seconds.max(1e-9)
    }
}

/// A case where kernel and model disagreed.
#[derive(Debug, Clone, Serialize)]
pub struct Disagreement {
    /// `ipv4` or `ipv6`.
    pub family: String,
    /// The case kind.
    pub kind: String,
    /// Whether this is proptest's shrunk (minimal) case rather than the
    /// first one found.
    pub shrunk: bool,
    /// The IP packet injected, hex.
    pub packet_hex: String,
    /// The model's verdict.
    pub expected: String,
    /// The kernel's.
    pub observed: String,
    /// Every disagreement found in the case.
    pub problems: Vec<String>,
    /// Evidence.
    pub notes: Vec<String>,
}

/// One family's run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FamilyReport {
    /// `ipv4` or `ipv6`.
    pub family: String,
    /// Set when the family could not run here (never counted as a pass).
    pub skipped: Option<String>,
    /// A harness failure that stopped the run.
    pub error: Option<String>,
    /// Per case kind.
    pub kinds: BTreeMap<String, KindStats>,
    /// The reach of its segments.
    pub reach: Reach,
    /// Disagreements (the first found, and the shrunk one).
    pub disagreements: Vec<Disagreement>,
    /// Cases whose kernel verdict rests on inference (see
    /// `Judged::inferred`): without tracepoints, a `TCP_AUTH_HDR` drop.
    pub inferred: u64,
    /// How the established connections came about.
    pub connections: ConnectionEvents,
    /// Kernel exchanges spent shrinking a disagreement.
    pub shrink_steps: u64,
    /// Wall time, seconds.
    pub seconds: f64,
}

impl FamilyReport {
    /// An empty report for `family`.
    pub fn new(family: Family) -> FamilyReport {
        FamilyReport {
            family: family.to_string(),
            ..FamilyReport::default()
        }
    }

    /// Cases run.
    pub fn cases(&self) -> u64 {
        self.kinds.values().map(|k| k.cases).sum()
    }
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The seed (hex), for `--seed` / `TCPMD5_DIFF_SEED`.
    pub seed: String,
    /// The model's semantics the kernel is held to.
    pub semantics: String,
    /// The kernel release.
    pub kernel: String,
    /// Cases requested per family.
    pub cases_per_family: u32,
    /// Per family.
    pub families: Vec<FamilyReport>,
}

impl Summary {
    /// Cases run over every family.
    pub fn ran(&self) -> u64 {
        self.families.iter().map(FamilyReport::cases).sum()
    }

    /// Whether the run failed: any disagreement or harness error, or no
    /// case run at all.
    pub fn failed(&self) -> bool {
        self.ran() == 0
            || self
                .families
                .iter()
                .any(|f| f.error.is_some() || !f.disagreements.is_empty())
    }

    /// The reach over every family.
    pub fn reach(&self) -> Reach {
        let mut total = Reach::default();
        for f in &self.families {
            total.add(&f.reach);
        }
        total
    }

    /// JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Text for people.
    pub fn human(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "differential: kernel {}, semantics {}, {} cases per family, seed {}",
            self.kernel, self.semantics, self.cases_per_family, self.seed
        );
        for f in &self.families {
            if let Some(why) = &f.skipped {
                let _ = writeln!(s, "\n{}: SKIP: {why}", f.family);
                continue;
            }
            let _ = writeln!(
                s,
                "\n{}: {} cases in {:.1} s ({:.0}/s)",
                f.family,
                f.cases(),
                f.seconds,
                f.cases() as f64 / f.seconds.max(1e-9)
            );
            let _ = writeln!(
                s,
                "  {:<34} {:>6} {:>7} {:>9} {:>7}",
                "kind", "cases", "agree", "disagree", "cases/s"
            );
            for (kind, k) in &f.kinds {
                let _ = writeln!(
                    s,
                    "  {kind:<34} {:>6} {:>7} {:>9} {:>7.0}",
                    k.cases,
                    k.agreements,
                    k.disagreements,
                    k.rate()
                );
            }
            let _ = writeln!(
                s,
                "  established connections: {} handshakes, {} key changes on a live connection",
                f.connections.handshakes, f.connections.key_changes
            );
            if f.inferred > 0 {
                let _ = writeln!(
                    s,
                    "  {} verdicts inferred from silence (no tracepoints to confirm TCP_AUTH_HDR)",
                    f.inferred
                );
            }
            if let Some(e) = &f.error {
                let _ = writeln!(s, "  ERROR: {e}");
            }
            if f.shrink_steps > 0 {
                let _ = writeln!(s, "  {} exchanges spent shrinking", f.shrink_steps);
            }
        }
        let reach = self.reach();
        let _ = writeln!(s, "\nreach ({} segments):", reach.segments);
        for (what, n) in reach.lines() {
            let _ = writeln!(
                s,
                "  {what:<40} {n:>6} ({:.1}%)",
                100.0 * n as f64 / (reach.segments.max(1)) as f64
            );
        }
        let _ = writeln!(s, "model verdicts:");
        for (verdict, n) in &reach.verdicts {
            let _ = writeln!(s, "  {verdict:<40} {n:>6}");
        }
        for d in self.families.iter().flat_map(|f| &f.disagreements) {
            let _ = writeln!(
                s,
                "\nDISAGREEMENT ({}{}, {}): model {}, kernel {}",
                d.family,
                if d.shrunk { ", shrunk" } else { "" },
                d.kind,
                d.expected,
                d.observed
            );
            for p in &d.problems {
                let _ = writeln!(s, "  - {p}");
            }
            for n in &d.notes {
                let _ = writeln!(s, "  note: {n}");
            }
            let _ = writeln!(s, "  packet: {}", d.packet_hex);
        }
        let _ = write!(
            s,
            "\n{} (replay: --seed {})",
            if self.failed() { "FAIL" } else { "PASS" },
            self.seed
        );
        s
    }
}
