//! The sequence number extension (RFC 5925 §6.2): the high 32 bits of a
//! 64-bit sequence number, counting wraps of the 32-bit one, so that a MAC
//! never repeats over a long connection. It is not sent; both ends keep it.
//!
//! Linux keeps it per direction next to the highest sequence number seen
//! (`rcv_nxt`/`snd_una`) and places a segment's sequence number relative to
//! that one (`tcp_ao_compute_sne`): a number just below a reference that
//! has already wrapped belongs to the previous SNE, a number just above a
//! reference that has not wrapped yet to the next one. RFC 5925 §6.2
//! describes the same, with the "previous SEG.SEQ" as the reference.

use crate::wire::SeqNumber;

/// The SNE of sequence number `seq`, given the SNE `next_sne` of the
/// reference sequence number `next_seq` (the next byte expected).
pub fn segment_sne(next_sne: u32, next_seq: u32, seq: u32) -> u32 {
    let (next, seg) = (SeqNumber(next_seq), SeqNumber(seq));
    if seg < next && seq > next_seq {
        // Before the reference in sequence space, above it as a number:
        // sent before the wrap.
        next_sne.wrapping_sub(1)
    } else if seg > next && seq < next_seq {
        // After the reference, below it as a number: sent after the wrap.
        next_sne.wrapping_add(1)
    } else {
        next_sne
    }
}

/// One direction's SNE, advanced as sequence numbers are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SneTracker {
    sne: u32,
    seq: u32,
}

impl SneTracker {
    /// A direction starting at `isn` with SNE 0 (RFC 5925 §6.2: the SNE of
    /// the ISN is zero).
    pub fn new(isn: u32) -> SneTracker {
        SneTracker { sne: 0, seq: isn }
    }

    /// The SNE and reference sequence number now.
    pub fn state(&self) -> (u32, u32) {
        (self.sne, self.seq)
    }

    /// The SNE of `seq` (not recorded).
    pub fn sne_of(&self, seq: u32) -> u32 {
        segment_sne(self.sne, self.seq, seq)
    }

    /// Records that `seq` was accepted: the reference moves forward (never
    /// back), and the SNE with it when the 32-bit number wrapped.
    pub fn accept(&mut self, seq: u32) {
        if SeqNumber(seq) > SeqNumber(self.seq) {
            if seq < self.seq {
                self.sne = self.sne.wrapping_add(1);
            }
            self.seq = seq;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_numbers_around_the_wrap() {
        // Reference before the wrap.
        assert_eq!(segment_sne(5, 0xffff_fff0, 0xffff_fff8), 5);
        assert_eq!(segment_sne(5, 0xffff_fff0, 0x0000_0010), 6);
        assert_eq!(segment_sne(5, 0xffff_fff0, 0xffff_ff00), 5);
        // Reference after the wrap: a late segment from before it.
        assert_eq!(segment_sne(6, 0x0000_0010, 0xffff_fff8), 5);
        assert_eq!(segment_sne(6, 0x0000_0010, 0x0000_0008), 6);
        assert_eq!(segment_sne(6, 0x0000_0010, 0x0000_0020), 6);
        assert_eq!(segment_sne(0, 0x10, 0x10), 0);
        // SNE arithmetic wraps too.
        assert_eq!(segment_sne(0, 0x10, 0xffff_fff0), u32::MAX);
        assert_eq!(segment_sne(u32::MAX, 0xffff_fff0, 0x10), 0);
    }

    #[test]
    fn tracker_counts_wraps_and_never_goes_back() {
        let mut t = SneTracker::new(0xffff_ff00);
        assert_eq!(t.state(), (0, 0xffff_ff00));
        t.accept(0xffff_fff0);
        assert_eq!(t.state(), (0, 0xffff_fff0));
        assert_eq!(t.sne_of(0x20), 1);
        t.accept(0x20);
        assert_eq!(t.state(), (1, 0x20));
        assert_eq!(t.sne_of(0xffff_fff8), 0);
        t.accept(0xffff_fff8);
        assert_eq!(t.state(), (1, 0x20));
        t.accept(0x20);
        assert_eq!(t.state(), (1, 0x20));
    }
}
