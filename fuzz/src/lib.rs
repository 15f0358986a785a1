//! Helpers shared by the fuzz targets.

/// Splits fuzz input into a chunking plan and a byte stream.
///
/// The first byte (if any) seeds the chunk sizes: each chunk is 1..=16 bytes, taken in turn from
/// the bits of a small xorshift generator, so one input always splits the same way. Returns the
/// stream and an iterator over its chunks, to feed a deframer exactly as a UART might.
pub fn chunked(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let (seed, mut rest) = match data.split_first() {
        Some((s, r)) => (u32::from(*s) | 0x100, r),
        None => (0x100, data),
    };
    let mut state = seed;
    core::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = ((state % 16) as usize + 1).min(rest.len());
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        Some(chunk)
    })
}
