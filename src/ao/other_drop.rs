//! The drops the AO receive path makes for reasons other than
//! authentication, which the crate's [`DropReason`](crate::DropReason)
//! does not model: typed, so no caller compares kernel names as text.

use core::fmt;

/// A drop by the AO receive path that is not an authentication failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OtherDrop {
    /// `TCP_FLAGS`: a segment neither SYN nor ACK at a listener.
    Flags,
    /// `TCP_CLOSE`: the socket is closed.
    Close,
}

impl OtherDrop {
    /// The kernel's name of the drop reason (`TCP_FLAGS`).
    pub fn kernel_name(self) -> &'static str {
        match self {
            OtherDrop::Flags => "TCP_FLAGS",
            OtherDrop::Close => "TCP_CLOSE",
        }
    }

    /// The verdict id, spelled as [`VerdictId`](crate::VerdictId) spells a
    /// drop: `drop:` and the kernel's name.
    pub fn id(self) -> &'static str {
        match self {
            OtherDrop::Flags => "drop:TCP_FLAGS",
            OtherDrop::Close => "drop:TCP_CLOSE",
        }
    }
}

impl fmt::Display for OtherDrop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_spelled_as_verdict_ids_are() {
        for d in [OtherDrop::Flags, OtherDrop::Close] {
            assert_eq!(d.id(), format!("drop:{}", d.kernel_name()));
        }
        assert_ne!(OtherDrop::Flags.id(), OtherDrop::Close.id());
    }
}
