//! The stage a run is in, one line on stderr each (the guest's own output
//! streams to stdout in between, so a redrawn bar would garble it).

use std::io::Write;

/// A stage of a VM run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Fetching a kernel package.
    Download,
    /// Unpacking a kernel package.
    Unpack,
    /// Writing the initramfs.
    Pack,
    /// Starting qemu.
    Boot,
    /// The suite runs in the guest.
    Run,
    /// The guest reported its status.
    Done,
}

impl Stage {
    fn name(self) -> &'static str {
        match self {
            Stage::Download => "download",
            Stage::Unpack => "unpack",
            Stage::Pack => "pack",
            Stage::Boot => "boot",
            Stage::Run => "run",
            Stage::Done => "done",
        }
    }

    /// Prints `[stage] detail` to stderr (a closed stderr is ignored).
    pub(crate) fn show(self, detail: &str) {
        let _ = writeln!(
            std::io::stderr().lock(),
            "tcpmd5-vm [{}] {detail}",
            self.name()
        );
    }
}
