//! Exit statuses as kselftest uses them.

/// Every case that ran passed.
pub const PASS: i32 = 0;
/// A case failed or errored, or the run itself failed.
pub const FAIL: i32 = 1;
/// Nothing ran (every case skipped, or none selected): never a pass.
pub const SKIP: i32 = 4;

/// The process exit code for a status (out-of-range values count as failure).
pub fn exit_code(status: i32) -> std::process::ExitCode {
    std::process::ExitCode::from(u8::try_from(status).unwrap_or(1))
}
