//! `ao_option`: any bytes as a TCP-AO option (`AoOption::parse`) and as an
//! option area (`ao::locate`). The option's fields are read back against
//! the RFC 5925 §2.2 layout, and where the area's AO option is found is
//! the kernel's walk (`scan_model::tcp_do_parse_auth_options` with
//! `CONFIG_TCP_AO`'s 5-byte minimum).

use tcpmd5::Semantics;
use tcpmd5::ao::{AoLocation, AoOption, locate};

use crate::scan_model::{Outcome, model_scan};

/// The entry point.
pub fn run(data: &[u8]) {
    // The option view: kind 29, a length of 5 or more that fits.
    let fits =
        data.len() >= 2 && data[0] == 29 && data[1] > 4 && usize::from(data[1]) <= data.len();
    match AoOption::parse(data) {
        Ok(o) => {
            assert!(fits, "accepted {data:02x?}");
            let len = usize::from(data[1]);
            assert_eq!(o.len(), len);
            assert_eq!((o.key_id(), o.rnext_key_id()), (data[2], data[3]));
            assert_eq!(o.mac(), &data[4..len]);
        }
        Err(e) => {
            assert!(!fits, "refused {data:02x?}: {e}");
            assert!(!e.to_string().is_empty());
        }
    }
    // The area.
    let model = model_scan(Semantics::Linux { tcp_ao: true }, data);
    match (locate(data), model) {
        (Ok(AoLocation::Ao { offset, option }), Outcome::Ao(at, len)) => {
            assert_eq!((offset, option.len()), (at, usize::from(len)));
            assert_eq!(option.key_id(), data[at + 2]);
        }
        (Ok(AoLocation::Md5 { offset }), Outcome::Md5(at)) => assert_eq!(offset, at),
        (Ok(AoLocation::Unsigned), Outcome::Absent) | (Err(_), Outcome::Malformed(_)) => {}
        (got, want) => panic!("locate {got:?}, kernel walk {want:?} on {data:02x?}"),
    }
}
