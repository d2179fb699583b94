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
