//! The fields of a `tcp_hash_*` / `tcp_ao_*` trace line: which segment was
//! dropped (its sender and receiver), in what socket state, in which L3
//! domain. The line is the kernel's `print fmt` (`net=… state=TCP_LISTEN
//! family=AF_INET src=10.0.0.2:43210 dest=10.0.0.1:179 L3index=0 [ S   ]`),
//! parsed without trusting it: a field that is missing or malformed is
//! `None`, never a panic.

use std::net::SocketAddr;

/// A dropped segment as a trace line names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashEventFields {
    /// The segment's sender (`src=`): the peer.
    pub src: SocketAddr,
    /// The segment's receiver (`dest=`): this host.
    pub dst: SocketAddr,
    /// The receiving socket's state (`TCP_LISTEN`, …), if printed.
    pub state: Option<String>,
    /// The L3 master device (VRF) index the lookup ran in, if printed.
    pub l3index: Option<i32>,
    /// The segment's flags as printed (`S`, `.`, `F`, `R`, `P`), blanks removed.
    pub flags: String,
}

/// The value of `name=` in `line` (up to the next space).
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=");
    let start = line.find(&key)? + key.len();
    let rest = line.get(start..)?;
    Some(rest.split(' ').next().unwrap_or(rest))
}

impl HashEventFields {
    /// Parses a trace line; `None` when it names no sender and receiver.
    pub fn parse(line: &str) -> Option<HashEventFields> {
        let src = field(line, "src")?.parse().ok()?;
        let dst = field(line, "dest")?.parse().ok()?;
        let flags = line
            .rfind('[')
            .and_then(|open| {
                let rest = line.get(open + 1..)?;
                let close = rest.find(']')?;
                rest.get(..close)
            })
            .map(|f| f.chars().filter(|c| !c.is_whitespace()).collect())
            .unwrap_or_default();
        Some(HashEventFields {
            src,
            dst,
            state: field(line, "state").map(str::to_owned),
            l3index: field(line, "L3index").and_then(|v| v.parse().ok()),
            flags,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn both_families_and_garbage() {
        let v4 = "bird-1 [000] ..s1. 9.1: tcp_hash_md5_mismatch: net=4097 state=TCP_LISTEN family=AF_INET src=10.0.0.2:43210 dest=10.0.0.1:179 L3index=0 [ S   ]";
        let f = HashEventFields::parse(v4).unwrap();
        assert_eq!(f.src, "10.0.0.2:43210".parse().unwrap());
        assert_eq!(f.dst, "10.0.0.1:179".parse().unwrap());
        assert_eq!(f.state.as_deref(), Some("TCP_LISTEN"));
        assert_eq!(f.l3index, Some(0));
        assert_eq!(f.flags, "S");
        let v6 = "x: tcp_hash_md5_required: net=1 state=TCP_ESTABLISHED family=AF_INET6 src=[2001:db8::2]:179 dest=[2001:db8::1]:50000 L3index=5 [   P.]";
        let f = HashEventFields::parse(v6).unwrap();
        assert_eq!(f.src, "[2001:db8::2]:179".parse().unwrap());
        assert_eq!((f.l3index, f.flags.as_str()), (Some(5), "P."));
        for bad in [
            "",
            "src=1.2.3.4:1",
            " src=x dest=y",
            " src=1.2.3.4:1 dest=[::1",
        ] {
            assert!(HashEventFields::parse(bad).is_none(), "{bad}");
        }
    }
}
