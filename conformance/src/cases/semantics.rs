//! The kernel's observed receive semantics against the one it is held to.
//! The environment probe sends signed SYNs with layouts on which the
//! semantics disagree; this case fails when the semantics the run holds the
//! kernel to (its version's, or `--semantics`) does not predict all of them.

use tcpmd5::Family;

use crate::case::Case;
use crate::environment::SemanticsSource;
use crate::outcome::Finding;

/// Cases of this area.
pub fn cases() -> Vec<Case> {
    vec![Case {
        id: "semantics/probes/ipv4".to_owned(),
        area: "semantics",
        family: Some(Family::V4),
        summary: "the probe layouts behave as the expected semantics predicts".to_owned(),
        needs: vec![],
        body: std::sync::Arc::new(|ctx| {
            let env = ctx.env;
            let fits: Vec<&str> = env.observed_semantics.iter().map(|s| s.id()).collect();
            let observed = if fits.is_empty() {
                "no semantics fits every probe".to_owned()
            } else {
                format!("probes fit {}", fits.join(", "))
            };
            let problems = if env.observed_semantics.contains(&env.semantics) {
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
        }),
    }]
}
