//! One suite run on one kernel: resolve it, pack the initramfs, boot it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::VmError;
use crate::initramfs::{self, GuestPlan};
use crate::kernel::{self, Kernel};
use crate::modules;
use crate::progress::Stage;
use crate::qemu::{self, Accel, Boot, Echo, GuestExit};

/// How to run guests (shared by `vm` and `matrix`).
#[derive(Debug, Clone, clap::Args)]
pub struct GuestArgs {
    /// qemu accelerator: auto tries KVM and falls back to TCG.
    #[arg(long, value_enum, default_value_t = Accel::Auto)]
    pub accel: Accel,
    /// Guest memory in MiB.
    #[arg(long, default_value_t = 1024)]
    pub memory: u32,
    /// Guest CPUs.
    #[arg(long, default_value_t = 2)]
    pub cpus: u32,
    /// Seconds a guest may take before it is stopped as hung.
    #[arg(long, default_value_t = 1200)]
    pub timeout: u64,
    /// The suite binary to run in the guest (default: this binary).
    #[arg(long)]
    pub suite: Option<PathBuf>,
}

/// A finished guest run.
#[derive(Debug, Clone)]
pub struct GuestRun {
    /// The kernel it ran.
    pub kernel: Kernel,
    /// Status, accelerator and times.
    pub exit: GuestExit,
    /// What the suite wrote to the second serial port, when asked to.
    pub port_output: Option<Vec<u8>>,
}

/// Resolves `spec` (with an optional modules tree).
pub fn resolve(spec: &str, modules: Option<&Path>) -> Result<Kernel, VmError> {
    kernel::resolve(spec, modules, &kernel::cache_dir())
}

/// Runs the suite with `suite_args` in a guest booted from `kernel`.
pub fn run(
    kernel: &Kernel,
    args: &GuestArgs,
    suite_args: Vec<String>,
    stdout_to_port: bool,
    echo: Echo,
) -> Result<GuestRun, VmError> {
    let suite = match &args.suite {
        Some(s) => s.clone(),
        None => std::env::current_exe().map_err(VmError::io("/proc/self/exe"))?,
    };
    let modules = match &kernel.modules {
        Some(dir) => modules::collect(dir)?,
        None => Vec::new(),
    };
    let scratch = tempfile::Builder::new()
        .prefix("tcpmd5-vm-")
        .tempdir()
        .map_err(VmError::io(std::env::temp_dir()))?;
    let initrd = scratch.path().join("initramfs.cpio.gz");
    let nonce = qemu::nonce();
    Stage::Pack.show(&format!(
        "{} with {} module(s): {}",
        suite.display(),
        modules.len(),
        modules
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    ));
    initramfs::write(
        &GuestPlan {
            suite,
            args: suite_args,
            modules,
            stdout_to_port,
            nonce: nonce.clone(),
        },
        &initrd,
    )?;
    let port = stdout_to_port.then(|| qemu::port_path(scratch.path(), &kernel.name));
    Stage::Boot.show(&format!("{} ({})", kernel.name, kernel.image.display()));
    let exit = qemu::boot(
        &Boot {
            kernel_name: &kernel.name,
            image: &kernel.image,
            initrd: &initrd,
            port_file: port.as_deref(),
            nonce: &nonce,
            memory_mib: args.memory,
            cpus: args.cpus,
            timeout: Duration::from_secs(args.timeout),
            echo,
        },
        args.accel,
    )?;
    let port_output = match &port {
        Some(p) => Some(std::fs::read(p).map_err(VmError::io(p))?),
        None => None,
    };
    Stage::Done.show(&format!(
        "{}: status {}, {} boot {:.1} s, suite {:.1} s{}",
        kernel.name,
        exit.status,
        exit.accel.name().to_uppercase(),
        exit.boot_time.as_secs_f64(),
        exit.suite_time.as_secs_f64(),
        exit.kvm_fallback
            .as_deref()
            .map_or(String::new(), |w| format!(" (not KVM: {w})"))
    ));
    Ok(GuestRun {
        kernel: kernel.clone(),
        exit,
        port_output,
    })
}
