//! Finding frames in a byte stream: a pure scan function, a push-bytes/pull-frames scanner and
//! the `rs485_link::Framing` implementation (behind the `link` feature).

use crate::Frame;
use crate::frame::{MAX_FRAME_LEN, MIN_USER_LEN, OVERHEAD, PROTOCOL_130, PROTOCOL_1376_1, START};

/// The longest frame [`Q1376_1`] and [`Scanner`] accept by default: a whole network frame
/// (16 383 bytes of user data, LM `MT_FRM_MAX_NET`, plus the envelope).
pub const DEFAULT_MAX_FRAME: usize = MAX_FRAME_LEN;

/// What is at the front of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Found {
    /// A checked frame at `buf[start..end]`.
    Frame {
        /// First byte of the frame.
        start: usize,
        /// One past its last byte.
        end: usize,
    },
    /// At least `needed` more bytes must arrive before anything can be decided.
    Incomplete {
        /// The fewest bytes still needed.
        needed: usize,
    },
    /// The first `n` bytes cannot start a frame: drop them.
    Skip(usize),
}

/// Looks at the front of `buf`; pure, total, never panics.
///
/// The fixed header `68 L L 68` (two equal length copies with a valid protocol id) is checked
/// as soon as its 6 bytes are there, so noise starting with `0x68` is dropped without waiting
/// for the length it claims. A bad header or a failed frame check drops the `0x68` alone, so
/// a real frame starting inside it is still found.
pub fn scan(buf: &[u8], max_len: usize) -> Found {
    let Some(&first) = buf.first() else {
        return Found::Incomplete { needed: 1 };
    };
    if first != START {
        let n = buf.iter().position(|&b| b == START).unwrap_or(buf.len());
        return Found::Skip(n);
    }
    let Some(&[_, l0, l1, l2, l3, s2]) = buf.get(..6) else {
        return Found::Incomplete {
            needed: 6 - buf.len(),
        };
    };
    let l = u16::from_le_bytes([l0, l1]);
    let id = (l & 3) as u8;
    let total = usize::from(l >> 2) + OVERHEAD;
    if [l0, l1] != [l2, l3]
        || (id != PROTOCOL_1376_1 && id != PROTOCOL_130)
        || usize::from(l >> 2) < MIN_USER_LEN
        || s2 != START
        || total > max_len
    {
        return Found::Skip(1);
    }
    let Some(candidate) = buf.get(..total) else {
        return Found::Incomplete {
            needed: total - buf.len(),
        };
    };
    match Frame::new_checked(candidate) {
        Ok(_) => Found::Frame {
            start: 0,
            end: total,
        },
        Err(_) => Found::Skip(1),
    }
}

/// A stream scanner with an `N`-byte buffer: push bytes in any chunking, pull checked frames.
#[derive(Debug, Clone)]
pub struct Scanner<const N: usize> {
    buf: [u8; N],
    len: usize,
    /// Bytes of the frame returned last, dropped on the next call.
    pending: usize,
    dropped: usize,
}

impl<const N: usize> Default for Scanner<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Scanner<N> {
    /// An empty scanner.
    pub const fn new() -> Self {
        Self {
            buf: [0; N],
            len: 0,
            pending: 0,
            dropped: 0,
        }
    }

    /// The longest frame accepted: `min(N, DEFAULT_MAX_FRAME)`.
    pub const fn max_len(&self) -> usize {
        if N < DEFAULT_MAX_FRAME {
            N
        } else {
            DEFAULT_MAX_FRAME
        }
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.len);
        self.buf.copy_within(n..self.len, 0);
        self.len -= n;
    }

    /// Appends bytes; returns how many fit (call [`next_frame`](Self::next_frame) to make
    /// room, then push the rest).
    pub fn push(&mut self, bytes: &[u8]) -> usize {
        let p = core::mem::take(&mut self.pending);
        self.consume(p);
        let n = bytes.len().min(N - self.len);
        if let (Some(dst), Some(src)) = (self.buf.get_mut(self.len..self.len + n), bytes.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.len += n;
        n
    }

    /// The next complete, checked frame, if any; garbage before it is dropped and counted.
    pub fn next_frame(&mut self) -> Option<Frame<'_>> {
        let p = core::mem::take(&mut self.pending);
        self.consume(p);
        loop {
            let data = self.buf.get(..self.len).unwrap_or(&[]);
            match scan(data, self.max_len()) {
                Found::Frame { start, end } => {
                    self.dropped += start;
                    self.consume(start);
                    self.pending = end - start;
                    let frame = self.buf.get(..end - start)?;
                    return Frame::new_checked(frame).ok();
                }
                Found::Skip(n) => {
                    self.dropped += n;
                    self.consume(n);
                }
                Found::Incomplete { .. } => {
                    if self.len == N {
                        // Cannot happen with max_len <= N; a guard against a stall.
                        self.dropped += 1;
                        self.consume(1);
                    } else {
                        return None;
                    }
                }
            }
        }
    }

    /// Drops a partial frame (after a gap on a serial line, or a closed TCP connection).
    pub fn reset(&mut self) {
        self.dropped += self.len - self.pending.min(self.len);
        self.len = 0;
        self.pending = 0;
    }

    /// Bytes dropped as garbage so far.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// Bytes waiting in the buffer.
    pub fn buffered(&self) -> usize {
        self.len - self.pending.min(self.len)
    }
}

/// The Q/GDW 1376.1 frame format for `rs485_link`'s deframer (a terminal's local maintenance
/// port speaks it too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Q1376_1;

#[cfg(feature = "link")]
impl rs485_link::Framing for Q1376_1 {
    const MAX_FRAME_LEN: usize = DEFAULT_MAX_FRAME;

    fn scan(&self, buf: &[u8]) -> rs485_link::Scan {
        match scan(buf, DEFAULT_MAX_FRAME) {
            Found::Frame { start, end } => rs485_link::Scan::Frame { start, end },
            Found::Incomplete { needed } => rs485_link::Scan::Incomplete { needed },
            Found::Skip(n) => rs485_link::Scan::Skip(n),
        }
    }
}
