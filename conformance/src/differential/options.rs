//! Option areas for the differential, generated from the option grammar
//! (RFC 9293 §3.1: EOL, NOP, kind-length-value) with every kind the
//! authentication check cares about, lengths right and wrong, up to the
//! 40 bytes a TCP header can hold, NOP and EOL anywhere.
//!
//! The well-formed options that are neither MD5 nor AO come from
//! [`tcpmd5::strategies`], and one layout is the option area of
//! [`tcpmd5::strategies::segment_with`] taken as it is, so improvements to
//! the shared generators reach the differential without a change here.

use proptest::prelude::*;
use tcpmd5::strategies::plain_option_any;
use tcpmd5::wire::tcp_option::{MD5_OPTION_LEN, kind};

/// The most option bytes a TCP header holds (data offset 15).
pub const MAX_AREA: usize = 40;
/// `NOP NOP` and an MD5 option with a zero digest (filled in by signing):
/// the layout Linux sends.
pub const LINUX_MD5: [u8; 20] = [1, 1, 19, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/// One element of an option area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// End of option list (kind 0).
    Eol,
    /// No-operation (kind 1).
    Nop,
    /// An MD5 option (kind 19) with this length byte; 18 is the only right
    /// one. The value is zero (the digest slot, filled by signing when the
    /// length is right) and as long as the length says, so wrong lengths
    /// overrun or underrun the option.
    Md5(u8),
    /// A TCP-AO option (kind 29) with this length byte (right: 4 + MAC
    /// length, at least 4) and value bytes.
    Ao(u8, Vec<u8>),
    /// A well-formed option from the shared generators (MSS, window scale,
    /// SACK, timestamps, unknown kinds).
    Plain(Vec<u8>),
    /// Any other kind with a length byte that is wrong: 0, 1, or past the
    /// end of the area.
    BadLength(u8, u8),
    /// Raw bytes.
    Raw(Vec<u8>),
}

impl Token {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Token::Eol => vec![kind::EOL],
            Token::Nop => vec![kind::NOP],
            Token::Md5(len) => {
                let mut o = vec![kind::MD5, *len];
                o.resize(usize::from(*len).max(2), 0);
                o
            }
            Token::Ao(len, value) => {
                let mut o = vec![kind::AO, *len];
                o.extend(value);
                o
            }
            Token::Plain(o) | Token::Raw(o) => o.clone(),
            Token::BadLength(k, len) => vec![*k, *len],
        }
    }
}

/// How the area is laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// `NOP NOP MD5` first, then the tokens (what Linux sends).
    Md5First(Vec<Token>),
    /// The tokens, then `NOP NOP MD5`.
    Md5Last(Vec<Token>),
    /// Tokens only (MD5, AO, malformed options as the grammar draws them).
    Grammar(Vec<Token>),
    /// The option area [`tcpmd5::strategies::segment_with`] generated.
    Shared,
}

/// How the end of the area is filled up to a multiple of 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// NOPs to the next multiple of 4.
    Nop,
    /// EOL then zeros to the next multiple of 4.
    Eol,
    /// NOPs up to the full 40 bytes.
    Full,
}

/// An option area description: layout and fill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionArea {
    /// The layout.
    pub layout: Layout,
    /// The fill.
    pub fill: Fill,
}

