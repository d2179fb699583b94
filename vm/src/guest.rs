//! One suite run on one kernel: resolve it, pack the initramfs, boot it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::VmError;
pub use crate::initramfs::GuestStep;
use crate::initramfs::{self, GuestPlan, MAX_PORTS};
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
    /// Guest CPUs (default: 2 under KVM, 1 under TCG, where a second vCPU
    /// can run stale code while the kernel patches a tracepoint's jump in:
    /// an unhandled int3 in `tcp_inbound_hash` panicked a Debian 6.12 guest
    /// as the suite switched `tcp:` tracepoints on).
    #[arg(long)]
    pub cpus: Option<u32>,
    /// Seconds a guest may take before it is stopped as hung.
    #[arg(long, default_value_t = 1200)]
    pub timeout: u64,
    /// The suite binary to run in the guest (default: this binary).
    #[arg(long)]
    pub suite: Option<PathBuf>,
    /// A host directory to copy into the guest, and its guest path (set
    /// by `vm --kselftest`).
    #[arg(skip)]
    pub tree: Option<(PathBuf, String)>,
}

/// A finished guest run.
#[derive(Debug, Clone)]
pub struct GuestRun {
    /// The kernel it ran.
    pub kernel: Kernel,
    /// Each step's status, the accelerator and the times.
    pub exit: GuestExit,
    /// What each step wrote to its serial port, for the steps that had one.
    pub port_outputs: Vec<Option<Vec<u8>>>,
}

/// Resolves `spec` (with an optional modules tree).
pub fn resolve(spec: &str, modules: Option<&Path>) -> Result<Kernel, VmError> {
    kernel::resolve(spec, modules, &kernel::cache_dir())
}

/// Runs `steps` (each a run of the suite binary), one after the other, in
/// one guest booted from `kernel`.
pub fn run(
    kernel: &Kernel,
    args: &GuestArgs,
    steps: Vec<GuestStep>,
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
    let ports: Vec<Option<PathBuf>> = initramfs::step_ports(&steps)
        .into_iter()
        .map(|p| p.map(|n| qemu::port_path(scratch.path(), &kernel.name, n)))
        .collect();
    let port_files: Vec<PathBuf> = ports.iter().flatten().cloned().collect();
    if port_files.len() > MAX_PORTS {
        return Err(VmError::Command {
            program: "qemu-system-x86_64".to_owned(),
            detail: format!(
                "{} steps write to a serial port; a guest has {MAX_PORTS}",
                port_files.len()
            ),
        });
    }
    let step_count = steps.len();
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
            steps,
            modules,
            nonce: nonce.clone(),
            tree: args.tree.clone(),
        },
        &initrd,
    )?;
    Stage::Boot.show(&format!("{} ({})", kernel.name, kernel.image.display()));
    let exit = qemu::boot(
        &Boot {
            kernel_name: &kernel.name,
            image: &kernel.image,
            initrd: &initrd,
            port_files: &port_files,
            steps: step_count,
            nonce: &nonce,
            memory_mib: args.memory,
            cpus: args.cpus,
            timeout: Duration::from_secs(args.timeout),
            echo,
        },
        args.accel,
    )?;
    let port_outputs = ports
        .iter()
        .map(|p| {
            p.as_ref()
                .map(|p| std::fs::read(p).map_err(VmError::io(p)))
                .transpose()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let steps: Vec<String> = (0..step_count)
        .map(|i| {
            format!(
                "step {i} status {} in {:.1} s",
                exit.status(i),
                exit.time(i).as_secs_f64()
            )
        })
        .collect();
    Stage::Done.show(&format!(
        "{}: {} boot {:.1} s, {}{}",
        kernel.name,
        exit.accel.name().to_uppercase(),
        exit.boot_time.as_secs_f64(),
        steps.join(", "),
        exit.kvm_fallback
            .as_deref()
            .map_or(String::new(), |w| format!(" (not KVM: {w})"))
    ));
    Ok(GuestRun {
        kernel: kernel.clone(),
        exit,
        port_outputs,
    })
}
