//! `auth_scan`: an option area through `Semantics::scan` under every
//! semantics, against the literal transcriptions of the kernel's option walks
//! in [`crate::scan_model`].

use tcpmd5::Semantics;
use tcpmd5::scan::{Absence, AuthScan};

use super::spans::assert_within;
use crate::scan_model::{classify, model_scan};

/// The entry point: the scan of `area` under every semantics equals the
/// model's, and what it points at is what the area holds.
pub fn run(area: &[u8]) {
    for semantics in Semantics::ALL {
        let scan = semantics.scan(area);
        let got = classify(&scan);
        let want = model_scan(semantics, area);
        assert_eq!(
            got, want,
            "{semantics}: library {scan:?}, model {want:?}, area {area:02x?}"
        );
        match scan {
            AuthScan::Md5 { digest, offset } => {
                assert_eq!(area.get(offset..offset + 2), Some(&[19u8, 18][..]));
                assert_eq!(&area[offset + 2..offset + 18], &digest[..]);
                assert_within(area, &digest[..], "md5 digest");
            }
            AuthScan::Ao { offset, len } => {
                assert!(
                    matches!(semantics, Semantics::Linux { .. }),
                    "AO seen by {semantics}"
                );
                assert_eq!(area.get(offset..offset + 2), Some(&[29u8, len][..]));
                assert!(offset + usize::from(len) <= area.len());
            }
            AuthScan::Absent(Absence::ShortTail { offset, remaining }) => {
                assert_eq!(offset + remaining, area.len());
            }
            AuthScan::Absent(Absence::EndOfList { offset }) => {
                assert_eq!(area.get(offset), Some(&0));
            }
            AuthScan::Malformed(_) => {
                assert_ne!(semantics, Semantics::LinuxLegacy, "legacy never drops");
            }
            AuthScan::Absent(_) => {}
        }
    }
}
