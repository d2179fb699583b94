//! Reading pcap and pcapng captures in large blocks (memory does not grow
//! with the file; each frame is a range of its block, never copied), with
//! the byte offset of anything that goes wrong; and writing pcap files
//! tcpdump and Wireshark open.

use std::io::{Read, Write};
use std::ops::Range;

use pcap_parser::nom;
use pcap_parser::pcap::{
    parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified, parse_pcap_header,
};
use pcap_parser::pcapng::{Block, parse_block_be, parse_block_le, parse_sectionheaderblock};
use pcap_parser::traits::PcapNGPacketBlock;
use pcap_parser::{LegacyPcapBlock, Linktype, PcapError, ToVec};

use crate::link::LinkType;

/// Bytes read per block: a few thousand frames of a router's capture.
const BLOCK: usize = 1 << 16;
/// The largest record read (a frame of a 256 KiB snap length fits easily).
const MAX_BLOCK: usize = 16 << 20;

/// One captured frame.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Its number, from 1, as tcpdump and Wireshark count.
    pub number: u64,
    /// Byte offset of its record in the file.
    pub offset: u64,
    /// Its link type.
    pub link: LinkType,
    /// The captured bytes.
    pub data: &'a [u8],
    /// Its length on the wire (more than `data.len()` when cut by the snap length).
    pub orig_len: u32,
    /// Capture time: seconds and nanoseconds since the epoch.
    pub time: (u64, u32),
}

/// A frame of a block read by [`Blocks`]: a [`Frame`] whose bytes are a
/// range of the block.
#[derive(Debug, Clone)]
pub struct FrameAt {
    /// Its number, from 1.
    pub number: u64,
    /// Byte offset of its record in the file.
    pub offset: u64,
    /// Its link type.
    pub link: LinkType,
    /// Where its captured bytes are in the block.
    pub data: Range<usize>,
    /// Its length on the wire.
    pub orig_len: u32,
    /// Capture time: seconds and nanoseconds since the epoch.
    pub time: (u64, u32),
}

impl FrameAt {
    /// The frame, with its bytes from `block`.
    pub fn frame<'a>(&self, block: &'a [u8]) -> Frame<'a> {
        Frame {
            number: self.number,
            offset: self.offset,
            link: self.link,
            data: block.get(self.data.clone()).unwrap_or(&[]),
            orig_len: self.orig_len,
            time: self.time,
        }
    }
}

/// Why a capture cannot be read on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("byte {offset}: {detail}")]
pub struct CaptureError {
    /// Offset in the file.
    pub offset: u64,
    /// What is wrong there.
    pub detail: String,
}

/// What the caller's visitor asks for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Go on.
    Continue,
    /// Stop reading (e.g. the wanted frame was seen, or stdout closed).
    Stop,
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    link: Option<LinkType>,
    raw_link: i32,
    /// Units per second of its timestamps.
    units: u64,
}

fn link_of(linktype: Linktype) -> Interface {
    Interface {
        link: u32::try_from(linktype.0)
            .ok()
            .and_then(LinkType::from_number),
        raw_link: linktype.0,
        units: 1_000_000,
    }
}

/// The pcapng `if_tsresol` value as units per second.
fn units_per_second(tsresol: u8) -> u64 {
    let exp = u32::from(tsresol & 0x7f);
    let units = if tsresol & 0x80 == 0 {
        10u64.checked_pow(exp)
    } else {
        1u64.checked_shl(exp)
    };
    units.filter(|u| *u > 0).unwrap_or(1_000_000)
}

fn split_time(ticks: u64, units: u64) -> (u64, u32) {
    let secs = ticks / units;
    let frac = ticks % units;
    let nanos = u128::from(frac) * 1_000_000_000 / u128::from(units);
    (secs, u32::try_from(nanos).unwrap_or(0))
}

fn describe(e: &PcapError<&[u8]>) -> String {
    match e {
        PcapError::HeaderNotRecognized => {
            "not a pcap or pcapng capture (unknown magic number)".to_owned()
        }
        PcapError::Incomplete(_) | PcapError::UnexpectedEof => {
            "truncated: the file ends inside a record".to_owned()
        }
        PcapError::ReadError => "read error".to_owned(),
        PcapError::BufferTooSmall => format!("a record larger than {MAX_BLOCK} bytes"),
        PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => {
            format!("corrupt record ({kind:?})")
        }
        PcapError::Eof => "empty file".to_owned(),
    }
}

