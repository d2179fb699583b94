//! The kernel's observed receive semantics against the one it is held to.
//! The environment probe sends signed SYNs with layouts on which the
//! semantics disagree; this case fails when the semantics the run holds the
//! kernel to (its version's, or `--semantics`) does not predict all of them.

use tcpmd5::Family;

use crate::case::Case;
use crate::environment::{Environment, SemanticsSource};
use crate::outcome::Finding;

/// Cases of this area.
pub(super) fn cases() -> Vec<Case> {
    vec![Case {
        id: "semantics/probes/ipv4".to_owned(),
        area: "semantics",
        family: Some(Family::V4),
        summary: "the probe layouts behave as the expected semantics predicts".to_owned(),
        needs: vec![],
        body: std::sync::Arc::new(|ctx| judge(ctx.env)),
    }]
}

/// Passes when the semantics the kernel is held to is among those that fit
/// every probe.
fn judge(env: &Environment) -> Finding {
    let fits: Vec<&str> = env.observed_semantics.iter().map(|s| s.id()).collect();
    let observed = if fits.is_empty() {
        "no semantics fits every probe".to_owned()
    } else {
        format!("probes fit {}", fits.join(", "))
    };
    // The probes carry no TCP-AO option, on which alone a proposed fix
    // differs from the released semantics it patches.
    let problems = if env
        .observed_semantics
        .contains(&env.semantics.released_base())
    {
        vec![]
    } else {
        vec![format!(
            "{observed}, not {} (chosen by {})",
            env.semantics.id(),
            match env.semantics_source {
                SemanticsSource::CommandLine => "--semantics",
                SemanticsSource::KernelVersion => "the kernel's version",
                SemanticsSource::AssumedCurrent => "default: the version is unknown",
            }
        )]
    };
    Finding::compare(
        format!("semantics {}", env.semantics.id()),
        observed,
        problems,
        env.semantics_probes.clone(),
    )
}

#[cfg(test)]
mod tests {
    use tcpmd5::Semantics;

    use super::*;
    use crate::outcome::Outcome;

    fn env(implied: Semantics, observed: Vec<Semantics>) -> Environment {
        crate::environment::test_environment(implied, observed)
    }

    #[test]
    fn a_kernel_that_regressed_fails() {
        // A >= 6.7 kernel whose probes fit only the legacy parser.
        let f = judge(&env(
            Semantics::Linux { tcp_ao: false },
            vec![Semantics::LinuxLegacy],
        ));
        assert!(matches!(&f.outcome, Outcome::Fail(why) if why.contains("kernel's version")));
        assert_eq!(f.notes, ["probe: dropped"]);
        let none = judge(&env(Semantics::Linux { tcp_ao: false }, vec![]));
        assert!(matches!(none.outcome, Outcome::Fail(_)));
    }

    #[test]
    fn a_kernel_as_its_version_implies_passes() {
        let linux = Semantics::Linux { tcp_ao: false };
        assert_eq!(judge(&env(linux, vec![linux])).outcome, Outcome::Pass);
        let mut held = env(linux, vec![Semantics::LinuxLegacy]);
        held.hold_to(Semantics::LinuxLegacy);
        assert_eq!(judge(&held).outcome, Outcome::Pass);
    }

    #[test]
    fn a_proposed_fix_fits_where_its_released_base_fits() {
        let linux = Semantics::Linux { tcp_ao: false };
        let mut held = env(linux, vec![linux]);
        held.hold_to(Semantics::LinuxAoBypassFixed);
        assert_eq!(judge(&held).outcome, Outcome::Pass);
        let mut legacy = env(linux, vec![Semantics::LinuxLegacy]);
        legacy.hold_to(Semantics::LinuxAoBypassFixed);
        assert!(matches!(judge(&legacy).outcome, Outcome::Fail(_)));
    }
}
