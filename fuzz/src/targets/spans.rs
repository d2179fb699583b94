//! The span check the views are held to: a slice they return is a view into
//! the buffer they were given, never a copy and never past its end.

/// Panics unless `inner` is empty or lies inside `outer` (same memory).
pub(crate) fn assert_within(outer: &[u8], inner: &[u8], what: &str) {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    assert!(
        inner.is_empty() || (i >= o && i + inner.len() <= o + outer.len()),
        "{what}: span {}..{} outside buffer of {}",
        i.wrapping_sub(o),
        i.wrapping_sub(o) + inner.len(),
        outer.len()
    );
}