type LegacyParser = fn(&[u8]) -> nom::IResult<&[u8], LegacyPcapBlock<'_>, PcapError<&[u8]>>;

/// The file's format, once its header is read.
#[derive(Debug)]
enum Layout {
    /// pcap: one link type; timestamps in micro- or nanoseconds.
    Legacy {
        parse: LegacyParser,
        iface: Interface,
        nanos: bool,
    },
    /// pcapng: the current section's byte order and interfaces.
    Ng {
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
}

/// One record's outcome.
enum Record {
    /// A frame: its interface, bytes, length on the wire, time.
    Frame(Interface, Range<usize>, u32, (u64, u32)),
    /// A record without a frame (a header, statistics, …).
    Other,
}

/// Reads a pcap or pcapng capture a block of whole records at a time: the
/// frames are ranges of the block (parsed in place by pcap-parser, never
/// copied), so a block can be handed to another thread as it is.
#[derive(Debug)]
pub struct Blocks<R> {
    input: R,
    layout: Option<Layout>,
    /// Bytes read past the last whole record, and their offset in the file.
    carry: Vec<u8>,
    carry_offset: u64,
    /// Bytes to read per block (grown for a larger record).
    want: usize,
    number: u64,
    exhausted: bool,
    /// An error found after the whole records of the block returned with
    /// it: reported by the next call.
    error: Option<CaptureError>,
}

/// Where `part` (a slice of `whole`) starts in `whole`.
fn offset_in(whole: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize)
}

impl<R: Read> Blocks<R> {
    /// A reader of `input`.
    pub fn new(input: R) -> Blocks<R> {
        Blocks {
            input,
            layout: None,
            carry: Vec::new(),
            carry_offset: 0,
            want: BLOCK,
            number: 0,
            exhausted: false,
            error: None,
        }
    }

    /// Bytes of the file in whole records returned so far.
    pub fn consumed(&self) -> u64 {
        self.carry_offset
    }

    /// Fills `block` with the next whole records of the file and `frames`
    /// with the frames among them (replacing what both held). `Ok(false)`
    /// at the end of the file; an error once the whole records before it
    /// were returned.
    pub fn next_block(
        &mut self,
        block: &mut Vec<u8>,
        frames: &mut Vec<FrameAt>,
    ) -> Result<bool, CaptureError> {
        block.clear();
        frames.clear();
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        block.append(&mut self.carry);
        let base = self.carry_offset;
        loop {
            if !self.exhausted && block.len() < self.want {
                let wanted = (self.want - block.len()) as u64;
                let read = (&mut self.input)
                    .take(wanted)
                    .read_to_end(block)
                    .map_err(|e| CaptureError {
                        offset: base + block.len() as u64,
                        detail: format!("read error: {e}"),
                    })?;
                self.exhausted = (read as u64) < wanted;
            }
            let (parsed, error) = self.records(block, base, frames);
            if parsed > 0 || error.is_some() || self.exhausted {
                self.carry
                    .extend_from_slice(block.get(parsed..).unwrap_or(&[]));
                block.truncate(parsed);
                self.carry_offset = base + parsed as u64;
                let error = error.or_else(|| self.at_end(block.is_empty(), base));
                return match error {
                    Some(e) if parsed == 0 => Err(e),
                    Some(e) => {
                        self.error = Some(e);
                        Ok(true)
                    }
                    None => Ok(parsed > 0),
                };
            }
            // Not one whole record in the bytes read: read more.
            self.want = self.want.saturating_mul(2);
            if self.want > MAX_BLOCK {
                return Err(CaptureError {
                    offset: base,
                    detail: format!("a record larger than {MAX_BLOCK} bytes"),
                });
            }
        }
    }

    /// At the end of the file: bytes left that are no whole record (or no
    /// file at all) are an error.
    fn at_end(&self, nothing_parsed: bool, base: u64) -> Option<CaptureError> {
        if !self.exhausted || !nothing_parsed {
            return None;
        }
        if self.layout.is_none() && self.carry.is_empty() {
            return Some(CaptureError {
                offset: 0,
                detail: describe(&PcapError::Eof),
            });
        }
        (!self.carry.is_empty()).then(|| CaptureError {
            offset: base,
            detail: describe(&PcapError::UnexpectedEof),
        })
    }

