//! Keeps every lane busy: each lane hashes its own message block by block,
//! and takes the next message the moment its current one ends, so a 40-byte
//! message next to a 9000-byte one costs its own blocks, not the long one's.
//!
//! Blocks are read in place while a lane's current part has 64 bytes left;
//! the block that straddles two parts, and MD5's padding and length blocks,
//! are assembled in a 64-byte buffer per lane. When every lane has several
//! in-place blocks ahead (equal-length messages), the kernel runs them all
//! in one call, keeping the state in registers.
//!
//! Messages start longest first (by power-of-two size class), so the last
//! messages to finish are short ones and the lanes stay full to the end.

use crate::Digest;
use crate::steps::IV;

/// Where a lane is in its message's MD5 padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tail {
    /// No message: the lane hashes nothing useful.
    Idle,
    /// Message bytes remain (or the `0x80` byte is still to come).
    Data,
    /// The `0x80` byte was in the last block; the length block is due.
    LengthBlock,
    /// The block just handed out was the message's last.
    Last,
}

/// The message a lane is hashing.
#[derive(Debug)]
struct Lane<'m, 'a> {
    /// Its index in the caller's list (and in the output).
    msg: usize,
    /// What is left of the current part.
    cur: &'a [u8],
    /// The parts after the current one.
    rest: &'m [&'a [u8]],
    /// The message length in bits, modulo 2^64 (RFC 1321 section 3.2).
    bit_len: u64,
    tail: Tail,
}

impl<'m, 'a> Lane<'m, 'a> {
    const IDLE: Lane<'static, 'static> = Lane {
        msg: 0,
        cur: &[],
        rest: &[],
        bit_len: 0,
        tail: Tail::Idle,
    };

    /// Starts message `msg` (in place: a `Lane` built on the stack and
    /// moved in costs a store-forwarding stall per message).
    fn start(&mut self, msg: usize, parts: &'m [&'a [u8]]) {
        self.msg = msg;
        self.cur = &[];
        self.rest = parts;
        self.bit_len = message_len(parts).wrapping_mul(8);
        self.tail = Tail::Data;
    }

    /// Whole blocks readable in place from the current part (skipping empty
    /// parts); 0 when the next block must be assembled.
    fn blocks_in_place(&mut self) -> usize {
        if self.tail != Tail::Data {
            return 0;
        }
        while self.cur.is_empty() {
            match self.rest.split_first() {
                Some((part, rest)) => {
                    self.cur = part;
                    self.rest = rest;
                }
                None => return 0,
            }
        }
        self.cur.len() / 64
    }

    /// Skips `blocks` blocks read in place.
    fn advance(&mut self, blocks: usize) {
        self.cur = self.cur.get(blocks * 64..).unwrap_or(&[]);
    }

    /// Writes the next block into `buf`: the rest of the message (across
    /// parts), then `0x80`, zeros and the bit length, as far as they fit.
    fn assemble(&mut self, buf: &mut [u8; 64]) {
        *buf = [0; 64];
        let mut n = 0;
        if self.tail == Tail::Data {
            loop {
                let take = self.cur.len().min(64 - n);
                let (now, later) = self.cur.split_at(take);
                if let Some(dst) = buf.get_mut(n..n + take) {
                    copy_short(dst, now);
                }
                n += take;
                self.cur = later;
                if n == 64 {
                    return;
                }
                match self.rest.split_first() {
                    Some((part, rest)) => {
                        self.cur = part;
                        self.rest = rest;
                    }
                    None => break,
                }
            }
            if let Some(first) = buf.get_mut(n) {
                *first = 0x80;
            }
            n += 1;
            if n > 56 {
                self.tail = Tail::LengthBlock;
                return;
            }
        }
        let (_, len) = buf.split_at_mut(56);
        len.copy_from_slice(&self.bit_len.to_le_bytes());
        self.tail = Tail::Last;
    }
}

/// `dst.copy_from_slice(src)` for at most 64 bytes, as two overlapping
/// fixed-size copies: no call into libc's `memcpy` for a handful of bytes,
/// which the per-block tails of short messages would pay every time.
fn copy_short(dst: &mut [u8], src: &[u8]) {
    fn two<const W: usize>(dst: &mut [u8], src: &[u8]) {
        if let (Some(d), Some(s)) = (dst.first_chunk_mut::<W>(), src.first_chunk::<W>()) {
            *d = *s;
        }
        if let (Some(d), Some(s)) = (dst.last_chunk_mut::<W>(), src.last_chunk::<W>()) {
            *d = *s;
        }
    }
    match src.len().min(dst.len()) {
        32..=64 => two::<32>(dst, src),
        16..=31 => two::<16>(dst, src),
        8..=15 => two::<8>(dst, src),
        4..=7 => two::<4>(dst, src),
        _ => {
            for (d, s) in dst.iter_mut().zip(src) {
                *d = *s;
            }
        }
    }
}

/// The length of a message in bytes.
fn message_len(parts: &[&[u8]]) -> u64 {
    parts.iter().map(|p| p.len() as u64).sum()
}

