//! Runs the tcpmd5 conformance suite on kernels other than the host's: a
//! kernel image, a Debian kernel package or a package name is booted in
//! qemu with an initramfs holding the suite binary itself (`vm`), and
//! several kernels are compared case by case (`matrix`), each also running
//! the model-vs-kernel differential in the same boot.
//!
//! Everything runs as a normal user (qemu's TCG needs no privilege); the
//! packages are unpacked and the initramfs written with crates, not dpkg
//! or cpio.

mod child;
mod deb;
pub mod differential;
mod elf;
pub mod error;
pub mod guest;
mod initramfs;
pub mod kernel;
mod kvm;
pub mod matrix;
mod modules;
mod progress;
pub mod qemu;
pub mod suite_report;
pub mod vm_command;

pub use error::VmError;
pub use matrix::{MatrixArgs, run_matrix};
pub use vm_command::{VmArgs, run_vm};

/// The `vm` and `matrix` subcommands, for a clap `Subcommand` enum of the
/// suite's binary (`#[command(flatten)]`).
#[derive(Debug, Clone, clap::Subcommand)]
pub enum VmCommand {
    /// Run the suite on another kernel in qemu and exit with its status.
    Vm(Box<VmArgs>),
    /// Run the suite on several kernels and report what differs.
    Matrix(Box<MatrixArgs>),
}

impl VmCommand {
    /// Runs the subcommand.
    pub fn run(&self) -> std::process::ExitCode {
        match self {
            VmCommand::Vm(a) => run_vm(a),
            VmCommand::Matrix(a) => run_matrix(a),
        }
    }
}

/// For a binary that parses its own arguments: when the first argument is
/// `vm` or `matrix`, parses the rest and runs it.
pub fn run_if_subcommand() -> Option<std::process::ExitCode> {
    use clap::Parser;
    /// `tcpmd5-conformance vm|matrix`.
    #[derive(Debug, clap::Parser)]
    #[command(name = "tcpmd5-conformance")]
    struct Cli {
        #[command(subcommand)]
        command: VmCommand,
    }
    let first = std::env::args().nth(1)?;
    if first != "vm" && first != "matrix" {
        return None;
    }
    Some(Cli::parse().command.run())
}
