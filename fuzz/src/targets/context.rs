//! What every error and name the library prints must satisfy: an error's
//! message carries its context (every number its fields hold, as
//! etherparse's errors do), and nothing printed holds key bytes.

use core::fmt::{Debug, Display};

/// The decimal numbers in `text`.
fn numbers(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Panics unless the message of `e` is non-empty and names every number of
/// its fields (as its `Debug` form shows them).
pub(crate) fn assert_context<E: Display + Debug>(e: &E) {
    let message = e.to_string();
    assert!(!message.is_empty(), "{e:?}: empty message");
    let debug = format!("{e:?}");
    for n in numbers(&debug) {
        assert!(
            numbers(&message).contains(&n),
            "{debug}: message {message:?} does not name {n}"
        );
    }
}

/// Panics if `printed` shows `key` (as text, or as the decimal or hex list a
/// derived `Debug` of its bytes would print). Keys shorter than 4 bytes are
/// too likely to match by chance.
pub(crate) fn assert_no_key(printed: &str, key: &[u8]) {
    let Some(head) = key.get(..4) else {
        return;
    };
    let decimal = format!("{}, {}, {}, {}", head[0], head[1], head[2], head[3]);
    let hex = head.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let text = String::from_utf8_lossy(key);
    let as_text = key.len() >= 8 && text.chars().all(|c| c.is_ascii_graphic());
    let shown = printed.contains(&decimal)
        || printed.contains(&hex)
        || (as_text && printed.contains(&*text));
    assert!(!shown, "key bytes printed: {printed}");
}
