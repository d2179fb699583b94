//! An interface's name by its index, in the calling thread's namespace (a
//! socket's bound device, typically a VRF).
#![allow(unsafe_code)]

/// The name of interface `index`, if it exists.
pub fn name_of(index: u32) -> Option<String> {
    let mut buf = [0u8; libc::IF_NAMESIZE];
    // SAFETY: buf has IF_NAMESIZE bytes, as if_indextoname requires; it
    // returns NULL or a pointer into buf.
    let p = unsafe { libc::if_indextoname(index, buf.as_mut_ptr().cast()) };
    if p.is_null() {
        return None;
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    buf.get(..end)
        .map(|n| String::from_utf8_lossy(n).into_owned())
}
