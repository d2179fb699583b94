//! Whether this process may read sockets' keys: the kernel adds
//! `INET_DIAG_MD5SIG` to a dump only for a requester with `CAP_NET_ADMIN`,
//! and otherwise leaves it out without a word.

/// `CAP_NET_ADMIN`'s bit in the capability sets.
const CAP_NET_ADMIN: u32 = 12;

/// Whether the process's effective set holds `CAP_NET_ADMIN`
/// (`/proc/self/status`, `CapEff`), or why that cannot be told.
pub fn has_net_admin() -> Result<bool, String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("read /proc/self/status: {e}"))?;
    effective_has(&status, CAP_NET_ADMIN)
}

fn effective_has(status: &str, bit: u32) -> Result<bool, String> {
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .ok_or_else(|| "/proc/self/status has no CapEff line".to_owned())?;
    let set = u64::from_str_radix(hex.trim(), 16)
        .map_err(|e| format!("/proc/self/status CapEff {hex:?}: {e}"))?;
    Ok(set >> bit & 1 == 1)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cap_eff() {
        let s = |eff: &str| format!("Name:\tx\nCapPrm:\t0\nCapEff:\t{eff}\n");
        assert!(effective_has(&s("000001ffffffffff"), CAP_NET_ADMIN).unwrap());
        assert!(!effective_has(&s("0000000000000000"), CAP_NET_ADMIN).unwrap());
        assert!(effective_has(&s("0000000000001000"), CAP_NET_ADMIN).unwrap());
        assert!(effective_has("Name: x\n", CAP_NET_ADMIN).is_err());
        assert!(effective_has(&s("zz"), CAP_NET_ADMIN).is_err());
    }
}
