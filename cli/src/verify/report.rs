//! The end of a run: what keys were read, each session's diagnosis, the
//! totals, and the warnings (nothing checked, a damaged capture).

use serde_json::json;

use crate::args::Format;
use crate::capture::CaptureError;
use crate::diagnosis::{Diagnosis, diagnose};

use super::Run;

impl Run<'_> {
    /// The keys read from routers' configurations and host sections
    /// (scopes and origins, never bytes), before the frames.
    pub(super) fn header(&mut self) {
        if self.args.format != Format::Human {
            return;
        }
        let lines = self.keys.describe();
        if lines.is_empty() {
            return;
        }
        let mut text = String::from("keys read:\n");
        for l in lines {
            text.push_str(&format!("  {l}\n"));
        }
        if self.args.frames {
            text.push('\n');
        }
        let _ = self.emit(format_args!("{text}"));
    }

    /// The sessions' diagnoses and the summary; `error`: the capture's
    /// damage, after which nothing was read.
    pub(super) fn finish(&mut self, path: &str, error: Option<&CaptureError>) {
        let diagnoses: Vec<Diagnosis> = self
            .summary
            .sessions
            .values()
            .map(|e| diagnose(e.clone()))
            .collect();
        let text = match self.args.format {
            Format::Json => self.json(path, &diagnoses, error),
            Format::Human => self.human(&diagnoses, error),
        };
        let _ = self.emit(format_args!("{text}"));
    }

    fn warning(&self) -> Option<String> {
        let s = &self.summary;
        if !s.nothing_checked() {
            return None;
        }
        Some(if self.keys.is_empty() {
            "nothing could be checked: no keys given (--router FILE, --keys FILE or --key SCOPE=SECRET)".to_owned()
        } else if s.totals.segments == 0 {
            "nothing could be checked: no TCP segment in the capture".to_owned()
        } else {
            "nothing could be checked: no key given is for a receiver of these segments".to_owned()
        })
    }

    fn json(&self, path: &str, diagnoses: &[Diagnosis], error: Option<&CaptureError>) -> String {
        let s = &self.summary;
        let mut text = String::new();
        for d in diagnoses {
            let causes: Vec<String> = d.causes.iter().map(|c| d.sentence(c)).collect();
            let record = json!({
                "session": d.session(),
                "diagnosis": {
                    "established": d.established,
                    "causes": d.causes,
                    "sentences": causes,
                    "summary": d.to_string(),
                    "evidence": d.evidence,
                },
            });
            text.push_str(&format!("{record}\n"));
        }
        let connections: Vec<_> = s
            .connections
            .iter()
            .map(|(id, c)| {
                let mut v = serde_json::to_value(c).unwrap_or_default();
                if let Some(o) = v.as_object_mut() {
                    o.insert("a".into(), id.a.to_string().into());
                    o.insert("b".into(), id.b.to_string().into());
                }
                v
            })
            .collect();
        let record = json!({"summary": {
            "file": path,
            "semantics": self.args.semantics.id(),
            "checksum": self.args.checksum,
            "keys_read": self.keys.describe(),
            "frames": s.frames,
            "partial_checksums": s.partial_checksums,
            "other_frames": s.other_frames,
            "unreadable_frames": s.unreadable,
            "totals": s.totals,
            "sessions": diagnoses.len(),
            "connections": connections,
            "failed": s.failed(),
            "nothing_checked": s.nothing_checked(),
            "warning": self.warning(),
            "damaged_at": error.map(|e| e.offset),
        }});
        text.push_str(&format!("{record}\n"));
        text
    }

    fn human(&self, diagnoses: &[Diagnosis], error: Option<&CaptureError>) -> String {
        let s = &self.summary;
        let mut text = String::new();
        if self.args.frames {
            text.push_str(&format!("\nconnections ({}):\n", s.connections.len()));
            for (id, c) in &s.connections {
                text.push_str(&format!("  {} <> {}: {}", id.a, id.b, c.counts));
                if !c.keys.is_empty() {
                    let keys: Vec<&str> = c.keys.iter().map(String::as_str).collect();
                    text.push_str(&format!("; verified by {}", keys.join(", ")));
                }
                if !c.drops.is_empty() {
                    let drops: Vec<String> =
                        c.drops.iter().map(|(d, n)| format!("{d} x{n}")).collect();
                    text.push_str(&format!("; {}", drops.join(", ")));
                }
                text.push('\n');
            }
            text.push('\n');
        }
        text.push_str(&format!(
            "sessions ({}, semantics {}):\n",
            diagnoses.len(),
            self.args.semantics.id()
        ));
        for d in diagnoses {
            text.push_str(&format!("  {d}\n"));
        }
        text.push_str(&format!("total: {} frames, {}", s.frames, s.totals));
        if s.unreadable > 0 {
            text.push_str(&format!(
                ", and {} frames whose segment cannot be read (cut, fragment, malformed)",
                s.unreadable
            ));
        }
        text.push_str(if s.failed() { " — FAILED\n" } else { "\n" });
        if s.partial_checksums > 0 {
            text.push_str(&format!(
                "note: {} segments carry the partial TCP checksum TX offload leaves (a NIC or a veth fills it in): not an error (--checksum strict drops them)\n",
                s.partial_checksums
            ));
        }
        if let Some(w) = self.warning() {
            text.push_str(&format!("warning: {w}\n"));
        }
        if let Some(e) = error {
            text.push_str(&format!(
                "stopped: the capture is damaged at byte {} (the error follows); this summary covers the frames before it\n",
                e.offset
            ));
        }
        text
    }
}
