//! `auth_scan`: an option area through `Semantics::scan` under every
//! semantics, against the literal transcriptions of the kernel's option walks
//! in [`crate::scan_model`].

use tcpmd5::Semantics;
use tcpmd5::scan::{Absence, AuthScan};

use super::spans::assert_within;
use crate::scan_model::{classify, model_scan};
use tcpmd5::scan::Malformation;

/// The entry point: the scan of `area` under every semantics equals the
/// model's, and what it points at is what the area holds.
pub fn run(area: &[u8]) {
    // The area read as a semantics id (the vectors and `--semantics` name
    // them so): only the four ids and the proposed fix's name one, and each
    // names itself.
    if let Ok(text) = core::str::from_utf8(area) {
        let named = Semantics::from_id(text);
        assert_eq!(
            named.map(Semantics::id),
            Semantics::ALL
                .iter()
                .chain(Semantics::PROPOSED.iter())
                .map(|s| s.id())
                .find(|id| *id == text)
        );
    }
    if let [major, minor, ao, ..] = *area {
        let (major, minor, tcp_ao) = (u32::from(major), u32::from(minor), ao & 1 != 0);
        // tcp_do_parse_auth_options replaced tcp_parse_md5sig_option in 6.7.
        let want = if major > 6 || (major == 6 && minor >= 7) {
            Semantics::Linux { tcp_ao }
        } else {
            Semantics::LinuxLegacy
        };
        assert_eq!(Semantics::for_linux_version(major, minor, tcp_ao), want);
    }
    for semantics in Semantics::ALL {
        assert_eq!(Semantics::from_id(semantics.id()), Some(semantics));
        assert_eq!(
            semantics.scan(area).md5_digest().is_some(),
            matches!(semantics.scan(area), AuthScan::Md5 { .. })
        );
        assert!(!semantics.to_string().is_empty());
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
            AuthScan::Absent(a @ Absence::ShortTail { offset, remaining }) => {
                assert_eq!(offset + remaining, area.len());
                assert!(a.to_string().contains(&format!("offset {offset}")));
            }
            AuthScan::Absent(a @ Absence::EndOfList { offset }) => {
                assert_eq!(area.get(offset), Some(&0));
                assert!(a.to_string().contains(&format!("offset {offset}")));
            }
            AuthScan::Malformed(m) => {
                assert_ne!(semantics, Semantics::LinuxLegacy, "legacy never drops");
                let offset = match m {
                    Malformation::BadLength { offset, .. }
                    | Malformation::Md5Length { offset, .. }
                    | Malformation::AoLength { offset, .. }
                    | Malformation::Duplicate { offset, .. } => offset,
                };
                let shown = m.to_string();
                assert!(
                    shown.contains(&format!("offset {offset}")),
                    "{m:?}: {shown}"
                );
            }
            AuthScan::Absent(a) => assert!(!a.to_string().is_empty()),
        }
    }
}
