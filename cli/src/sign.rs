//! `tcpmd5 sign`: re-sign the segments of a capture (or one hex packet)
//! with the given keys, fixing the checksums, into a pcap.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};

use tcpmd5::sign::sign_packet_to_vec;

use crate::args::SignArgs;
use crate::capture::{Frame, Next, PcapWriter, read_frames};
use crate::error::{CliError, Status};
use crate::hex;
use crate::keys::KeyRing;
use crate::link::LinkType;
use crate::segment::{Located, locate};

/// What happened to one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signed {
    /// Re-signed: the new frame.
    Frame(Vec<u8>),
    /// Copied unchanged, and why.
    Unchanged(&'static str),
}

/// Re-signs one frame: the key is the one `verify` would check it with.
pub fn sign_frame(link: LinkType, data: &[u8], orig_len: u32, keys: &mut KeyRing) -> Signed {
    let seg = match locate(link, data, orig_len) {
        Located::Tcp(seg) => seg,
        Located::Unchecked(_) => {
            return Signed::Unchanged("cannot be signed (cut, fragment or malformed)");
        }
        Located::Other => return Signed::Unchanged("not TCP"),
    };
    let addrs = seg.addrs();
    let tcp = seg.tcp();
    let Some(choice) = keys.choose(addrs.src(), addrs.dst(), tcp.src_port(), tcp.dst_port()) else {
        return Signed::Unchanged("no key");
    };
    let Some(key) = choice
        .index
        .and_then(|i| keys.spec(i))
        .and_then(|s| s.key().cloned())
    else {
        return Signed::Unchanged("no key");
    };
    match sign_packet_to_vec(seg.packet, &key) {
        Ok(mut packet) => {
            if let Ok(mut ip) = tcpmd5::wire::Ipv4Packet::new_checked(&mut packet[..]) {
                ip.fill_checksum();
            }
            let mut frame = data.get(..seg.link_offset).unwrap_or(&[]).to_vec();
            frame.extend_from_slice(&packet);
            Signed::Frame(frame)
        }
        Err(_) => Signed::Unchanged("no room for the MD5 option"),
    }
}

/// Runs `sign`.
pub fn run(args: &SignArgs, out: &mut dyn Write) -> Result<Status, CliError> {
    if !args.keys.ao_keys.is_empty() {
        return Err(CliError::argument(
            "--ao-key",
            "sign signs with TCP MD5 only (TCP-AO keys are for explain and verify)",
        ));
    }
    let mut keys = crate::key_sources::load(&args.keys)?;
    if keys.is_empty() {
        return Err(CliError::argument("--key", "sign needs at least one key"));
    }
    if let Some(text) = &args.hex {
        let bytes = hex::decode(text).map_err(|e| CliError::argument("--hex", e.to_string()))?;
        let link = crate::explain::guess_link(&bytes).ok_or_else(|| {
            CliError::argument(
                "--hex",
                "neither an IPv4/IPv6 packet nor an Ethernet frame carrying one",
            )
        })?;
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        let frame = match sign_frame(link, &bytes, len, &mut keys) {
            Signed::Frame(f) => f,
            Signed::Unchanged(why) => {
                return Err(CliError::argument("--hex", format!("not signed: {why}")));
            }
        };
        return match &args.output {
            None => writeln!(out, "{}", hex::encode(&frame))
                .map(|()| Status::Ok)
                .or_else(broken_pipe),
            Some(path) => {
                write_pcap(path, link, out, |w| w.write(&frame, len_of(&frame), (0, 0)))?;
                Ok(Status::Ok)
            }
        };
    }
    let Some(input) = &args.file else {
        return Err(CliError::argument("sign", "give FILE or --hex HEX"));
    };
    let Some(output) = &args.output else {
        return Err(CliError::argument(
            "--output",
            "sign FILE needs --output FILE (or - for stdout)",
        ));
    };
    let file = File::open(input).map_err(|e| CliError::file(input, &e))?;
    let mut writer: Option<(LinkType, PcapWriter<Box<dyn Write + '_>>)> = None;
    let mut counts = (0u64, 0u64);
    let mut failure: Option<CliError> = None;
    let sink: Box<dyn Write + '_> = if output.as_os_str() == "-" {
        Box::new(&mut *out)
    } else {
        Box::new(BufWriter::new(
            File::create(output).map_err(|e| CliError::file(output, &e))?,
        ))
    };
    let mut sink = Some(sink);
    let result = read_frames(BufReader::new(file), |f: &Frame<'_>| {
        if writer.is_none()
            && let Some(s) = sink.take()
        {
            match PcapWriter::new(s, f.link) {
                Ok(w) => writer = Some((f.link, w)),
                Err(e) => {
                    failure = Some(CliError::file(output, &e));
                    return Next::Stop;
                }
            }
        }
        let Some((link, w)) = writer.as_mut() else {
            return Next::Stop;
        };
        if *link != f.link {
            failure = Some(CliError::Capture {
                path: input.display().to_string(),
                offset: f.offset,
                detail: format!(
                    "link type changes from {link} to {}: a pcap holds one",
                    f.link
                ),
            });
            return Next::Stop;
        }
        let written = match sign_frame(f.link, f.data, f.orig_len, &mut keys) {
            Signed::Frame(frame) => {
                counts.0 += 1;
                w.write(&frame, len_of(&frame), f.time)
            }
            Signed::Unchanged(_) => {
                counts.1 += 1;
                w.write(f.data, f.orig_len, f.time)
            }
        };
        match written {
            Ok(()) => Next::Continue,
            Err(e) => {
                failure = Some(CliError::file(output, &e));
                Next::Stop
            }
        }
    });
    result.map_err(|e| CliError::capture(input, e))?;
    if let Some(e) = failure {
        return Err(e);
    }
    match writer {
        Some((_, w)) => {
            w.finish().map_err(|e| CliError::file(output, &e))?;
        }
        None => {
            return Err(CliError::Capture {
                path: input.display().to_string(),
                offset: 0,
                detail: "no frames".to_owned(),
            });
        }
    }
    let _ = writeln!(
        std::io::stderr(),
        "tcpmd5 sign: {} segments signed, {} frames copied unchanged",
        counts.0,
        counts.1
    );
    Ok(Status::Ok)
}

fn len_of(frame: &[u8]) -> u32 {
    u32::try_from(frame.len()).unwrap_or(u32::MAX)
}

fn broken_pipe(e: std::io::Error) -> Result<Status, CliError> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(Status::Ok)
    } else {
        Err(CliError::File {
            path: "stdout".to_owned(),
            detail: e.to_string(),
        })
    }
}

fn write_pcap(
    path: &std::path::Path,
    link: LinkType,
    out: &mut dyn Write,
    body: impl FnOnce(&mut PcapWriter<Box<dyn Write + '_>>) -> std::io::Result<()>,
) -> Result<(), CliError> {
    let sink: Box<dyn Write + '_> = if path.as_os_str() == "-" {
        Box::new(out)
    } else {
        Box::new(BufWriter::new(
            File::create(path).map_err(|e| CliError::file(path, &e))?,
        ))
    };
    let mut w = PcapWriter::new(sink, link).map_err(|e| CliError::file(path, &e))?;
    body(&mut w).map_err(|e| CliError::file(path, &e))?;
    w.finish().map_err(|e| CliError::file(path, &e))?;
    Ok(())
}
