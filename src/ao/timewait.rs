//! The ACK a TIME-WAIT socket of a TCP-AO connection sends, as Linux 6.12
//! sends it (`tcp_v4_timewait_ack`, `tcp_v6_timewait_ack`).
//!
//! The TIME-WAIT path checks no MAC (the segment reaches
//! `tcp_timewait_state_process` before any `tcp_inbound_hash`), and the
//! key of the answering ACK is chosen from the segment being answered: the
//! MKT whose SendID is the segment's RNextKeyID. A segment without an AO
//! option, or asking for a KeyID no MKT sends with, is answered by an
//! *unsigned* ACK on a connection whose every segment RFC 5925 has signed;
//! a malformed option area is not answered at all. Measured on the AO
//! kernel (6.12.118, `tcp-ao/time-wait-unsigned-fin`, both families): an
//! unsigned retransmitted FIN drew an unsigned ACK, an AO-signed one (right
//! or wrong MAC) an ACK signed with the requested key.

use super::error::AoError;
use super::mac_input::header_len;
use super::mkt::{Mkt, MktTable};
use super::option::{AoLocation, locate};

/// How a TIME-WAIT socket of an AO connection answers a segment it ACKs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeWaitAck<'a> {
    /// Not at all: the option area does not parse (`tcp_parse_auth_options`).
    NoAck,
    /// An ACK without an AO option.
    Unsigned,
    /// An ACK signed with this MKT (its SendID is the segment's RNextKeyID).
    Signed(&'a Mkt),
}

/// The answer of a TIME-WAIT socket holding `mkts` to `segment` (a TCP
/// header onwards) that its state machine ACKs.
pub fn timewait_ack<'a>(mkts: &'a MktTable, segment: &[u8]) -> Result<TimeWaitAck<'a>, AoError> {
    let hl = header_len(segment)?;
    let area = segment.get(20..hl).unwrap_or(&[]);
    Ok(match locate(area) {
        Err(_) => TimeWaitAck::NoAck,
        Ok(AoLocation::Ao { option, .. }) => {
            let rnext = option.rnext_key_id();
            match mkts.keys().iter().find(|k| k.send_id == rnext) {
                Some(k) => TimeWaitAck::Signed(k),
                None => TimeWaitAck::Unsigned,
            }
        }
        Ok(AoLocation::Md5 { .. } | AoLocation::Unsigned) => TimeWaitAck::Unsigned,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ao::{Algorithm, MasterKey};
    use core::net::{IpAddr, Ipv4Addr};

    fn segment(options: &[u8]) -> Vec<u8> {
        let mut s = vec![0u8; 20];
        s[12] = (((20 + options.len()) / 4) as u8) << 4;
        s[13] = 0x11; // FIN ACK
        s.extend_from_slice(options);
        s
    }

    #[test]
    fn the_segment_chooses_the_signer() {
        let peer = IpAddr::V4(Ipv4Addr::new(10, 99, 0, 2));
        let mut t = MktTable::new();
        t.add(Mkt::new(
            peer,
            10,
            20,
            Algorithm::HmacSha1,
            MasterKey::new(b"k").unwrap(),
        ));
        let mut ao = vec![29, 16, 20, 10];
        ao.extend([0; 12]);
        assert!(
            matches!(timewait_ack(&t, &segment(&ao)).unwrap(), TimeWaitAck::Signed(k) if k.send_id == 10)
        );
        // Asking for a KeyID no MKT sends with: unsigned.
        ao[3] = 11;
        assert_eq!(
            timewait_ack(&t, &segment(&ao)).unwrap(),
            TimeWaitAck::Unsigned
        );
        // The measured case: an unsigned FIN draws an unsigned ACK.
        assert_eq!(
            timewait_ack(&t, &segment(&[])).unwrap(),
            TimeWaitAck::Unsigned
        );
        // MD5 and AO together: no answer.
        let mut both = ao.clone();
        both.extend([19, 18]);
        both.extend([0; 16]);
        both.extend([1, 1]);
        assert_eq!(
            timewait_ack(&t, &segment(&both)).unwrap(),
            TimeWaitAck::NoAck
        );
        assert!(timewait_ack(&t, &[0; 10]).is_err());
    }
}
