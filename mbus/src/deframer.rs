//! A push-bytes, pull-frames deframer with noise resynchronisation and echo drop.

use crate::frame::MAX_FRAME_LEN;
use crate::scan::{ScanResult, scan};
use crate::{Frame, FrameError};

/// Turns any chunking of a received byte stream into checked frames.
///
/// Noise is dropped (and counted) one run at a time, up to the next byte that could start a
/// frame; a start byte whose frame turns out wrong is dropped alone and the scan resumes at
/// the next byte. With [`expect_echo`](Deframer::expect_echo) the bytes of our own request,
/// if a level converter echoes them, are dropped before anything else.
///
/// Fixed size: one frame of [`MAX_FRAME_LEN`] bytes, plus a copy of the request to recognise
/// its echo.
#[derive(Debug, Clone)]
pub struct Deframer {
    buf: [u8; MAX_FRAME_LEN],
    len: usize,
    /// Length of the frame last handed out by `next_frame`, dropped on the next call.
    handed_out: usize,
    echo: [u8; MAX_FRAME_LEN],
    echo_len: usize,
    noise: usize,
    last_error: Option<FrameError>,
}

impl Default for Deframer {
    fn default() -> Self {
        Self::new()
    }
}

impl Deframer {
    /// An empty deframer.
    pub const fn new() -> Self {
        Deframer {
            buf: [0; MAX_FRAME_LEN],
            len: 0,
            handed_out: 0,
            echo: [0; MAX_FRAME_LEN],
            echo_len: 0,
            noise: 0,
            last_error: None,
        }
    }

    /// Drop everything buffered, the pending echo and the noise count.
    pub fn clear(&mut self) {
        self.len = 0;
        self.handed_out = 0;
        self.echo_len = 0;
        self.noise = 0;
        self.last_error = None;
    }

    /// Expect the converter to echo `sent` (our request) before the reply, and drop it.
    ///
    /// If the first bytes that arrive differ from `sent`, there was no echo: the expectation
    /// is dropped and the bytes are scanned as usual. Requests longer than a frame are not
    /// expected (nothing is dropped).
    pub fn expect_echo(&mut self, sent: &[u8]) {
        match self.echo.get_mut(..sent.len()) {
            Some(dst) => {
                dst.copy_from_slice(sent);
                self.echo_len = sent.len();
            }
            None => self.echo_len = 0,
        }
    }

    /// Whether an expected echo has not been seen (nor ruled out) yet.
    pub fn echo_pending(&self) -> bool {
        self.echo_len > 0
    }

    fn drop_front(&mut self, n: usize) {
        let n = n.min(self.len);
        self.buf.copy_within(n..self.len, 0);
        self.len -= n;
    }

    fn release_handed_out(&mut self) {
        let n = core::mem::take(&mut self.handed_out);
        self.drop_front(n);
    }

    /// Take as many of `bytes` as fit; returns how many were taken. Call
    /// [`next_frame`](Deframer::next_frame) until it gives `None` before pushing the rest.
    pub fn push(&mut self, bytes: &[u8]) -> usize {
        self.release_handed_out();
        let free = self.buf.get_mut(self.len..).unwrap_or(&mut []);
        let n = free.len().min(bytes.len());
        if let (Some(dst), Some(src)) = (free.get_mut(..n), bytes.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.len += n;
        n
    }

    /// The next complete frame, if one is buffered. It stays valid until the next call to
    /// `next_frame` or `push`.
    pub fn next_frame(&mut self) -> Option<Frame<'_>> {
        self.release_handed_out();
        if self.echo_len > 0 {
            let have = self.len.min(self.echo_len);
            let rx = self.buf.get(..have).unwrap_or(&[]);
            let echo = self.echo.get(..have).unwrap_or(&[]);
            if rx != echo {
                // Not our echo: nothing to drop, scan as received.
                self.echo_len = 0;
            } else if have == self.echo_len {
                self.drop_front(have);
                self.echo_len = 0;
            } else {
                // A prefix of the echo so far: wait for the rest.
                return None;
            }
        }
        loop {
            let buffered = self.buf.get(..self.len).unwrap_or(&[]);
            match scan(buffered) {
                ScanResult::Frame { len } => {
                    self.handed_out = len;
                    let bytes = self.buf.get(..len).unwrap_or(&[]);
                    return Frame::parse_prefix(bytes).ok().map(|(f, _)| f);
                }
                ScanResult::Incomplete { .. } => return None,
                ScanResult::Garbage { skip, error } => {
                    self.noise += skip;
                    self.last_error = Some(error);
                    self.drop_front(skip);
                }
            }
        }
    }

    /// Bytes buffered that are not (yet) a frame: after the line went quiet, a non-zero value
    /// means a cut-off or garbled frame.
    pub fn pending(&self) -> usize {
        self.len - self.handed_out
    }

    /// Noise bytes dropped since the last call; resets the count.
    pub fn take_noise(&mut self) -> usize {
        core::mem::take(&mut self.noise)
    }

    /// Why the last noise run was dropped (the first byte's check result); resets it.
    pub fn take_last_error(&mut self) -> Option<FrameError> {
        self.last_error.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_echo_and_chunks() {
        let req = [0x10, 0x7B, 0x01, 0x7C, 0x16];
        let mut d = Deframer::new();
        d.expect_echo(&req);
        // Echo, converter noise, an E5 split over chunks, then a short frame.
        let stream = [
            0x10, 0x7B, 0x01, 0x7C, 0x16, 0xFD, 0xA5, 0xE5, 0x10, 0x08, 0x01, 0x09, 0x16,
        ];
        let mut frames = 0;
        for chunk in stream.chunks(2) {
            let mut rest = chunk;
            while !rest.is_empty() {
                let n = d.push(rest);
                rest = &rest[n..];
                while let Some(f) = d.next_frame() {
                    frames += 1;
                    assert!(f.len() == 1 || f.len() == 5);
                    assert_ne!(f.as_bytes(), &req[..]);
                }
            }
        }
        assert_eq!(frames, 2);
        assert_eq!(d.take_noise(), 2);
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn no_echo_means_nothing_dropped() {
        let mut d = Deframer::new();
        d.expect_echo(&[0x10, 0x7B, 0x01, 0x7C, 0x16]);
        d.push(&[0xE5]);
        assert_eq!(d.next_frame().map(|f| f.as_bytes()[0]), Some(0xE5));
        assert!(!d.echo_pending());
    }
}