    /// Parses the whole records at the start of `block` (which starts at
    /// file offset `base`), adding its frames; the bytes they take, and the
    /// error that stopped it, if one did.
    fn records(
        &mut self,
        block: &[u8],
        base: u64,
        frames: &mut Vec<FrameAt>,
    ) -> (usize, Option<CaptureError>) {
        let mut at = 0usize;
        let error = |at: usize, detail: String| CaptureError {
            offset: base + at as u64,
            detail,
        };
        if self.layout.is_none() {
            match self.header(block) {
                Ok(Some(len)) => at = len,
                Ok(None) => return (0, None),
                Err(detail) => return (0, Some(error(0, detail))),
            }
        }
        while let Some(rest) = block.get(at..).filter(|r| !r.is_empty()) {
            let (len, record) = match self.record(block, rest) {
                Ok(Some(parsed)) => parsed,
                Ok(None) => break,
                Err(detail) => return (at, Some(error(at, detail))),
            };
            if let Record::Frame(iface, data, orig_len, time) = record {
                self.number += 1;
                let Some(link) = iface.link else {
                    return (
                        at,
                        Some(error(
                            at,
                            format!("unsupported link type {}", iface.raw_link),
                        )),
                    );
                };
                frames.push(FrameAt {
                    number: self.number,
                    offset: base + at as u64,
                    link,
                    data,
                    orig_len,
                    time,
                });
            }
            at += len;
        }
        (at, None)
    }

    /// Reads the file header: pcapng's first section header is left for
    /// [`Blocks::record`]; pcap's is taken (its length returned). `None`
    /// when more bytes are needed.
    fn header(&mut self, block: &[u8]) -> Result<Option<usize>, String> {
        if block.is_empty() {
            return Ok(None);
        }
        if let Ok((_, shb)) = parse_sectionheaderblock(block) {
            self.layout = Some(Layout::Ng {
                big_endian: shb.big_endian(),
                interfaces: Vec::new(),
            });
            return Ok(Some(0));
        }
        match parse_pcap_header(block) {
            Ok((rest, h)) => {
                let iface = link_of(h.network);
                if iface.link.is_none() {
                    return Err(format!("unsupported link type {}", h.network.0));
                }
                let parse: LegacyParser = match (h.is_modified_format(), h.is_bigendian()) {
                    (true, _) => parse_pcap_frame_modified,
                    (false, true) => parse_pcap_frame_be,
                    (false, false) => parse_pcap_frame,
                };
                self.layout = Some(Layout::Legacy {
                    parse,
                    iface,
                    nanos: h.is_nanosecond_precision(),
                });
                Ok(Some(offset_in(block, rest)))
            }
            Err(nom::Err::Incomplete(_)) if !self.exhausted => Ok(None),
            Err(nom::Err::Incomplete(_)) => Err(describe(&PcapError::UnexpectedEof)),
            Err(_) => Err(describe(&PcapError::HeaderNotRecognized)),
        }
    }

    /// The record at the start of `rest` (a tail of `block`): its length
    /// and what it is; `None` when it does not end in `rest`.
    fn record(&mut self, block: &[u8], rest: &[u8]) -> Result<Option<(usize, Record)>, String> {
        let range = |data: &[u8]| {
            let start = offset_in(block, data);
            start..start + data.len()
        };
        let incomplete = |e: nom::Err<PcapError<&[u8]>>| match e {
            nom::Err::Incomplete(_) => Ok(None),
            nom::Err::Error(e) | nom::Err::Failure(e) => Err(describe(&e)),
        };
        match &mut self.layout {
            None => Ok(None),
            Some(Layout::Legacy {
                parse,
                iface,
                nanos,
            }) => {
                let (after, b) = match parse(rest) {
                    Ok(parsed) => parsed,
                    Err(e) => return incomplete(e),
                };
                let sub = if *nanos {
                    b.ts_usec
                } else {
                    b.ts_usec.saturating_mul(1000)
                };
                let data = b.data.get(..b.caplen as usize).unwrap_or(b.data);
                let record =
                    Record::Frame(*iface, range(data), b.origlen, (u64::from(b.ts_sec), sub));
                Ok(Some((rest.len() - after.len(), record)))
            }
            Some(Layout::Ng {
                big_endian,
                interfaces,
            }) => {
                let parsed = if *big_endian {
                    parse_block_be(rest)
                } else {
                    parse_block_le(rest)
                };
                let (after, block_) = match parsed {
                    Ok(parsed) => parsed,
                    Err(e) => return incomplete(e),
                };
                let record = match &block_ {
                    Block::SectionHeader(shb) => {
                        *big_endian = shb.big_endian();
                        interfaces.clear();
                        Record::Other
                    }
                    Block::InterfaceDescription(idb) => {
                        let mut iface = link_of(idb.linktype);
                        iface.units = units_per_second(idb.if_tsresol);
                        interfaces.push(iface);
                        Record::Other
                    }
                    Block::EnhancedPacket(epb) => {
                        let Some(iface) = interfaces.get(epb.if_id as usize).copied() else {
                            return Err(format!(
                                "packet of interface {} which no interface block describes",
                                epb.if_id
                            ));
                        };
                        let ticks = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                        Record::Frame(
                            iface,
                            range(epb.packet_data()),
                            epb.orig_len(),
                            split_time(ticks, iface.units),
                        )
                    }
                    Block::SimplePacket(spb) => {
                        let Some(iface) = interfaces.first().copied() else {
                            return Err("simple packet block before any interface block".to_owned());
                        };
                        Record::Frame(iface, range(spb.packet_data()), spb.orig_len(), (0, 0))
                    }
                    _ => Record::Other,
                };
                Ok(Some((rest.len() - after.len(), record)))
            }
        }
    }
}

