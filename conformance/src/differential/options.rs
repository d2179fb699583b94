//! Option areas for the differential. The option grammar itself (MD5, AO,
//! the plain kinds, lengths right and wrong, NOP and EOL anywhere, areas up
//! to 40 bytes) is [`tcpmd5_testkit::strategies`]'s, so improvements there
//! reach the differential unchanged. What is added here is the layout Linux
//! sends, `NOP NOP MD5` first (or last) around grammar options, so that
//! enough segments carry a digest the receiver can verify.

use proptest::prelude::*;
use tcpmd5_testkit::options::{NOP, linux_md5_placeholder};
use tcpmd5_testkit::strategies::{MAX_OPTION_AREA, option_any, option_area_any, plain_option_any};

/// The most option bytes a TCP header holds (data offset 15).
pub const MAX_AREA: usize = MAX_OPTION_AREA;

/// How the area is laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// `NOP NOP MD5` (zero digest, filled by signing) first, then these
    /// options: what Linux sends.
    Md5First(Vec<Vec<u8>>),
    /// These options, then `NOP NOP MD5` (kept whole: the options give way).
    Md5Last(Vec<Vec<u8>>),
    /// An area from the grammar as it is.
    Grammar(Vec<u8>),
}

/// An option area description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionArea {
    /// The layout.
    pub layout: Layout,
    /// For the MD5 layouts: pad with NOPs to the full 40 bytes rather than
    /// to the next multiple of 4.
    pub full: bool,
}

impl OptionArea {
    /// The area's bytes: at most [`MAX_AREA`], a multiple of 4.
    pub fn bytes(&self) -> Vec<u8> {
        let md5 = linux_md5_placeholder();
        let mut area = match &self.layout {
            Layout::Grammar(area) => area.clone(),
            Layout::Md5First(options) => [md5, options.concat()].concat(),
            Layout::Md5Last(options) => {
                let mut head = options.concat();
                head.truncate(MAX_AREA - md5.len());
                [head, md5].concat()
            }
        };
        area.truncate(MAX_AREA);
        let len = if self.full && !matches!(self.layout, Layout::Grammar(_)) {
            MAX_AREA
        } else {
            area.len().next_multiple_of(4).min(MAX_AREA)
        };
        area.resize(len, NOP);
        area.truncate(area.len() / 4 * 4);
        area
    }
}

/// Any option area: the Linux layout around well-formed or grammar
/// options, or a grammar area.
pub fn option_area_layout_any() -> BoxedStrategy<OptionArea> {
    let plain = || proptest::collection::vec(plain_option_any(), 0..4);
    let grammar = || proptest::collection::vec(option_any(), 0..6);
    let layout = prop_oneof![
        4 => plain().prop_map(Layout::Md5First),
        1 => plain().prop_map(Layout::Md5Last),
        2 => grammar().prop_map(Layout::Md5First),
        1 => grammar().prop_map(Layout::Md5Last),
        6 => option_area_any().prop_map(Layout::Grammar),
    ];
    (layout, proptest::bool::weighted(0.25))
        .prop_map(|(layout, full)| OptionArea { layout, full })
        .boxed()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::test_runner::TestRunner;

    #[test]
    fn areas_fit_a_tcp_header() {
        let mut runner = TestRunner::deterministic();
        for _ in 0..2000 {
            let area = option_area_layout_any()
                .new_tree(&mut runner)
                .unwrap()
                .current()
                .bytes();
            assert!(area.len() <= MAX_AREA, "{area:?}");
            assert!(area.len().is_multiple_of(4), "{area:?}");
        }
    }

    #[test]
    fn md5_last_keeps_the_option_whole() {
        let area = OptionArea {
            layout: Layout::Md5Last(vec![vec![1; 30]]),
            full: false,
        };
        let b = area.bytes();
        assert_eq!(b.len(), 40);
        assert_eq!(b[20..].to_vec(), linux_md5_placeholder());
    }
}
