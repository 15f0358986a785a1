//! The seam between a codec and the link layer: where does a frame start and end in a byte
//! stream?

/// What a codec sees at the front of a receive buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scan {
    /// A whole frame, checked (start and end bytes, length and checksum), at `buf[start..end]`.
    ///
    /// `start` may be above 0 when the bytes before it are a preamble the protocol allows
    /// (DL/T 645 wake-up bytes `FE`); the deframer drops them with the frame.
    Frame {
        /// Offset of the first byte of the frame.
        start: usize,
        /// Offset one past the last byte of the frame.
        end: usize,
    },
    /// The buffer holds the beginning of a frame (or nothing yet): at least `needed` (≥ 1)
    /// more bytes are required before the codec can decide.
    Incomplete {
        /// The fewest bytes that must still arrive.
        needed: usize,
    },
    /// The first `n` (≥ 1) bytes cannot begin a frame (noise, a bad checksum, an impossible
    /// length): drop them and scan again.
    Skip(usize),
}

/// A frame format, as the link layer needs to know it.
///
/// Implemented by each codec behind its `link` cargo feature, so that a codec used alone does
/// not pull in the link layer.
///
/// `scan` must be pure and total: any byte slice, including an empty one, gives an answer and
/// never panics. It must never answer [`Scan::Incomplete`] for a buffer of
/// [`MAX_FRAME_LEN`](Framing::MAX_FRAME_LEN) bytes or more (the deframer treats that as
/// [`Scan::Skip(1)`](Scan::Skip)), and a [`Scan::Frame`] or [`Scan::Skip`] must lie inside
/// `buf`.
pub trait Framing {
    /// The longest frame this format allows, preamble included; a deframer's buffer must hold
    /// at least this many bytes.
    const MAX_FRAME_LEN: usize;

    /// Bytes sent before each request to wake the receivers (DL/T 645: `FE FE FE FE`); empty
    /// when the protocol wants none.
    fn preamble(&self) -> &[u8] {
        &[]
    }

    /// Look at the front of `buf` and say what is there.
    fn scan(&self, buf: &[u8]) -> Scan;
}
