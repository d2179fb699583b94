//! BIRD 2's configuration, as far as MD5 goes: `protocol bgp` and
//! `template bgp` blocks (`from` inherits a template), their `local`
//! address, `neighbor` (an address or `range PREFIX`) and `password`, a
//! quoted string taken literally.

use std::collections::HashMap;
use std::net::IpAddr;

use tcpmd5::Key;

use super::{ConfigError, Entry, RouterConfig, one_address, password};

/// Whether the text is BIRD's.
pub(super) fn looks_like(text: &str) -> bool {
    text.contains("protocol bgp") || text.contains("template bgp")
}

/// A token and its line.
#[derive(Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    /// A quoted string: a password's bytes, among others.
    Str(Vec<u8>),
    Punct(u8),
}

/// A string shows its length only: it may be a password.
impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Token::Word(w) => f.debug_tuple("Word").field(w).finish(),
            Token::Str(s) => write!(f, "Str(<{} bytes>)", s.len()),
            Token::Punct(c) => f.debug_tuple("Punct").field(&char::from(*c)).finish(),
        }
    }
}

fn tokens(bytes: &[u8]) -> Result<Vec<(Token, usize)>, ConfigError> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b'#' => {
                while bytes.get(i).is_some_and(|&c| c != b'\n') {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while bytes.get(i).is_some() && bytes.get(i..i + 2) != Some(b"*/") {
                    line += usize::from(bytes.get(i) == Some(&b'\n'));
                    i += 1;
                }
                i += 2;
            }
            b'"' => {
                let start = line;
                let end = bytes
                    .get(i + 1..)
                    .and_then(|rest| rest.iter().position(|&c| c == b'"' || c == b'\n'))
                    .filter(|&n| bytes.get(i + 1 + n) == Some(&b'"'))
                    .ok_or(ConfigError {
                        line: start,
                        detail: "a string without its closing '\"'".into(),
                    })?;
                let s = bytes.get(i + 1..i + 1 + end).unwrap_or_default().to_vec();
                out.push((Token::Str(s), start));
                i += end + 2;
            }
            b'{' | b'}' | b';' | b',' => {
                out.push((Token::Punct(c), line));
                i += 1;
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                let start = i;
                while bytes.get(i).is_some_and(|&c| {
                    !c.is_ascii_whitespace()
                        && !matches!(c, b'{' | b'}' | b';' | b',' | b'"' | b'#')
                }) {
                    i += 1;
                }
                let w = String::from_utf8_lossy(bytes.get(start..i).unwrap_or_default());
                out.push((Token::Word(w.into_owned()), line));
            }
        }
    }
    Ok(out)
}

/// What one block says (or inherits).
#[derive(Debug, Clone, Default)]
struct Block {
    local: Option<IpAddr>,
    neighbor: Option<(crate::keys::KeyScope, usize)>,
    /// The password as a key (its `Debug` shows the length only).
    password: Option<(Key, usize)>,
    /// `vrf "X"` (not `vrf default`).
    vrf: Option<String>,
}

fn word(t: Option<&(Token, usize)>) -> Option<&str> {
    match t {
        Some((Token::Word(w), _)) => Some(w),
        _ => None,
    }
}

/// Parses a block's statements at depth 1 (nested blocks are skipped).
fn block(toks: &[(Token, usize)], base: Block) -> Result<Block, ConfigError> {
    let mut b = base;
    let mut depth = 0usize;
    let mut stmt: Vec<&(Token, usize)> = Vec::new();
    for t in toks {
        match &t.0 {
            Token::Punct(b'{') => {
                depth += 1;
                stmt.clear();
            }
            Token::Punct(b'}') => {
                depth = depth.saturating_sub(1);
                stmt.clear();
            }
            Token::Punct(b';') if depth == 0 => {
                statement(&stmt, &mut b)?;
                stmt.clear();
            }
            _ if depth == 0 => stmt.push(t),
            _ => {}
        }
    }
    Ok(b)
}

fn statement(stmt: &[&(Token, usize)], b: &mut Block) -> Result<(), ConfigError> {
    let first = stmt.first().map(|t| (&t.0, t.1));
    match first {
        Some((Token::Word(w), line)) if w == "local" => {
            if let Some(a) = word(stmt.get(1).copied()).and_then(|w| w.parse().ok()) {
                b.local = Some(a);
            }
            let _ = line;
        }
        Some((Token::Word(w), line)) if w == "neighbor" => {
            let scope = match word(stmt.get(1).copied()) {
                Some("range") => {
                    word(stmt.get(2).copied()).and_then(|p| crate::keys::parse_scope(p).ok())
                }
                Some(a) => one_address(a),
                None => None,
            };
            if let Some(s) = scope {
                b.neighbor = Some((s, line));
            }
        }
        Some((Token::Word(w), _)) if w == "vrf" => {
            b.vrf = match stmt.get(1).map(|t| &t.0) {
                Some(Token::Str(s)) => Some(String::from_utf8_lossy(s).into_owned()),
                Some(Token::Word(w)) if w != "default" => Some(w.clone()),
                _ => None,
            };
        }
        Some((Token::Word(w), line)) if w == "password" => match stmt.get(1) {
            Some((Token::Str(s), _)) => b.password = Some((password(s, line)?, line)),
            _ => {
                return Err(ConfigError {
                    line,
                    detail: "password: expected a quoted string".into(),
                });
            }
        },
        _ => {}
    }
    Ok(())
}