impl OptionArea {
    /// The area's bytes: at most [`MAX_AREA`], a multiple of 4. `shared` is
    /// the area of the shared segment generator, used by [`Layout::Shared`].
    pub fn bytes(&self, shared: &[u8]) -> Vec<u8> {
        let cat = |tokens: &[Token]| tokens.iter().flat_map(Token::bytes).collect::<Vec<u8>>();
        let mut area = match &self.layout {
            Layout::Md5First(t) => [&LINUX_MD5[..], &cat(t)].concat(),
            Layout::Md5Last(t) => {
                // Keep the MD5 option whole: the tokens give way.
                let mut head = cat(t);
                head.truncate(MAX_AREA - LINUX_MD5.len());
                [&head[..], &LINUX_MD5].concat()
            }
            Layout::Grammar(t) => cat(t),
            Layout::Shared => shared.to_vec(),
        };
        area.truncate(MAX_AREA);
        match self.fill {
            Fill::Nop => pad(&mut area, kind::NOP),
            Fill::Eol => {
                if area.len() < MAX_AREA {
                    area.push(kind::EOL);
                }
                pad(&mut area, 0);
            }
            Fill::Full => area.resize(MAX_AREA, kind::NOP),
        }
        area
    }
}

fn pad(area: &mut Vec<u8>, with: u8) {
    while !area.len().is_multiple_of(4) {
        area.push(with);
    }
}

/// Any token, weighted towards the kinds the authentication check reads.
pub fn token_any() -> BoxedStrategy<Token> {
    let md5_len = prop_oneof![
        6 => Just(MD5_OPTION_LEN as u8),
        1 => Just(0u8),
        1 => Just(1u8),
        2 => 2u8..18,
        2 => 19u8..=22,
        1 => any::<u8>(),
    ];
    let ao = prop_oneof![
        4 => (4u8..=24).prop_flat_map(|len| {
            proptest::collection::vec(any::<u8>(), usize::from(len) - 2)
                .prop_map(move |v| Token::Ao(len, v))
        }),
        1 => (0u8..4).prop_map(|len| Token::Ao(len, vec![])),
        1 => (25u8..=255).prop_map(|len| Token::Ao(len, vec![1, 2])),
    ];
    let bad = (
        prop_oneof![Just(2u8), Just(3), Just(4), Just(5), Just(8), 30u8..=255],
        prop_oneof![Just(0u8), Just(1), 41u8..=255],
    )
        .prop_map(|(k, len)| Token::BadLength(k, len));
    prop_oneof![
        3 => Just(Token::Nop),
        1 => Just(Token::Eol),
        3 => md5_len.prop_map(Token::Md5),
        2 => ao,
        4 => plain_option_any().prop_map(Token::Plain),
        1 => bad,
        1 => proptest::collection::vec(any::<u8>(), 1..=8).prop_map(Token::Raw),
    ]
    .boxed()
}

/// Any option area.
pub fn option_area_any() -> BoxedStrategy<OptionArea> {
    let tokens = || proptest::collection::vec(token_any(), 0..8);
    let plain = || proptest::collection::vec(plain_option_any().prop_map(Token::Plain), 0..4);
    let layout = prop_oneof![
        4 => plain().prop_map(Layout::Md5First),
        1 => plain().prop_map(Layout::Md5Last),
        1 => tokens().prop_map(Layout::Md5First),
        5 => tokens().prop_map(Layout::Grammar),
        2 => Just(Layout::Shared),
    ];
    let fill = prop_oneof![
        5 => Just(Fill::Nop),
        1 => Just(Fill::Eol),
        2 => Just(Fill::Full),
    ];
    (layout, fill)
        .prop_map(|(layout, fill)| OptionArea { layout, fill })
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
        let shared = vec![2, 4, 5, 0xb4, 1, 1, 1];
        for _ in 0..2000 {
            let area = option_area_any()
                .new_tree(&mut runner)
                .unwrap()
                .current()
                .bytes(&shared);
            assert!(area.len() <= MAX_AREA, "{area:?}");
            assert!(area.len().is_multiple_of(4), "{area:?}");
        }
    }

    #[test]
    fn md5_last_keeps_the_option_whole() {
        let area = OptionArea {
            layout: Layout::Md5Last(vec![Token::Raw(vec![1; 30])]),
            fill: Fill::Nop,
        };
        let b = area.bytes(&[]);
        assert_eq!(b.len(), 40);
        assert_eq!(&b[20..], &LINUX_MD5);
    }
}
