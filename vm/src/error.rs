//! What can go wrong between a kernel spec and a guest's exit status.

use std::path::PathBuf;

/// An error of the VM runner, with the file or kernel it concerns.
#[derive(Debug, thiserror::Error)]
pub enum VmError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A helper program (apt-get, qemu) could not be started or failed.
    #[error("{program}: {detail}")]
    Command {
        /// The program.
        program: String,
        /// What happened.
        detail: String,
    },
    /// A Debian package did not have the expected contents.
    #[error("{path}: {detail}")]
    Package {
        /// The package file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// A kernel spec named nothing usable.
    #[error("kernel {spec:?}: {detail}")]
    Kernel {
        /// The spec as given.
        spec: String,
        /// Why it cannot be used.
        detail: String,
    },
    /// The suite binary's ELF could not be read or a library not found.
    #[error("{path}: {detail}")]
    Elf {
        /// The binary or library.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The guest did not report an exit status before the deadline, or died.
    #[error("kernel {kernel}: {detail}\nlast output:\n{last_lines}")]
    Guest {
        /// The kernel's name.
        kernel: String,
        /// What happened (deadline, panic, qemu exit).
        detail: String,
        /// The last lines the guest printed.
        last_lines: String,
    },
    /// A suite report could not be read.
    #[error("{what}: {detail}")]
    Report {
        /// Which report.
        what: String,
        /// The parse error.
        detail: String,
    },
}

impl VmError {
    /// An I/O error on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> VmError {
        let path = path.into();
        move |source| VmError::Io { path, source }
    }
}
