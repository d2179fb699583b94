//! `explain`'s text for people: the decision chain, one numbered step a
//! line, in the words a kernel engineer uses.

use std::io::Write;

use tcpmd5::Semantics;
use tcpmd5::checksum::CHECKSUM_BREAK;

use super::Explanation;
use crate::assess::ChecksumMode;

/// Renders an explanation for people.
pub fn render_human(e: &Explanation, out: &mut dyn Write) -> std::io::Result<()> {
    let p = &e.packet;
    writeln!(
        out,
        "segment   {} {} > {} {} seq {} ack {}, TCP header {} bytes, payload {} bytes",
        p.family, p.src, p.dst, p.flags, p.seq, p.ack, p.tcp_header_len, p.payload_len
    )?;
    writeln!(out, "receiver  {} socket", e.receiver)?;
    let c = &e.checksums;
    let ip = match c.ip_ok {
        Some(true) => "IPv4 header checksum ok; ",
        Some(false) => "IPv4 header checksum WRONG (IP_CSUM); ",
        None => "",
    };
    let tcp = if c.tcp_ok {
        format!("TCP checksum {} ok", c.tcp_carried)
    } else if c.partial && c.mode != ChecksumMode::Strict {
        format!(
            "TCP checksum {} is the partial sum TX offload leaves (filled in later: {})",
            c.tcp_carried, c.tcp_computed
        )
    } else {
        format!(
            "TCP checksum {} WRONG, should be {}{} (TCP_CSUM)",
            c.tcp_carried,
            c.tcp_computed,
            if c.partial {
                ", a partial checksum from TX offload"
            } else {
                ""
            }
        )
    };
    let tcp_len = p.tcp_header_len + p.payload_len;
    let mode = match (c.mode, c.ip_ok != Some(false) && c.tcp_ok) {
        (_, true) => "",
        (ChecksumMode::Note, false) => " -> noted; judged as if right (--checksum note)",
        (ChecksumMode::Offload, false) if c.partial && c.ip_ok != Some(false) => {
            " -> not an error (a NIC or a veth fills it in); judged as if right (--checksum strict drops it)"
        }
        (ChecksumMode::Strict | ChecksumMode::Offload, false)
            if c.ip_ok == Some(false) || tcp_len <= CHECKSUM_BREAK =>
        {
            " -> the receiver drops it before any MD5 logic"
        }
        (ChecksumMode::Strict | ChecksumMode::Offload, false) => {
            " -> a segment of more than 76 bytes: the receiver sums it only after the MD5 check passes it, then drops it"
        }
    };
    writeln!(out, "1 checksum  {ip}{tcp}{mode}")?;
    writeln!(
        out,
        "2 options   {} bytes",
        p.tcp_header_len.saturating_sub(20)
    )?;
    for o in &e.options {
        let len = o.len.map(|l| format!(" len {l}")).unwrap_or_default();
        let note = o
            .note
            .as_ref()
            .map(|n| format!("  ({n})"))
            .unwrap_or_default();
        writeln!(
            out,
            "            offset {:>2} (TCP byte {:>2}): kind {:>3} {}{len}{note}",
            o.offset,
            20 + o.offset,
            o.kind,
            o.name
        )?;
    }
    writeln!(
        out,
        "3 key       {}",
        match &e.key.chosen {
            Some(_) => e.key.why.clone(),
            None => e.key.why.clone(),
        }
    )?;
    writeln!(out, "4 verdict by semantics")?;
    for s in Semantics::known() {
        let Some(v) = e.verdicts.get(s.id()) else {
            continue;
        };
        if v.proposed {
            writeln!(
                out,
                "  {} (proposed, not in any released kernel) {}",
                s.id(),
                v.kernels
            )?;
        } else {
            writeln!(out, "  {:<12} {}", s.id(), v.kernels)?;
        }
        writeln!(out, "    scan     {}", v.scan_detail)?;
        if let Some(d) = &v.digest {
            writeln!(
                out,
                "    digest   expected {} carried {} -> {}",
                d.expected,
                d.carried,
                if d.matches { "match" } else { "MISMATCH" }
            )?;
        }
        let mut witness = Vec::new();
        if let Some(c) = v.counter {
            witness.push(format!("counter {c} +1"));
        }
        if let Some(t) = v.tracepoint {
            witness.push(format!("tracepoint tcp:{t}"));
        }
        let witness = if witness.is_empty() {
            String::new()
        } else {
            format!(" [{}]", witness.join(", "))
        };
        let acc = v.acceptance.map(|a| format!(" ({a})")).unwrap_or_default();
        writeln!(
            out,
            "    verdict  {}{acc}: {}{witness}",
            v.verdict, v.reason
        )?;
    }
    if let Some(a) = &e.ao {
        render_ao(a, out)?;
    }
    writeln!(out, "=> {}", e.agreement)?;
    let d = &e.decision;
    let key = d
        .key
        .as_ref()
        .filter(|_| d.status == crate::assess::Status::Valid)
        .map(|k| format!(", key {k}"))
        .unwrap_or_default();
    writeln!(
        out,
        "=> verify ({}): {} {}: {}{key}",
        d.semantics,
        d.status.id(),
        d.verdict.as_deref().unwrap_or("-"),
        d.reason
    )?;
    for n in &d.notes {
        writeln!(out, "   note: {n}")?;
    }
    Ok(())
}

/// The TCP-AO check (with `--ao-key`).
fn render_ao(a: &crate::ao_check::AoCheck, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "5 TCP-AO (linux-ao, the AO keys given)")?;
    if let (Some(k), Some(r), Some(m)) = (a.key_id, a.rnext_key_id, &a.mac) {
        writeln!(out, "    option   KeyID {k} RNextKeyID {r} MAC {m}")?;
    }
    if a.key_id.is_some() {
        let key = a.key.as_deref();
        let key = key.unwrap_or("no AO key for the sender with that KeyID");
        writeln!(out, "    key      {key}")?;
    }
    if let Some(i) = &a.isns {
        writeln!(out, "    ISNs     {i}")?;
    }
    if let Some(n) = &a.sne {
        writeln!(out, "    SNE      {n}")?;
    }
    let mut witness = Vec::new();
    if let Some(c) = a.counter {
        witness.push(format!("counter {c} +1"));
    }
    if let Some(t) = a.tracepoint {
        witness.push(format!("tracepoint tcp:{t}"));
    }
    let witness = if witness.is_empty() {
        String::new()
    } else {
        format!(" [{}]", witness.join(", "))
    };
    writeln!(out, "    verdict  {}: {}{witness}", a.verdict, a.reason)
}
