//! A block of the capture on its way through the pipeline.

use crate::capture::FrameAt;
use crate::summary::Summary;

/// A block of whole records, its frames, and once judged their output and
/// summary.
#[derive(Debug, Default)]
pub(super) struct Chunk {
    pub(super) bytes: Vec<u8>,
    pub(super) frames: Vec<FrameAt>,
    pub(super) text: Vec<u8>,
    pub(super) summary: Summary,
}

impl Chunk {
    pub(super) fn clear(&mut self) {
        self.bytes.clear();
        self.frames.clear();
        self.text.clear();
        self.summary = Summary::default();
    }
}
