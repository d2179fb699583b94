//! A lab's counter files, opened once in its namespace. A `/proc/net` file
//! answers for the namespace it was opened in, so re-read from the start it
//! serves the lab from any thread, without a path walk per read, and the
//! kernel keeps the buffer it grew for the text between reads (a fresh open
//! formats `netstat` again each time it outgrows a page).

use std::fs::File;
use std::os::unix::fs::FileExt as _;

use super::counters::TcpExtCounters;
use super::error::HarnessError;

const NETSTAT: &str = "/proc/thread-self/net/netstat";
const SNMP: &str = "/proc/thread-self/net/snmp";

/// `netstat` and `snmp` of one namespace.
#[derive(Debug)]
pub struct CounterFiles {
    netstat: File,
    snmp: File,
}

impl CounterFiles {
    /// Opens the files of the calling thread's namespace.
    pub fn open() -> Result<CounterFiles, HarnessError> {
        let open =
            |path: &str| File::open(path).map_err(|e| HarnessError::io(format!("open {path}"), &e));
        Ok(CounterFiles {
            netstat: open(NETSTAT)?,
            snmp: open(SNMP)?,
        })
    }

    /// A snapshot of the namespace's counters.
    pub fn read(&self) -> Result<TcpExtCounters, HarnessError> {
        let netstat = whole(&self.netstat, NETSTAT)?;
        let snmp = whole(&self.snmp, SNMP)?;
        TcpExtCounters::from_texts(&netstat, &snmp)
    }
}

/// The whole text of `file`, read from its start.
fn whole(file: &File, path: &str) -> Result<String, HarnessError> {
    let mut buf = vec![0u8; 16384];
    let mut len = 0;
    loop {
        if len == buf.len() {
            buf.resize(len * 2, 0);
        }
        let chunk = buf.get_mut(len..).unwrap_or_default();
        match file.read_at(chunk, len as u64) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(HarnessError::io(format!("read {path}"), &e)),
        }
    }
    buf.truncate(len);
    String::from_utf8(buf).map_err(|e| HarnessError::Parse {
        path: path.to_owned(),
        detail: e.to_string(),
    })
}