/// Message indices, longest size class first (a counting sort on the
/// number of bits of the block count: linear, and stable).
fn longest_first<'a, M: AsRef<[&'a [u8]]>>(messages: &[M]) -> Vec<usize> {
    const CLASSES: usize = 65;
    let class = |m: &M| {
        let blocks = message_len(m.as_ref()) / 64 + 1;
        (u64::BITS - blocks.leading_zeros()) as usize
    };
    let classes: Vec<u8> = messages.iter().map(|m| class(m) as u8).collect();
    if classes.windows(2).all(|w| w.first() == w.last()) {
        return (0..messages.len()).collect(); // one class: keep the order
    }
    // Indexed `CLASSES - class`: a message has at least one block, so its
    // class is at least 1 and `CLASSES` slots suffice.
    let mut start = [0usize; CLASSES];
    for &c in &classes {
        if let Some(s) = start.get_mut(CLASSES - usize::from(c)) {
            *s += 1;
        }
    }
    let mut sum = 0;
    for s in start.iter_mut() {
        let count = *s;
        *s = sum;
        sum += count;
    }
    let mut order = vec![0usize; messages.len()];
    for (i, &c) in classes.iter().enumerate() {
        if let Some(s) = start.get_mut(CLASSES - usize::from(c))
            && let Some(slot) = order.get_mut(*s)
        {
            *slot = i;
            *s += 1;
        }
    }
    order
}

/// Hashes `messages` (each a list of parts) into `out` (same length) with
/// `compress`, an `N`-lane compression function: `compress(state, lanes,
/// blocks)` runs `blocks` blocks of each lane, reading lane `i` from
/// `lanes[i]` (missing bytes read as zero) into column `i` of `state`.
pub(crate) fn run<'a, const N: usize, M, C>(messages: &[M], out: &mut [Digest], mut compress: C)
where
    M: AsRef<[&'a [u8]]>,
    C: FnMut(&mut [[u32; N]; 4], &[&[u8]; N], usize),
{
    let order = if N > 1 {
        longest_first(messages)
    } else {
        (0..messages.len()).collect()
    };
    let mut queue = order.into_iter();
    let mut lanes: [Lane<'_, 'a>; N] = [Lane::IDLE; N];
    let mut bufs = [[0u8; 64]; N];
    let mut state = [[0u32; N]; 4];
    loop {
        let mut blocks = usize::MAX;
        let mut assembled = [false; N];
        for (i, ((lane, buf), from_buf)) in lanes
            .iter_mut()
            .zip(bufs.iter_mut())
            .zip(assembled.iter_mut())
            .enumerate()
        {
            if lane.tail == Tail::Idle {
                let Some((m, parts)) = queue.next().and_then(|m| Some((m, messages.get(m)?)))
                else {
                    continue;
                };
                lane.start(m, parts.as_ref());
                for (word, iv) in state.iter_mut().zip(IV) {
                    if let Some(w) = word.get_mut(i) {
                        *w = iv;
                    }
                }
            }
            match lane.blocks_in_place() {
                0 => {
                    lane.assemble(buf);
                    *from_buf = true;
                    blocks = 1;
                }
                n => blocks = blocks.min(n),
            }
        }
        if blocks == usize::MAX {
            return; // every lane idle, the queue empty
        }
        let mut inputs: [&[u8]; N] = [&[]; N];
        for (((input, lane), buf), &from_buf) in
            inputs.iter_mut().zip(&lanes).zip(&bufs).zip(&assembled)
        {
            *input = if from_buf { buf } else { lane.cur };
        }
        compress(&mut state, &inputs, blocks);
        for (i, (lane, &from_buf)) in lanes.iter_mut().zip(&assembled).enumerate() {
            if !from_buf {
                lane.advance(blocks);
            } else if lane.tail == Tail::Last {
                if let Some(digest) = out.get_mut(lane.msg) {
                    for (bytes, word) in digest.chunks_exact_mut(4).zip(&state) {
                        let w = word.get(i).copied().unwrap_or_default();
                        bytes.copy_from_slice(&w.to_le_bytes());
                    }
                }
                lane.tail = Tail::Idle;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_first_is_a_stable_permutation() {
        let lens = [0usize, 200, 64, 9000, 1, 1460, 9000, 130];
        let bufs: Vec<Vec<u8>> = lens.iter().map(|&n| vec![0; n]).collect();
        let msgs: Vec<[&[u8]; 1]> = bufs.iter().map(|b| [b.as_slice()]).collect();
        // Block counts 1, 4, 2, 141, 1, 23, 141, 3 -> classes 1, 3, 2, 8, 1, 5, 8, 2.
        assert_eq!(longest_first(&msgs), [3, 6, 5, 1, 2, 7, 0, 4]);
    }

    #[test]
    fn padding_lands_where_rfc1321_puts_it() {
        for len in [0usize, 1, 55, 56, 63, 64, 119, 120] {
            let data = vec![0xaa; len];
            let parts: [&[u8]; 1] = [&data];
            let mut lane = Lane::IDLE;
            lane.start(0, &parts);
            let mut blocks = Vec::new();
            loop {
                let n = lane.blocks_in_place();
                if n > 0 {
                    blocks.extend(lane.cur.chunks_exact(64).take(n).map(<[u8]>::to_vec));
                    lane.advance(n);
                    continue;
                }
                let mut buf = [0x55; 64];
                lane.assemble(&mut buf);
                blocks.push(buf.to_vec());
                if lane.tail == Tail::Last {
                    break;
                }
            }
            let flat = blocks.concat();
            assert_eq!(flat.len(), (len + 8) / 64 * 64 + 64, "len {len}");
            assert_eq!(flat[..len], data[..], "len {len}");
            assert_eq!(flat[len], 0x80, "len {len}");
            assert!(flat[len + 1..flat.len() - 8].iter().all(|&b| b == 0));
            assert_eq!(flat[flat.len() - 8..], ((len as u64) * 8).to_le_bytes());
        }
    }
}