/// Reads every frame of a pcap or pcapng stream, calling `visit` on each.
/// Returns the number of bytes read (the offset of the frame it stopped at,
/// if `visit` stopped it).
pub fn read_frames<R: Read>(
    input: R,
    mut visit: impl FnMut(&Frame<'_>) -> Next,
) -> Result<u64, CaptureError> {
    let mut blocks = Blocks::new(input);
    let (mut block, mut frames) = (Vec::new(), Vec::new());
    while blocks.next_block(&mut block, &mut frames)? {
        for f in &frames {
            if visit(&f.frame(&block)) == Next::Stop {
                return Ok(f.offset);
            }
        }
    }
    Ok(blocks.consumed())
}

/// Writes a pcap file (nanosecond timestamps, one link type).
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    out: W,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header.
    pub fn new(mut out: W, link: LinkType) -> std::io::Result<PcapWriter<W>> {
        let mut header = pcap_parser::PcapHeader::new();
        header.magic_number = 0xa1b2_3c4d;
        header.snaplen = 262_144;
        header.network = Linktype(i32::try_from(link.number()).unwrap_or(1));
        out.write_all(&header.to_vec_raw().map_err(std::io::Error::other)?)?;
        Ok(PcapWriter { out })
    }

    /// Writes one record.
    pub fn write(&mut self, data: &[u8], orig_len: u32, time: (u64, u32)) -> std::io::Result<()> {
        let caplen = u32::try_from(data.len()).map_err(std::io::Error::other)?;
        let block = pcap_parser::LegacyPcapBlock {
            ts_sec: u32::try_from(time.0).unwrap_or(u32::MAX),
            ts_usec: time.1,
            caplen,
            origlen: orig_len.max(caplen),
            data,
        };
        self.out
            .write_all(&block.to_vec_raw().map_err(std::io::Error::other)?)
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pcap(frames: &[&[u8]]) -> Vec<u8> {
        let mut w = PcapWriter::new(Vec::new(), LinkType::Raw).unwrap();
        for (i, f) in frames.iter().enumerate() {
            w.write(f, f.len() as u32, (1_700_000_000 + i as u64, 5))
                .unwrap();
        }
        w.finish().unwrap()
    }

    #[test]
    fn round_trip_and_truncation() {
        let file = pcap(&[b"\x45abc", b"\x60defg"]);
        let mut seen = Vec::new();
        let end = read_frames(&file[..], |f| {
            seen.push((f.number, f.data.to_vec(), f.time));
            Next::Continue
        });
        assert_eq!(end, Ok(file.len() as u64));
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[1].0, 2);
        assert_eq!(seen[1].2, (1_700_000_001, 5));
        let cut = &file[..file.len() - 2];
        let err = read_frames(cut, |_| Next::Continue).unwrap_err();
        assert_eq!(err.offset, 24 + 16 + 4);
        assert!(read_frames(&b"garbage!garbage!garbage!garbage!"[..], |_| Next::Continue).is_err());
        assert!(read_frames(&b""[..], |_| Next::Continue).is_err());
    }
}
