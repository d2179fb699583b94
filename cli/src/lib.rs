//! `tcpmd5`, the command-line tool: explain one segment, verify a capture,
//! sign segments, the way the Linux receive path decides (see the `tcpmd5`
//! library); list live sockets' keys and watch live drops. The binary is a
//! thin shell over [`run`].

pub mod ao_check;
pub mod args;
pub mod assess;
pub mod capability;
pub mod capture;
pub mod diagnosis;
pub mod drop_event;
pub mod error;
pub mod explain;
pub mod fingerprint;
pub mod hex;
pub mod ifname;
pub mod inet_diag;
pub mod isn_book;
pub mod key_sources;
pub mod keys;
pub mod link;
pub mod md5sig_attr;
pub mod netns;
pub mod owners;
pub mod router;
pub mod segment;
pub mod sign;
pub mod socket_keys;
pub mod sockets;
pub mod summary;
pub mod utc_time;
pub mod verify;
pub mod watch;
pub mod watch_message;
pub mod watch_report;
pub mod watch_totals;

use std::io::Write;

/// Runs a parsed command line, writing its output to `out`.
pub fn run(cli: &args::Cli, out: &mut dyn Write) -> Result<error::Status, error::CliError> {
    let status = match &cli.command {
        args::Command::Verify(a) => verify::run(a, out)?,
        args::Command::Explain(a) => explain::run(a, out)?,
        args::Command::Sign(a) => sign::run(a, out)?,
        args::Command::Sockets(a) => sockets::run(a, out)?,
        args::Command::Watch(a) => watch::run(a, out)?,
    };
    // A closed stdout (`| head`) is not an error.
    match out.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(error::CliError::File {
            path: "stdout".to_owned(),
            detail: e.to_string(),
        }),
        _ => Ok(status),
    }
}
