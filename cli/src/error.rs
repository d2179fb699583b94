//! What goes wrong: one line that names the file and byte offset, or the
//! argument (status 2), or what this host does not let the tool observe
//! (status 4).

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
    /// The live kernel cannot be observed here (privileges, namespace,
    /// netlink): nothing was checked.
    #[error("{0}")]
    Unavailable(String),
}

impl CliError {
    /// A file error from an I/O error.
    pub fn file(path: &Path, err: &std::io::Error) -> CliError {
        CliError::File {
            path: path.display().to_string(),
            detail: err.to_string(),
        }
    }

    /// A capture that cannot be read past the error's offset.
    pub fn capture(path: &Path, err: crate::capture::CaptureError) -> CliError {
        CliError::Capture {
            path: path.display().to_string(),
            offset: err.offset,
            detail: err.detail,
        }
    }

    /// Output that cannot be written.
    pub fn stdout(e: impl std::fmt::Display) -> CliError {
        CliError::File {
            path: "stdout".to_owned(),
            detail: e.to_string(),
        }
    }

    /// A namespace that cannot be entered: a bad name is bad input, a
    /// refusal means nothing could be observed.
    pub fn from_netns(e: crate::netns::NetnsError) -> CliError {
        use crate::netns::NetnsError;
        match e {
            NetnsError::BadName(_) => CliError::argument("--netns", e.to_string()),
            NetnsError::Open { ref source, .. }
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                CliError::argument("--netns", e.to_string())
            }
            _ => CliError::Unavailable(e.to_string()),
        }
    }

    /// The exit status this error ends the program with.
    pub fn status(&self) -> Status {
        match self {
            CliError::Unavailable(_) => Status::NothingChecked,
            _ => Status::BadInput,
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
    /// Nothing could be checked (no keys for any receiver, no segment; a
    /// live kernel that cannot be observed here): the reason is printed.
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
