//! FRR's configuration, as far as MD5 goes: `router bgp` sections,
//! `neighbor X password WORD`, `neighbor X update-source ADDR`, peer-groups
//! (`neighbor G peer-group`, `neighbor X peer-group G`, whose password and
//! update-source the members inherit) and `bgp listen range P peer-group G`.

use std::collections::HashMap;
use std::net::IpAddr;

use tcpmd5::Key;

use super::{ConfigError, Entry, RouterConfig, one_address, password};

/// Whether the text is FRR's.
pub(super) fn looks_like(text: &str) -> bool {
    text.lines()
        .any(|l| l.trim_start().starts_with("router bgp"))
}

/// What the configuration says of a neighbor or a peer-group.
#[derive(Debug, Default)]
struct Peer {
    group: Option<String>,
    /// The password as a key (its `Debug` shows the length only).
    password: Option<(Key, usize)>,
    source: Option<IpAddr>,
    line: usize,
    /// The `router bgp N vrf X` section it is in.
    vrf: Option<String>,
}

/// Parses the configuration.
pub(super) fn parse(bytes: &[u8]) -> Result<RouterConfig, ConfigError> {
    let mut peers: HashMap<String, Peer> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut ranges: Vec<(crate::keys::KeyScope, String, usize, Option<String>)> = Vec::new();
    let mut in_bgp = false;
    let mut vrf: Option<String> = None;
    let mut config = RouterConfig {
        daemon: "FRR",
        ..RouterConfig::default()
    };
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = i + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let indented = raw.first().is_some_and(u8::is_ascii_whitespace);
        // Words as FRR's command parser splits them; `raw_words` keeps a
        // password's bytes as written.
        let raw_words: Vec<&[u8]> = raw
            .split(u8::is_ascii_whitespace)
            .filter(|w| !w.is_empty())
            .collect();
        let owned: Vec<String> = raw_words
            .iter()
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        let words: Vec<&str> = owned.iter().map(String::as_str).collect();
        match words.as_slice() {
            ["router", "bgp", rest @ ..] => {
                in_bgp = true;
                vrf = match rest {
                    [_, "vrf", name, ..] => Some((*name).to_owned()),
                    _ => None,
                };
                continue;
            }
            [w, ..] if !indented && !w.starts_with('!') => in_bgp = false,
            _ => {}
        }
        if !in_bgp {
            continue;
        }
        match words.as_slice() {
            ["neighbor", name, rest @ ..] => {
                let peer = peers.entry((*name).to_owned()).or_insert_with(|| {
                    order.push((*name).to_owned());
                    Peer {
                        line,
                        vrf: vrf.clone(),
                        ..Peer::default()
                    }
                });
                match rest {
                    ["peer-group", group] => peer.group = Some((*group).to_owned()),
                    ["password", _] => {
                        // `neighbor NAME password WORD`: the word's bytes.
                        let pw = raw_words.get(3).copied().unwrap_or_default();
                        peer.password = Some((password(pw, line)?, line));
                    }
                    ["password", more @ ..] => {
                        // FRR takes one word: it rejects this command and
                        // runs the neighbor without this password.
                        let what = match more.len() {
                            0 => "a password command without its password".to_owned(),
                            n => format!("FRR takes a password as one word, this one is {n} words"),
                        };
                        config.warnings.push((
                            line,
                            format!(
                                "{what}: FRR rejects the command, so neighbor {name} gets \
                                 no password from this line (nor does this reading)"
                            ),
                        ));
                    }
                    ["update-source", src] => peer.source = src.parse().ok(),
                    _ => {}
                }
            }
            ["bgp", "listen", "range", prefix, "peer-group", group] => {
                if let Ok(scope) = crate::keys::parse_scope(prefix) {
                    ranges.push((scope, (*group).to_owned(), line, vrf.clone()));
                }
            }
            _ => {}
        }
    }
    let inherited = |p: &Peer| {
        let group = p.group.as_ref().and_then(|g| peers.get(g));
        (
            p.password
                .clone()
                .or_else(|| group.and_then(|g| g.password.clone())),
            p.source.or_else(|| group.and_then(|g| g.source)),
        )
    };
    let entry = |scope, pw: Option<(Key, usize)>, line, vrf: Option<String>| -> Entry {
        match pw {
            Some((key, l)) => Entry {
                scope,
                key: Some(key),
                line: l,
                vrf,
            },
            None => Entry {
                scope,
                key: None,
                line,
                vrf,
            },
        }
    };
    for name in &order {
        let Some(p) = peers.get(name) else { continue };
        // Peer-group names and interfaces are not addresses.
        let Some(scope) = one_address(name) else {
            continue;
        };
        let (pw, source) = inherited(p);
        if let Some(a) = source
            && !config.addrs.contains(&a)
        {
            config.addrs.push(a);
        }
        config.entries.push(entry(scope, pw, p.line, p.vrf.clone()));
    }
    for (scope, group, line, vrf) in ranges {
        let pw = peers.get(&group).and_then(|g| g.password.clone());
        config.entries.push(entry(scope, pw, line, vrf));
    }
    Ok(config)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Each entry's scope, key bytes and line.
    fn entries(c: &RouterConfig) -> Vec<(String, Option<Vec<u8>>, usize)> {
        c.entries
            .iter()
            .map(|e| {
                (
                    e.scope.to_string(),
                    e.key.as_ref().map(|k| k.as_bytes().to_vec()),
                    e.line,
                )
            })
            .collect()
    }

    #[test]
    fn neighbors_and_peer_groups() {
        let conf = b"frr defaults traditional\nrouter bgp 65002\n neighbor PEERS peer-group\n neighbor PEERS password grp-pw\n neighbor PEERS update-source 10.0.0.2\n neighbor 10.0.0.1 remote-as 65001\n neighbor 10.0.0.1 peer-group PEERS\n neighbor 10.0.0.3 remote-as 65003\n neighbor 10.0.0.3 password own\xc3\xa4\r\n neighbor 10.0.0.4 remote-as 65004\n bgp listen range 10.8.0.0/16 peer-group PEERS\n!\nline vty\n";
        let c = parse(conf).unwrap();
        assert_eq!(c.addrs, vec!["10.0.0.2".parse::<IpAddr>().unwrap()]);
        let e = entries(&c);
        assert_eq!(
            e,
            vec![
                ("10.0.0.1".into(), Some(b"grp-pw".to_vec()), 4),
                ("10.0.0.3".into(), Some("own\u{e4}".as_bytes().to_vec()), 9),
                ("10.0.0.4".into(), None, 10),
                ("10.8.0.0/16".into(), Some(b"grp-pw".to_vec()), 4),
            ]
        );
    }

    #[test]
    fn a_password_is_the_word_after_the_neighbor_and_password() {
        let conf = b"router bgp 1\n neighbor passwords-grp peer-group\n neighbor passwords-grp password X\n neighbor 10.0.0.1 peer-group passwords-grp\n neighbor 10.0.0.2 password two words\n neighbor 10.0.0.3 password\n";
        let c = parse(conf).unwrap();
        let e: Vec<_> = entries(&c).into_iter().map(|(s, k, _)| (s, k)).collect();
        assert_eq!(
            e,
            vec![
                ("10.0.0.1".into(), Some(b"X".to_vec())),
                ("10.0.0.2".into(), None),
                ("10.0.0.3".into(), None),
            ]
        );
        // Each rejected command is named by its line, never its bytes.
        let lines: Vec<usize> = c.warnings.iter().map(|w| w.0).collect();
        assert_eq!(lines, vec![5, 6]);
        assert!(c.warnings.iter().all(|w| !w.1.contains("two words")));
    }

    #[test]
    fn a_vrf_section_marks_its_neighbors() {
        let conf = b"router bgp 1\n neighbor 10.0.0.1 password a\n!\nrouter bgp 1 vrf RED\n neighbor 10.0.0.2 password b\n";
        let c = parse(conf).unwrap();
        let v: Vec<_> = c
            .entries
            .iter()
            .map(|e| (e.scope.to_string(), e.vrf.clone()))
            .collect();
        assert_eq!(
            v,
            vec![
                ("10.0.0.1".into(), None),
                ("10.0.0.2".into(), Some("RED".into()))
            ]
        );
    }
}