/// Parses the configuration.
pub(super) fn parse(bytes: &[u8]) -> Result<RouterConfig, ConfigError> {
    let toks = tokens(bytes)?;
    let mut templates: HashMap<String, Block> = HashMap::new();
    let mut config = RouterConfig {
        daemon: "BIRD 2",
        ..RouterConfig::default()
    };
    let mut i = 0;
    while i < toks.len() {
        let kind = word(toks.get(i));
        if !matches!(kind, Some("protocol" | "template")) || word(toks.get(i + 1)) != Some("bgp") {
            i += 1;
            continue;
        }
        // `protocol bgp [NAME] [from T] {`
        let mut j = i + 2;
        let mut name = None;
        let mut from = None;
        while let Some(w) = word(toks.get(j)) {
            if w == "from" {
                from = word(toks.get(j + 1)).map(str::to_owned);
                j += 2;
            } else {
                name = Some(w.to_owned());
                j += 1;
            }
        }
        if toks.get(j).map(|t| &t.0) != Some(&Token::Punct(b'{')) {
            i = j;
            continue;
        }
        // The block's extent.
        let mut depth = 0usize;
        let mut end = j;
        for (k, t) in toks.iter().enumerate().skip(j) {
            match t.0 {
                Token::Punct(b'{') => depth += 1,
                Token::Punct(b'}') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = k;
                        break;
                    }
                }
                _ => {}
            }
        }
        let base = from
            .and_then(|f| templates.get(&f).cloned())
            .unwrap_or_default();
        let b = block(toks.get(j + 1..end).unwrap_or_default(), base)?;
        if kind == Some("template") {
            if let Some(n) = name {
                templates.insert(n, b);
            }
        } else {
            if let Some(a) = b.local
                && !config.addrs.contains(&a)
            {
                config.addrs.push(a);
            }
            if let Some((scope, nline)) = b.neighbor {
                let (key, line) = match b.password {
                    Some((key, line)) => (Some(key), line),
                    None => (None, nline),
                };
                config.entries.push(Entry {
                    scope,
                    key,
                    line,
                    vrf: b.vrf,
                });
            }
        }
        i = end + 1;
    }
    Ok(config)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn protocols_templates_and_literal_strings() {
        let conf = b"router id 1.1.1.1;\n/* a comment\n over lines */\ntemplate bgp peers {\n  local 10.0.0.1 as 65001;\n  password \"with # and spaces\";\n}\nprotocol bgp a from peers {\n  neighbor 10.0.0.2 as 65002;\n  ipv4 { import all; };\n}\nprotocol bgp b {\n  local 10.0.1.1 as 65001;\n  neighbor 10.0.1.2 as 65003; # no password\n}\nprotocol bgp dyn {\n  neighbor range 10.9.0.0/16 external;\n  password \"r\";\n}\n";
        let c = parse(conf).unwrap();
        assert_eq!(c.addrs.len(), 2);
        assert_eq!(c.entries.len(), 3);
        assert_eq!(c.entries[0].scope.to_string(), "10.0.0.2");
        assert_eq!(
            c.entries[0].key.as_ref().unwrap().as_bytes(),
            b"with # and spaces"
        );
        assert_eq!(c.entries[0].line, 6);
        assert!(c.entries[1].key.is_none());
        assert_eq!(c.entries[1].line, 14);
        assert_eq!(c.entries[2].scope.to_string(), "10.9.0.0/16");
        assert!(parse(b"protocol bgp x { password \"open\n; }").is_err());
    }

    #[test]
    fn debug_never_shows_a_password() {
        let conf = b"protocol bgp a {\n neighbor 10.0.0.2 as 1;\n password \"s3cr3tpw\";\n}\n";
        let toks = tokens(conf).unwrap();
        let b = block(&toks[4..toks.len() - 1], Block::default()).unwrap();
        let shown = format!("{toks:?} {b:?} {:?}", parse(conf).unwrap());
        assert!(b.password.is_some());
        assert!(!shown.contains("s3cr3tpw"), "{shown}");
    }

    #[test]
    fn a_vrf_marks_its_neighbor() {
        let conf = b"protocol bgp a {\n vrf \"red\";\n neighbor 10.0.0.2 as 2;\n password \"x\";\n}\nprotocol bgp b {\n vrf default;\n neighbor 10.0.0.3 as 3;\n}\n";
        let c = parse(conf).unwrap();
        assert_eq!(c.entries[0].vrf.as_deref(), Some("red"));
        assert_eq!(c.entries[1].vrf, None);
    }
}
