//! `tcpmd5`: explain, verify and sign TCP MD5 segments.

use std::process::ExitCode;

use clap::Parser;
use tcpmd5_cli::args::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match tcpmd5_cli::run(&cli, &mut out) {
        Ok(status) => ExitCode::from(status.code()),
        Err(e) => {
            use std::io::Write;
            let _ = out.flush();
            let _ = writeln!(std::io::stderr(), "tcpmd5: {e}");
            ExitCode::from(e.status().code())
        }
    }
}
