//! What goes wrong with the tool's input: one line that names the file and
//! byte offset, or the argument. Every variant exits with status 2.

use std::path::Path;

/// Bad input. `Display` is the one line the user sees.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A capture that cannot be read past `offset`.
    #[error("{path}: byte {offset}: {detail}")]
    Capture {
        /// The file.
        path: String,
        /// Where in it.
        offset: u64,
        /// What is wrong there.
        detail: String,
    },
    /// A file that cannot be opened, read or written.
    #[error("{path}: {detail}")]
    File {
        /// The file.
        path: String,
        /// The system's reason.
        detail: String,
    },
    /// A malformed command-line argument.
    #[error("{arg}: {detail}")]
    Argument {
        /// The argument as given (secrets replaced by their length).
        arg: String,
        /// What is wrong with it.
        detail: String,
    },
    /// A malformed line of a key file.
    #[error("{path}:{line}: {detail}")]
    KeyFile {
        /// The file.
        path: String,
        /// The line number (from 1).
        line: usize,
        /// What is wrong with it.
        detail: String,
    },
}

impl CliError {
    /// A file error from an I/O error.
    pub fn file(path: &Path, err: &std::io::Error) -> CliError {
        CliError::File {
            path: path.display().to_string(),
            detail: err.to_string(),
        }
    }

    /// An argument error.
    pub fn argument(arg: impl Into<String>, detail: impl Into<String>) -> CliError {
        CliError::Argument {
            arg: arg.into(),
            detail: detail.into(),
        }
    }
}

/// The process exit status for a finished run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Every segment passed (or nothing to check failed).
    Ok,
    /// At least one segment fails: dropped, or a bypass attempt.
    Failures,
    /// Nothing could be checked (no keys for any receiver, no segment).
    NothingChecked,
    /// Bad input (see [`CliError`]).
    BadInput,
}

impl Status {
    /// The exit code: 0, 1, 2 or 4 (kselftest's skip: nothing checked).
    pub fn code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Failures => 1,
            Status::BadInput => 2,
            Status::NothingChecked => 4,
        }
    }
}
