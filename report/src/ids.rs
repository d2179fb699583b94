//! The core's types in JSON by their stable ids (the core crate has no
//! serde): a semantics as `linux-ao`, a verdict as `drop:TCP_MD5FAILURE`.
//! For `#[serde(with = "...")]`.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};
use tcpmd5::Semantics;

fn semantics_of<E: serde::de::Error>(id: &str) -> Result<Semantics, E> {
    Semantics::from_id(id).ok_or_else(|| {
        E::custom(format!(
            "unknown semantics {id:?} (known: {})",
            Semantics::known()
                .map(Semantics::id)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// One [`Semantics`] as its id.
pub mod semantics {
    use super::*;

    /// Writes the id.
    pub fn serialize<S: Serializer>(s: &Semantics, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(s.id())
    }

    /// Reads an id the model knows.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Semantics, D::Error> {
        semantics_of(&String::deserialize(d)?)
    }
}

/// A list of [`Semantics`] as their ids.
pub mod semantics_list {
    use super::*;

    /// Writes the ids.
    pub fn serialize<S: Serializer>(s: &[Semantics], ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_seq(s.iter().map(|s| s.id()))
    }

    /// Reads ids the model knows.
    pub fn deserialize<'de, D: Deserializer<'de>, C: FromIterator<Semantics>>(
        d: D,
    ) -> Result<C, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|id| semantics_of(id))
            .collect()
    }
}

/// A [`tcpmd5::VerdictId`] as its id.
pub mod verdict {
    use tcpmd5::VerdictId;

    use super::*;

    /// Writes the id.
    pub fn serialize<S: Serializer>(v: &VerdictId, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_str(v)
    }

    /// Reads a verdict id.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<VerdictId, D::Error> {
        String::deserialize(d)?.parse().map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use tcpmd5::{DropReason, Semantics, VerdictId};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Ids {
        #[serde(with = "super::semantics")]
        one: Semantics,
        #[serde(with = "super::semantics_list")]
        many: Vec<Semantics>,
        #[serde(with = "super::verdict")]
        verdict: VerdictId,
    }

    #[test]
    fn ids_round_trip_and_unknown_ones_are_refused() {
        let ids = Ids {
            one: Semantics::LinuxLegacy,
            many: Semantics::known().collect(),
            verdict: VerdictId::Drop(DropReason::Md5Failure),
        };
        let json = serde_json::to_value(&ids).unwrap_or_default();
        assert_eq!(json["one"], "linux-legacy");
        assert_eq!(json["verdict"], "drop:TCP_MD5FAILURE");
        assert_eq!(serde_json::from_value::<Ids>(json).ok(), Some(ids));
        let bad = r#"{"one":"bsd","many":[],"verdict":"accept"}"#;
        let e = serde_json::from_str::<Ids>(bad)
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("unknown semantics \"bsd\"")));
        let bad = r#"{"one":"rfc2385","many":[],"verdict":"drop:MD5"}"#;
        assert!(serde_json::from_str::<Ids>(bad).is_err());
    }
}
