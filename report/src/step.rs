//! What a case compared, step by step: what the model predicts and what
//! the kernel did, typed where the core has a type for it (a verdict), in
//! words where it has none (replies, socket states, counts). A case's
//! `expected`/`observed` lines for people are written from these.

use std::fmt;

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tcpmd5::VerdictId;

/// One side of a step. In JSON an object with one key: `{"verdict":
/// "accept"}`, `{"inferred": "drop:TCP_AUTH_HDR"}` or `{"words": "no reply"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Behaviour {
    /// A packet verdict.
    Verdict(#[serde(with = "crate::ids::verdict")] VerdictId),
    /// A verdict the kernel's witnesses cannot show and the harness
    /// inferred (without tracepoints, a silent drop that moves no counter
    /// is `TCP_AUTH_HDR`): the same behaviour as the verdict itself.
    Inferred(#[serde(with = "crate::ids::verdict")] VerdictId),
    /// Anything the core has no type for, in words.
    Words(String),
}

impl Behaviour {
    /// The behaviour, whatever told it: an inferred verdict is the verdict.
    /// Kernels compare on this (one kernel has tracepoints, another not).
    pub fn behaviour(&self) -> Behaviour {
        match self {
            Behaviour::Inferred(v) => Behaviour::Verdict(*v),
            other => other.clone(),
        }
    }
}

impl From<VerdictId> for Behaviour {
    fn from(v: VerdictId) -> Behaviour {
        Behaviour::Verdict(v)
    }
}

impl From<String> for Behaviour {
    fn from(s: String) -> Behaviour {
        Behaviour::Words(s)
    }
}

impl From<&str> for Behaviour {
    fn from(s: &str) -> Behaviour {
        Behaviour::Words(s.to_owned())
    }
}

impl fmt::Display for Behaviour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Behaviour::Verdict(v) => write!(f, "{v}"),
            Behaviour::Inferred(v) => write!(f, "{v} (inferred)"),
            Behaviour::Words(w) => f.write_str(w),
        }
    }
}

/// One compared step of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Which of several alike steps this is (`unsigned`, `signed with the
    /// current key`), when a case names them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// What the model predicts.
    pub expected: Behaviour,
    /// What the kernel did.
    pub observed: Behaviour,
}

impl Step {
    /// An unlabelled step.
    pub fn new(expected: impl Into<Behaviour>, observed: impl Into<Behaviour>) -> Step {
        Step {
            label: None,
            expected: expected.into(),
            observed: observed.into(),
        }
    }
}

/// One side of a step with the step's label, as the case's line words it
/// (`unsigned: accept`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Labelled {
    /// The step's label, if it has one.
    pub label: Option<String>,
    /// The behaviour.
    pub behaviour: Behaviour,
}

impl fmt::Display for Labelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.label {
            Some(l) => write!(f, "{l}: {}", self.behaviour),
            None => write!(f, "{}", self.behaviour),
        }
    }
}

/// A case's steps. In JSON three fields of the case: `expected` and
/// `observed`, the line for people (steps joined by `, `, a label before
/// its step), and `steps`, the typed steps; only `steps` is read back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Steps(pub Vec<Step>);

impl Steps {
    /// No step (a setup that failed, a skipped case).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The model's side in words.
    pub fn expected_line(&self) -> String {
        self.line(|s| &s.expected)
    }

    /// The kernel's side in words.
    pub fn observed_line(&self) -> String {
        self.line(|s| &s.observed)
    }

    /// Labels the first step, as a case that repeats alike steps names
    /// each finding's.
    pub fn label(&mut self, label: impl Into<String>) {
        if let Some(first) = self.0.first_mut() {
            let label = label.into();
            first.label = Some(match first.label.take() {
                Some(inner) => format!("{label}: {inner}"),
                None => label,
            });
        }
    }

    /// The kernel's behaviour at each step, however it was told: what
    /// kernels are compared on.
    pub fn observed_behaviour(&self) -> Vec<Labelled> {
        self.0
            .iter()
            .map(|s| Labelled {
                label: s.label.clone(),
                behaviour: s.observed.behaviour(),
            })
            .collect()
    }

    fn line(&self, side: impl Fn(&Step) -> &Behaviour) -> String {
        self.0
            .iter()
            .map(|s| {
                Labelled {
                    label: s.label.clone(),
                    behaviour: side(s).clone(),
                }
                .to_string()
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Serialize for Steps {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("expected", &self.expected_line())?;
        map.serialize_entry("observed", &self.observed_line())?;
        map.serialize_entry("steps", &self.0)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for Steps {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Steps, D::Error> {
        /// The typed steps alone: the lines are for people.
        #[derive(Deserialize)]
        struct Typed {
            steps: Vec<Step>,
        }
        Ok(Steps(Typed::deserialize(d)?.steps))
    }
}

#[cfg(test)]
mod tests {
    use tcpmd5::DropReason;

    use super::*;

    fn steps() -> Steps {
        let mut steps = Steps(vec![
            Step::new(
                VerdictId::Drop(DropReason::AuthHeader),
                Behaviour::Inferred(VerdictId::Drop(DropReason::AuthHeader)),
            ),
            Step::new("signed RST", "no reply"),
        ]);
        steps.label("unsigned");
        steps
    }

    #[test]
    fn the_lines_are_the_steps_in_words() {
        let s = steps();
        assert_eq!(s.expected_line(), "unsigned: drop:TCP_AUTH_HDR, signed RST");
        assert_eq!(
            s.observed_line(),
            "unsigned: drop:TCP_AUTH_HDR (inferred), no reply"
        );
        let seen: Vec<String> = s
            .observed_behaviour()
            .iter()
            .map(Labelled::to_string)
            .collect();
        assert_eq!(seen, ["unsigned: drop:TCP_AUTH_HDR", "no reply"]);
    }

    #[test]
    fn only_the_typed_steps_are_read_back() {
        let json = serde_json::to_value(steps()).unwrap_or_default();
        assert_eq!(
            json["observed"],
            "unsigned: drop:TCP_AUTH_HDR (inferred), no reply"
        );
        assert_eq!(json["steps"][0]["expected"]["verdict"], "drop:TCP_AUTH_HDR");
        assert_eq!(
            json["steps"][0]["observed"]["inferred"],
            "drop:TCP_AUTH_HDR"
        );
        assert_eq!(json["steps"][1]["observed"]["words"], "no reply");
        assert_eq!(serde_json::from_value::<Steps>(json).ok(), Some(steps()));
    }
}
