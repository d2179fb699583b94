//! Writing to stdout without panicking when it is closed or full
//! (`| head -1`, `> /dev/full`), where `println!` panics.

use std::io::{self, Write};
use std::process::ExitCode;

/// Writes `text` and flushes.
pub fn write(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Writes `text` and a newline.
pub fn line(text: &str) -> io::Result<()> {
    write(&format!("{text}\n"))
}

/// The exit status after writing to stdout failed with `e`: a closed pipe
/// ends the program quietly with 141 (128 + SIGPIPE, as a shell reports a
/// program killed by SIGPIPE); any other failure (a full disk) is one line
/// on stderr and status 1.
pub fn failed(program: &str, e: &io::Error) -> ExitCode {
    if e.kind() == io::ErrorKind::BrokenPipe {
        ExitCode::from(141)
    } else {
        let _ = writeln!(io::stderr(), "{program}: write error: {e}");
        ExitCode::from(1)
    }
}

/// How a panicking printer's stdout failure ended (0: none yet).
static PRINTER_FAILED: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Runs `run`, whose report is written by a library that panics when stdout
/// fails (libtest-mimic's printer unwraps its writes), and turns such a
/// panic into the exit status [`failed`] would give (141 quietly on a closed
/// pipe, 1 with one line otherwise). Every other panic is reported and
/// propagated as usual.
pub fn guard_printer<T>(run: impl FnOnce() -> T) -> Result<T, ExitCode> {
    use std::sync::atomic::Ordering;
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let printer = info
            .location()
            .is_some_and(|l| l.file().contains("libtest-mimic"));
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if printer && message.contains("BrokenPipe") {
            PRINTER_FAILED.store(141, Ordering::SeqCst);
        } else if printer && message.contains("kind: ") {
            // "... Os { code: 28, kind: StorageFull, message: \"No space left on device\" }"
            let why = message
                .split_once("message: \"")
                .and_then(|(_, rest)| rest.split_once('"'))
                .map_or(message, |(why, _)| why);
            let _ = writeln!(io::stderr(), "write error: {why}");
            PRINTER_FAILED.store(1, Ordering::SeqCst);
        } else {
            default(info);
        }
    }));
    // Unwind safety: a printer panic ends the program; any other resumes.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(value) => Ok(value),
        Err(payload) => match PRINTER_FAILED.load(Ordering::SeqCst) {
            0 => std::panic::resume_unwind(payload),
            status => Err(ExitCode::from(status)),
        },
    }
}
