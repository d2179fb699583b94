//! Facts about the machine and thread placement.
#![allow(unsafe_code)]

use super::error::HarnessError;

/// Pins the calling thread to one CPU, so timing-sensitive cases run steadily.
pub fn pin_current_thread(cpu: usize) -> Result<(), HarnessError> {
    // SAFETY: cpu_set_t is plain data; zeroed is its empty value.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    if cpu >= libc::CPU_SETSIZE as usize {
        return Err(HarnessError::Unsupported(format!("cpu {cpu} out of range")));
    }
    // SAFETY: cpu is below CPU_SETSIZE, checked above.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: pid 0 is the calling thread; set is a live cpu_set_t of the size passed.
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    if rc != 0 {
        return Err(HarnessError::last_os(format!(
            "sched_setaffinity(cpu {cpu})"
        )));
    }
    Ok(())
}

/// The CPU the calling thread runs on now.
pub fn current_cpu() -> Result<usize, HarnessError> {
    // SAFETY: sched_getcpu takes nothing and only returns a number.
    let cpu = unsafe { libc::sched_getcpu() };
    usize::try_from(cpu).map_err(|_| HarnessError::last_os("sched_getcpu"))
}

/// The running kernel's release (`uname -r`), e.g. `6.18.0`.
pub fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "unknown".to_owned())
}
