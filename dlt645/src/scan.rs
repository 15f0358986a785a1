//! Finding frames in a byte stream: a pure scan function and a push/pull scanner.

use crate::Frame;
use crate::frame::{END, MAX_FRAME_LEN, OVERHEAD, START, WAKE_UP, checksum};

/// Wake-up bytes kept in front of an incomplete frame; more are dropped so that a frame with
/// its preamble always fits in [`MAX_SCAN_LEN`] bytes.
pub const MAX_PREAMBLE: usize = 4;

/// The most bytes [`scan`] needs to decide: [`MAX_PREAMBLE`] wake-up bytes and the longest
/// frame. A scanner buffer of this size never stalls.
pub const MAX_SCAN_LEN: usize = MAX_PREAMBLE + MAX_FRAME_LEN;

/// What lies at the front of a receive buffer (the same answers as `rs485_link::Scan`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scan {
    /// A checked frame at `buf[start..end]`; `start` skips the wake-up bytes.
    Frame {
        /// Offset of the first 0x68.
        start: usize,
        /// Offset one past the end byte.
        end: usize,
    },
    /// At least `needed` more bytes are required to decide.
    Incomplete {
        /// The fewest bytes still missing (≥ 1).
        needed: usize,
    },
    /// The first `n` bytes cannot begin a frame: drop them.
    Skip(usize),
}

/// Look at the front of `buf`.
///
/// The frame end is found from the length byte L, never by looking for 0x16, so a 0x16 or a
/// 0x68 inside DATA or as the checksum cannot cut or fake a frame; a candidate is accepted
/// only when the second 0x68 is at +7, the checksum matches and the end byte follows
/// (the receive procedure of 2007 §4, as robust masters implement it). After a failed
/// candidate the scan moves on by one byte. Total: never panics, answers within
/// [`MAX_SCAN_LEN`] bytes.
#[inline]
pub fn scan(buf: &[u8]) -> Scan {
    // The usual preamble (four FE, as masters send and many meters echo) in one compare.
    let fe = match buf.split_first_chunk::<4>() {
        Some((four, rest)) if u32::from_ne_bytes(*four) == u32::from_ne_bytes([WAKE_UP; 4]) => {
            match rest.split_first() {
                // More than four: count them.
                Some((&WAKE_UP, more)) => 5 + more.iter().take_while(|b| **b == WAKE_UP).count(),
                _ => 4,
            }
        }
        _ => buf.iter().take_while(|b| **b == WAKE_UP).count(),
    };
    let rest = buf.get(fe..).unwrap_or(&[]);
    let Some(&first) = rest.first() else {
        // Only wake-up bytes so far: keep a bounded number of them.
        return if fe > MAX_PREAMBLE {
            Scan::Skip(fe - MAX_PREAMBLE)
        } else {
            Scan::Incomplete { needed: OVERHEAD }
        };
    };
    if first != START {
        // Noise: drop up to the next byte that could begin a frame.
        let n = rest
            .iter()
            .skip(1)
            .position(|b| *b == START || *b == WAKE_UP)
            .map_or(rest.len(), |p| p + 1);
        return Scan::Skip(fe + n);
    }
    let incomplete = |needed: usize| {
        if fe > MAX_PREAMBLE {
            Scan::Skip(fe - MAX_PREAMBLE)
        } else {
            Scan::Incomplete { needed }
        }
    };
    match rest.get(7) {
        None => return incomplete(OVERHEAD - rest.len()),
        Some(&b) if b != START => return Scan::Skip(fe + 1),
        Some(_) => {}
    }
    let Some(&len) = rest.get(9) else {
        return incomplete(OVERHEAD - rest.len());
    };
    let total = OVERHEAD + usize::from(len);
    if rest.len() < total {
        return incomplete(total - rest.len());
    }
    let cs_at = total - 2;
    let ok = rest.get(..cs_at).map(checksum) == rest.get(cs_at).copied()
        && rest.get(cs_at + 1) == Some(&END);
    if ok {
        Scan::Frame {
            start: fe,
            end: fe + total,
        }
    } else {
        Scan::Skip(fe + 1)
    }
}

/// A push-bytes, pull-frames deframer with an inline buffer of `N` bytes (no allocation).
///
/// Feed any chunking with [`push`](Scanner::push), then drain with
/// [`next_frame`](Scanner::next_frame) until it returns `None`. Frames come out in arrival
/// order, so a master's echoed request comes out before the meter's reply. `N` must be at
/// least [`MAX_SCAN_LEN`] (checked at compile time).
#[derive(Debug, Clone)]
pub struct Scanner<const N: usize = MAX_SCAN_LEN> {
    buf: [u8; N],
    /// Valid bytes are `buf[head..len]`.
    head: usize,
    len: usize,
    dropped: usize,
}

