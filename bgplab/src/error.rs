//! What goes wrong while running a lab.

/// A lab step that failed, with what it was doing.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// A command failed or could not start.
    #[error("{command}: {detail}")]
    Command {
        /// The command line.
        command: String,
        /// Its stderr, or the system's reason.
        detail: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {detail}")]
    File {
        /// The file.
        path: String,
        /// The system's reason.
        detail: String,
    },
    /// The truth could not be read (tracepoints, counters, namespaces).
    #[error("kernel truth: {0}")]
    Truth(String),
    /// The description cannot be written as the daemon's configuration.
    #[error("session {session}: {detail}")]
    Spec {
        /// The session's name.
        session: String,
        /// Why.
        detail: String,
    },
}

impl LabError {
    pub(crate) fn file(path: &std::path::Path, e: &std::io::Error) -> LabError {
        LabError::File {
            path: path.display().to_string(),
            detail: e.to_string(),
        }
    }
}
