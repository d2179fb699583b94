//! Known, documented divergences (`expected-failures.json`, built into the
//! binary so it stays self-contained).

use serde::Deserialize;

/// One entry of the file.
#[derive(Debug, Clone, Deserialize)]
pub struct ExpectedFailure {
    /// Case id pattern; `*` matches any run of characters.
    pub case: String,
    /// Lowest kernel (major.minor) it applies to.
    #[serde(default)]
    pub min: Option<String>,
    /// Highest kernel (major.minor) it applies to.
    #[serde(default)]
    pub max: Option<String>,
    /// Why the kernel differs.
    pub reason: String,
}

#[derive(Debug, Deserialize)]
struct File {
    entries: Vec<ExpectedFailure>,
}

const DATA: &str = include_str!("../expected-failures.json");

/// The entries, or an error naming what is wrong with the file.
pub fn load() -> Result<Vec<ExpectedFailure>, String> {
    serde_json::from_str::<File>(DATA)
        .map(|f| f.entries)
        .map_err(|e| format!("expected-failures.json: {e}"))
}

fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            let Some(tail) = text.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len()).any(|i| tail.is_char_boundary(i) && glob(rest, &tail[i..]))
        }
    }
}

fn version(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// The entry that covers `case` on kernel `kernel`, if any.
pub fn lookup<'a>(
    entries: &'a [ExpectedFailure],
    case: &str,
    kernel: Option<(u32, u32)>,
) -> Option<&'a ExpectedFailure> {
    entries.iter().find(|e| {
        glob(&e.case, case)
            && e.min
                .as_deref()
                .and_then(version)
                .is_none_or(|m| kernel.is_some_and(|k| k >= m))
            && e.max
                .as_deref()
                .and_then(version)
                .is_none_or(|m| kernel.is_some_and(|k| k <= m))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_parses() {
        load().unwrap();
    }

    #[test]
    fn globbing_and_versions() {
        let e = vec![ExpectedFailure {
            case: "layouts-*/two_md5/*".into(),
            min: Some("6.7".into()),
            max: None,
            reason: "r".into(),
        }];
        assert!(lookup(&e, "layouts-key/two_md5/ipv4", Some((6, 18))).is_some());
        assert!(lookup(&e, "layouts-key/two_md5/ipv4", Some((6, 1))).is_none());
        assert!(lookup(&e, "layouts-key/md5_bare/ipv4", Some((6, 18))).is_none());
    }
}