impl<const N: usize> Default for Scanner<N> {
    #[inline]
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Scanner<N> {
    const BIG_ENOUGH: () = assert!(N >= MAX_SCAN_LEN, "Scanner buffer below MAX_SCAN_LEN");

    /// An empty scanner.
    #[inline]
    pub const fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::BIG_ENOUGH;
        Scanner {
            buf: [0; N],
            head: 0,
            len: 0,
            dropped: 0,
        }
    }

    /// Append bytes; returns how many were taken (fewer than `bytes.len()` only when the
    /// buffer is full: drain frames with [`next_frame`](Self::next_frame) and push the rest).
    #[inline]
    pub fn push(&mut self, bytes: &[u8]) -> usize {
        if self.head > 0 && self.len + bytes.len() > N {
            self.buf.copy_within(self.head..self.len, 0);
            self.len -= self.head;
            self.head = 0;
        }
        let room = N - self.len;
        let n = room.min(bytes.len());
        if let (Some(dst), Some(src)) = (self.buf.get_mut(self.len..self.len + n), bytes.get(..n)) {
            dst.copy_from_slice(src);
            self.len += n;
            n
        } else {
            0
        }
    }

    /// The next whole, checked frame (wake-up bytes stripped), or `None` if more bytes are
    /// needed. Noise before it is dropped and counted in [`dropped`](Self::dropped).
    #[inline]
    pub fn next_frame(&mut self) -> Option<Frame<&[u8]>> {
        loop {
            let pending = self.buf.get(self.head..self.len)?;
            match scan(pending) {
                Scan::Frame { start, end } => {
                    let (s, e) = (self.head + start, self.head + end);
                    self.dropped += start.saturating_sub(crate::scan::MAX_PREAMBLE.min(start));
                    self.head = e;
                    let bytes = self.buf.get(s..e)?;
                    return Some(Frame::from_scanned(bytes));
                }
                Scan::Skip(n) => {
                    let n = n.min(self.len - self.head).max(1);
                    self.dropped += n;
                    self.head += n;
                    if self.head >= self.len {
                        self.head = 0;
                        self.len = 0;
                        return None;
                    }
                }
                Scan::Incomplete { .. } => {
                    if self.head > 0 {
                        self.buf.copy_within(self.head..self.len, 0);
                        self.len -= self.head;
                        self.head = 0;
                    }
                    return None;
                }
            }
        }
    }

    /// Bytes waiting in the buffer (an incomplete frame or unscanned input).
    #[inline]
    pub fn pending(&self) -> usize {
        self.len - self.head
    }

    /// Noise bytes dropped so far (wake-up bytes in front of frames are not counted unless
    /// there were more than [`MAX_PREAMBLE`]).
    #[inline]
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// Forget everything buffered (after a timeout, before a new request).
    #[inline]
    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
}

/// Split a complete byte slice into frames; noise is skipped. An iterator over
/// `(offset, frame)` that borrows `bytes`, for captures already in memory.
#[inline]
pub fn frames(bytes: &[u8]) -> Frames<'_> {
    Frames { rest: bytes, at: 0 }
}

/// The iterator of [`frames`].
#[derive(Debug, Clone)]
pub struct Frames<'a> {
    rest: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Frames<'a> {
    type Item = (usize, Frame<&'a [u8]>);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            match scan(self.rest) {
                Scan::Frame { start, end } => {
                    let bytes = self.rest.get(start..end)?;
                    let at = self.at + start;
                    self.rest = self.rest.get(end..).unwrap_or(&[]);
                    self.at += end;
                    return Some((at, Frame::from_scanned(bytes)));
                }
                Scan::Skip(n) => {
                    let n = n.min(self.rest.len());
                    self.rest = self.rest.get(n..).unwrap_or(&[]);
                    self.at += n;
                }
                Scan::Incomplete { .. } => {
                    // With more than MAX_PREAMBLE wake-up bytes the scan skips, so this is a
                    // truncated tail: nothing more to find.
                    self.rest = &[];
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Any number of wake-up bytes before a frame (frames.tsv V21 without its own four) is
    /// skipped, whether the usual four, fewer or more; with only wake-up bytes, at most
    /// MAX_PREAMBLE are kept.
    #[test]
    fn wake_up_bytes_of_any_count() {
        let frame = [
            0x68, 0x18, 0x55, 0x60, 0x06, 0x00, 0x00, 0x68, 0x91, 0x08, 0x33, 0x33, 0x34, 0x33,
            0xC6, 0x63, 0x35, 0x33, 0x9A, 0x16,
        ];
        for k in 0..=9 {
            let mut buf = [WAKE_UP; 29];
            buf[k..k + frame.len()].copy_from_slice(&frame);
            let buf = &buf[..k + frame.len()];
            assert_eq!(
                scan(buf),
                Scan::Frame {
                    start: k,
                    end: k + frame.len()
                },
                "{k} wake-up bytes"
            );
            let only = &buf[..k];
            let want = if k > MAX_PREAMBLE {
                Scan::Skip(k - MAX_PREAMBLE)
            } else {
                Scan::Incomplete { needed: OVERHEAD }
            };
            assert_eq!(scan(only), want, "{k} wake-up bytes alone");
        }
    }
}
