//! Reading pcap and pcapng captures as a stream of frames (memory does not
//! grow with the file), with the byte offset of anything that goes wrong;
//! and writing pcap files tcpdump and Wireshark open.

use std::io::{Read, Write};

use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapNGPacketBlock;
use pcap_parser::{Linktype, PcapBlockOwned, PcapError, ToVec};

use crate::link::LinkType;

/// The reader's buffer; grown up to [`MAX_BLOCK`] for a larger block.
const BUFFER: usize = 1 << 18;
/// The largest block read (a frame of a 256 KiB snap length fits easily).
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

/// Reads every frame of a pcap or pcapng stream, calling `visit` on each.
/// Returns the number of bytes read.
pub fn read_frames<R: Read + Send>(
    input: R,
    mut visit: impl FnMut(&Frame<'_>) -> Next,
) -> Result<u64, CaptureError> {
    let mut reader = pcap_parser::create_reader(BUFFER, input).map_err(|e| CaptureError {
        offset: 0,
        detail: describe(&e),
    })?;
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut legacy: Option<(Interface, bool)> = None;
    let mut number = 0u64;
    let mut capacity = BUFFER;
    loop {
        let offset = reader.consumed() as u64;
        match reader.next() {
            Ok((len, block)) => {
                let frame = match &block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        legacy = Some((link_of(h.network), h.is_nanosecond_precision()));
                        if legacy.is_some_and(|(i, _)| i.link.is_none()) {
                            return Err(CaptureError {
                                offset,
                                detail: format!("unsupported link type {}", h.network.0),
                            });
                        }
                        None
                    }
                    PcapBlockOwned::Legacy(b) => {
                        let Some((iface, nanos)) = legacy else {
                            return Err(CaptureError {
                                offset,
                                detail: "record before the file header".to_owned(),
                            });
                        };
                        let sub = if nanos {
                            b.ts_usec
                        } else {
                            b.ts_usec.saturating_mul(1000)
                        };
                        let data = b.data.get(..b.caplen as usize).unwrap_or(b.data);
                        Some((iface, data, b.origlen, (u64::from(b.ts_sec), sub)))
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => {
                        interfaces.clear();
                        None
                    }
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        let mut iface = link_of(idb.linktype);
                        iface.units = units_per_second(idb.if_tsresol);
                        interfaces.push(iface);
                        None
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let Some(iface) = interfaces.get(epb.if_id as usize).copied() else {
                            return Err(CaptureError {
                                offset,
                                detail: format!(
                                    "packet of interface {} which no interface block describes",
                                    epb.if_id
                                ),
                            });
                        };
                        let ticks = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                        Some((
                            iface,
                            epb.packet_data(),
                            epb.orig_len(),
                            split_time(ticks, iface.units),
                        ))
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        let Some(iface) = interfaces.first().copied() else {
                            return Err(CaptureError {
                                offset,
                                detail: "simple packet block before any interface block".to_owned(),
                            });
                        };
                        Some((iface, spb.packet_data(), spb.orig_len(), (0, 0)))
                    }
                    PcapBlockOwned::NG(_) => None,
                };
                if let Some((iface, data, orig_len, time)) = frame {
                    number += 1;
                    let Some(link) = iface.link else {
                        return Err(CaptureError {
                            offset,
                            detail: format!("unsupported link type {}", iface.raw_link),
                        });
                    };
                    let frame = Frame {
                        number,
                        offset,
                        link,
                        data,
                        orig_len,
                        time,
                    };
                    if visit(&frame) == Next::Stop {
                        return Ok(offset);
                    }
                }
                reader.consume(len);
            }
            Err(PcapError::Eof) => return Ok(reader.consumed() as u64),
            Err(PcapError::Incomplete(_)) => {
                if reader.reader_exhausted() {
                    return Err(CaptureError {
                        offset,
                        detail: "truncated: the file ends inside a record".to_owned(),
                    });
                }
                let before = reader.data().len();
                reader.refill().map_err(|e| CaptureError {
                    offset,
                    detail: describe(&e),
                })?;
                if reader.data().len() == before && !reader.reader_exhausted() {
                    // A full buffer that still holds no whole record.
                    capacity = capacity.saturating_mul(2);
                    if capacity > MAX_BLOCK || !reader.grow(capacity) {
                        return Err(CaptureError {
                            offset,
                            detail: format!("a record larger than {MAX_BLOCK} bytes"),
                        });
                    }
                }
            }
            Err(PcapError::BufferTooSmall) => {
                capacity = capacity.saturating_mul(2);
                if capacity > MAX_BLOCK || !reader.grow(capacity) {
                    return Err(CaptureError {
                        offset,
                        detail: format!("a record larger than {MAX_BLOCK} bytes"),
                    });
                }
                let _ = reader.refill();
            }
            Err(e) => {
                return Err(CaptureError {
                    offset,
                    detail: describe(&e),
                });
            }
        }
    }
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
