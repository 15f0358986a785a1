//! The deframer: push bytes as they arrive, pull whole frames.

use crate::{Duration, Framing, Instant, Scan};

/// What the deframer found in the stream, in stream order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event<'a> {
    /// A whole frame, checked by the framing, without its preamble. The slice is valid until
    /// the next call on the deframer.
    Frame(&'a [u8]),
    /// `len` bytes that could not begin a frame were dropped (noise, broken frames).
    Noise {
        /// How many bytes.
        len: usize,
    },
    /// The resynchronisation limit of bytes were dropped in a row without a frame: the line
    /// carries garbage (wrong baud rate or parity, a collision, a broken adapter). Comes after
    /// the [`Event::Noise`] that reached the limit (those bytes are not dropped twice), once per
    /// limit's worth of dropped bytes; the deframer goes on hunting.
    Desync {
        /// Bytes dropped in a row when the limit was crossed.
        dropped: usize,
    },
    /// A silent gap longer than the inter-byte limit came in the middle of a frame: the `len`
    /// bytes received before it were discarded.
    Gap {
        /// How many bytes were discarded.
        len: usize,
    },
    /// The echo of our own transmission came back intact and was dropped.
    Echo {
        /// Its length.
        len: usize,
    },
    /// The bytes received after a transmission differ from what we sent, first at `offset`.
    /// The bytes received are kept and deframed as ordinary input.
    EchoMismatch {
        /// Offset of the first differing byte in the transmission.
        offset: usize,
    },
}

/// `expect_echo` was given more bytes than the deframer's buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("echo of {len} bytes exceeds the deframer buffer of {capacity} bytes")]
pub struct EchoTooLong {
    /// Bytes to be echoed.
    pub len: usize,
    /// The buffer size.
    pub capacity: usize,
}

/// An event found by `poll_raw`, by position, so it carries no borrow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Raw {
    Frame { start: usize, end: usize },
    Noise(usize),
    Desync(usize),
    Gap(usize),
    Echo(usize),
    EchoMismatch(usize),
}

/// What `scan_input` found in the input it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direct {
    /// After `skipped` bytes of noise, a frame at `start..end` of the rest.
    Frame {
        skipped: usize,
        start: usize,
        end: usize,
    },
    /// `skipped` bytes of noise, then the beginning of a frame (or nothing): push the rest.
    Incomplete { skipped: usize },
    /// The resynchronisation limit was reached after this many bytes.
    Skipped(usize),
}

/// Echo check in progress: the bytes sent sit at `buf[N - len..N]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Echo {
    len: usize,
    matched: usize,
}

/// Splits a byte stream into frames of format `F`, with a fixed buffer of `N` bytes
/// (`N ≥ F::MAX_FRAME_LEN`, checked at compile time).
///
/// Feed it with [`push`](Self::push) (or [`feed`](Self::feed)) as bytes arrive, in any
/// chunking, with the time they arrived; take [`Event`]s with [`poll`](Self::poll). It skips
/// preambles and noise, resynchronises one byte at a time (a framing's [`Scan::Skip`]), applies
/// the inter-byte gap limit (a silence longer than the limit in the middle of a frame discards
/// the partial frame; silence is reported with [`silence`](Self::silence), the deframer never
/// sleeps) and drops the echo of our own transmission (see
/// [`expect_echo`](Self::expect_echo)).
#[derive(Debug, Clone)]
pub struct Deframer<F: Framing, const N: usize> {
    framing: F,
    buf: [u8; N],
    /// First byte not yet consumed.
    start: usize,
    /// One past the last byte stored.
    end: usize,
    /// Bytes of the frame handed out last, dropped at the next call.
    consume: usize,
    gap: Duration,
    last_rx: Option<Instant>,
    resync_limit: usize,
    /// Bytes dropped in a row since the last frame (for [`Event::Desync`]).
    noise_run: usize,
    /// Dropped bytes not reported yet.
    noise_pending: usize,
    gap_pending: usize,
    echo: Option<Echo>,
    echo_pending: Option<Raw>,
    desync_pending: Option<usize>,
    /// A frame found behind noise, relative to `start`, handed out after the noise event.
    ready: Option<(usize, usize)>,
}

impl<F: Framing, const N: usize> Deframer<F, N> {
    /// The default resynchronisation limit: bytes dropped in a row before [`Event::Desync`].
    pub const DEFAULT_RESYNC_LIMIT: usize = 1024;

    /// A deframer for `framing` with inter-byte gap limit `gap` (for example
    /// [`Timing::gap`](crate::Timing::gap)).
    pub const fn new(framing: F, gap: Duration) -> Self {
        const {
            assert!(
                N >= F::MAX_FRAME_LEN,
                "the deframer buffer must hold the longest frame"
            )
        };
        Self {
            framing,
            buf: [0; N],
            start: 0,
            end: 0,
            consume: 0,
            gap,
            last_rx: None,
            resync_limit: Self::DEFAULT_RESYNC_LIMIT,
            noise_run: 0,
            noise_pending: 0,
            gap_pending: 0,
            echo: None,
            echo_pending: None,
            desync_pending: None,
            ready: None,
        }
    }

    /// The same deframer with [`Event::Desync`] after `limit` (≥ 1) bytes dropped in a row.
    pub const fn with_resync_limit(mut self, limit: usize) -> Self {
        self.resync_limit = if limit == 0 { 1 } else { limit };
        self
    }

    /// The framing.
    pub const fn framing(&self) -> &F {
        &self.framing
    }

    /// The inter-byte gap limit.
    pub const fn gap(&self) -> Duration {
        self.gap
    }

    /// Bytes held: the beginning of a frame, or bytes not scanned yet.
    pub const fn buffered(&self) -> usize {
        self.end - self.start - self.consume
    }

    /// Forget everything buffered, pending and expected (a new transaction starts).
    pub fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
        self.consume = 0;
        self.last_rx = None;
        self.noise_run = 0;
        self.noise_pending = 0;
        self.gap_pending = 0;
        self.echo = None;
        self.echo_pending = None;
        self.desync_pending = None;
        self.ready = None;
    }

    /// Expect the bytes of `sent` (in order, the slices one after another) to come back first,
    /// as the echo of our own transmission; they are then dropped and reported as
    /// [`Event::Echo`], or as [`Event::EchoMismatch`] at the first byte that differs.
    ///
    /// Call it when transmitting, before the echo can arrive. Anything buffered is discarded
    /// (stale bytes from before our transmission).
    pub fn expect_echo(&mut self, sent: &[&[u8]]) -> Result<(), EchoTooLong> {
        self.clear();
        let len = load_echo(&mut self.buf, sent)?;
        self.echo = (len > 0).then_some(Echo { len, matched: 0 });
        Ok(())
    }

    /// [`expect_echo`](Self::expect_echo) of the framing's preamble followed by `request`: what
    /// a driver transmits.
    pub fn expect_request_echo(&mut self, request: &[u8]) -> Result<(), EchoTooLong> {
        self.clear();
        let len = load_echo(&mut self.buf, &[self.framing.preamble(), request])?;
        self.echo = (len > 0).then_some(Echo { len, matched: 0 });
        Ok(())
    }

    /// Bytes of the expected echo received so far, if an echo is still expected.
    pub(crate) fn echo_matched(&self) -> Option<usize> {
        self.echo.map(|e| e.matched)
    }

    /// Room for the next push after the events pending have been polled.
    pub(crate) const fn room(&self) -> usize {
        N - self.buffered()
    }

    /// Whether an echo is still expected.
    pub const fn echo_pending(&self) -> bool {
        self.echo.is_some()
    }

    /// When the partial frame held will be discarded for want of the next byte, if any bytes
    /// are held: the deadline to pass to [`silence`](Self::silence).
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.buffered() == 0 || self.echo.is_some() {
            return None;
        }
        self.last_rx.map(|t| t + self.gap)
    }

    /// Tell the deframer that nothing arrived until `now`: a partial frame older than the gap
    /// limit is discarded (reported as [`Event::Gap`]).
    pub fn silence(&mut self, now: Instant) {
        self.apply_consume();
        self.check_gap(now);
    }

    /// Take up to all of `bytes`, received at `now`; returns how many were taken. Fewer are
    /// taken only when the buffer is full of frames and bytes not yet polled: call
    /// [`poll`](Self::poll) until it answers `None`, then push the rest.
    ///
    /// The gap limit applies to the partial frame held since the previous push: poll until
    /// `None` before pushing, so that whole frames are taken out before a silence can discard
    /// what is held.
    pub fn push(&mut self, bytes: &[u8], now: Instant) -> usize {
        self.apply_consume();
        let mut taken = 0;
        if self.echo.is_some() {
            taken = self.match_echo(bytes);
        } else {
            self.check_gap(now);
        }
        let rest = bytes.get(taken..).unwrap_or(&[]);
        if !rest.is_empty() && self.echo.is_none() {
            if self.start > 0 && N - self.end < rest.len() {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let n = rest.len().min(N - self.end);
            if let (Some(dst), Some(src)) =
                (self.buf.get_mut(self.end..self.end + n), rest.get(..n))
            {
                dst.copy_from_slice(src);
                self.end += n;
                taken += n;
            }
        }
        if taken > 0 {
            self.last_rx = Some(now);
        }
        taken
    }

    /// Push `bytes` received at `now` and iterate over the events they bring:
    /// `while let Some(ev) = feed.next() { .. }`.
    ///
    /// The fast way to deframe a large chunk (a capture being replayed): while nothing is
    /// buffered, frames are found in `bytes` itself and handed out without a copy; only a frame
    /// cut by the end of the chunk is copied into the buffer, and it is completed from the next
    /// chunk with only the bytes it needs. The events are the same as with
    /// [`push`](Self::push) and [`poll`](Self::poll).
    pub fn feed<'d, 'b>(&'d mut self, bytes: &'b [u8], now: Instant) -> Feed<'d, 'b, F, N> {
        Feed {
            deframer: self,
            rest: bytes,
            now,
            frame: None,
            lent: 0,
        }
    }

    /// The next event, if the bytes pushed so far hold one.
    pub fn poll(&mut self) -> Option<Event<'_>> {
        let raw = self.poll_raw()?;
        Some(self.event(raw))
    }

    pub(crate) fn event(&self, raw: Raw) -> Event<'_> {
        match raw {
            Raw::Frame { start, end } => Event::Frame(self.buf.get(start..end).unwrap_or(&[])),
            Raw::Noise(len) => Event::Noise { len },
            Raw::Desync(dropped) => Event::Desync { dropped },
            Raw::Gap(len) => Event::Gap { len },
            Raw::Echo(len) => Event::Echo { len },
            Raw::EchoMismatch(offset) => Event::EchoMismatch { offset },
        }
    }

    fn apply_consume(&mut self) {
        self.start += core::mem::take(&mut self.consume);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    fn check_gap(&mut self, now: Instant) {
        if self.echo.is_some() || self.end == self.start {
            return;
        }
        let Some(last) = self.last_rx else { return };
        if now
            .checked_duration_since(last)
            .is_some_and(|d| d > self.gap)
        {
            // A whole frame found but not handed out yet stays; what follows it goes.
            let keep = self.ready.map_or(0, |(_, end)| end);
            self.gap_pending += self.end - self.start - keep;
            self.end = self.start + keep;
            if keep == 0 {
                self.start = 0;
                self.end = 0;
            }
            self.noise_run = 0;
        }
    }

    /// Compare incoming bytes with the expected echo; returns how many bytes it took.
    fn match_echo(&mut self, bytes: &[u8]) -> usize {
        let Some(mut echo) = self.echo else { return 0 };
        let base = N - echo.len;
        let mut taken = 0;
        for &b in bytes {
            if echo.matched == echo.len {
                break;
            }
            if self.buf.get(base + echo.matched) != Some(&b) {
                // Not our echo: keep what matched so far as ordinary input (it may be the
                // reply of a peer that answers through an adapter without echo), then the
                // rest. The buffer is empty while an echo is expected, and base ≥ 0.
                self.buf.copy_within(base..base + echo.matched, 0);
                self.start = 0;
                self.end = echo.matched;
                self.echo = None;
                self.echo_pending = Some(Raw::EchoMismatch(echo.matched));
                return taken;
            }
            echo.matched += 1;
            taken += 1;
        }
        if echo.matched == echo.len {
            self.echo = None;
            self.echo_pending = Some(Raw::Echo(echo.len));
        } else {
            self.echo = Some(echo);
        }
        taken
    }

    /// After `lent` bytes of the caller's input were pushed: if everything still buffered is
    /// the last bytes of them and nothing is pending, forget it and say how many of the lent
    /// bytes were used; the caller scans the rest in place again.
    #[inline]
    fn unlend(&mut self, lent: usize) -> Option<usize> {
        self.apply_consume();
        let held = self.end - self.start;
        let quiet = self.gap_pending == 0
            && self.echo.is_none()
            && self.echo_pending.is_none()
            && self.desync_pending.is_none()
            && self.ready.is_none()
            && self.noise_pending == 0;
        if quiet && held <= lent {
            self.start = 0;
            self.end = 0;
            Some(lent - held)
        } else {
            None
        }
    }

    /// Nothing buffered, expected or pending: the next input can be scanned in place.
    #[inline]
    fn idle(&self) -> bool {
        self.start == self.end
            && self.consume == 0
            && self.echo.is_none()
            && self.gap_pending == 0
            && self.echo_pending.is_none()
            && self.desync_pending.is_none()
            && self.ready.is_none()
    }

    /// Scan `input` where it lies (the buffer is idle), counting noise as `poll_raw` does.
    #[inline]
    fn scan_input(&mut self, input: &[u8], now: Instant) -> Direct {
        let mut off = 0;
        loop {
            let data = input.get(off..).unwrap_or(&[]);
            if data.is_empty() {
                return Direct::Incomplete { skipped: off };
            }
            self.last_rx = Some(now);
            let skip = match self.framing.scan(data) {
                Scan::Frame { start, end } if start < end && end <= data.len() => {
                    self.noise_run = 0;
                    return Direct::Frame {
                        skipped: off,
                        start,
                        end,
                    };
                }
                Scan::Incomplete { .. } if data.len() < F::MAX_FRAME_LEN => {
                    return Direct::Incomplete { skipped: off };
                }
                Scan::Skip(n) if n >= 1 && n <= data.len() => n,
                _ => 1,
            };
            off += skip;
            self.noise_pending += skip;
            self.noise_run += skip;
            if self.noise_run >= self.resync_limit {
                self.desync_pending = Some(core::mem::take(&mut self.noise_run));
                return Direct::Skipped(off);
            }
        }
    }

    pub(crate) fn poll_raw(&mut self) -> Option<Raw> {
        self.apply_consume();
        if self.gap_pending > 0 {
            return Some(Raw::Gap(core::mem::take(&mut self.gap_pending)));
        }
        if let Some(e) = self.echo_pending.take() {
            return Some(e);
        }
        if let Some(dropped) = self.desync_pending {
            // The noise that reached the limit comes first.
            if self.noise_pending > 0 {
                return Some(Raw::Noise(core::mem::take(&mut self.noise_pending)));
            }
            self.desync_pending = None;
            return Some(Raw::Desync(dropped));
        }
        if let Some((start, end)) = self.ready.take() {
            self.consume = end;
            return Some(Raw::Frame {
                start: self.start + start,
                end: self.start + end,
            });
        }
        loop {
            let data = self.buf.get(self.start..self.end).unwrap_or(&[]);
            if data.is_empty() {
                break;
            }
            let skip = match self.framing.scan(data) {
                Scan::Frame { start, end } if start < end && end <= data.len() => {
                    self.noise_run = 0;
                    if self.noise_pending > 0 {
                        // Report the noise first; keep the frame for the next call.
                        self.ready = Some((start, end));
                        return Some(Raw::Noise(core::mem::take(&mut self.noise_pending)));
                    }
                    let frame = Raw::Frame {
                        start: self.start + start,
                        end: self.start + end,
                    };
                    self.consume = end;
                    self.noise_run = 0;
                    return Some(frame);
                }
                Scan::Incomplete { .. }
                    if data.len() < F::MAX_FRAME_LEN && !(self.start == 0 && self.end == N) =>
                {
                    break;
                }
                Scan::Skip(n) if n >= 1 && n <= data.len() => n,
                // A full buffer still incomplete, or an answer outside the trait's contract:
                // drop one byte and scan again.
                _ => 1,
            };
            self.start += skip;
            self.noise_pending += skip;
            self.noise_run += skip;
            if self.noise_run >= self.resync_limit {
                // Report the noise, then the desync (the noise is not counted twice).
                self.desync_pending = Some(core::mem::take(&mut self.noise_run));
                return Some(Raw::Noise(core::mem::take(&mut self.noise_pending)));
            }
        }
        if self.noise_pending > 0 {
            return Some(Raw::Noise(core::mem::take(&mut self.noise_pending)));
        }
        None
    }
}

/// Copy `sent` to the end of `buf`; returns its length.
fn load_echo<const N: usize>(buf: &mut [u8; N], sent: &[&[u8]]) -> Result<usize, EchoTooLong> {
    let len = sent.iter().map(|s| s.len()).sum::<usize>();
    if len > N {
        return Err(EchoTooLong { len, capacity: N });
    }
    let mut at = N - len;
    for part in sent {
        if let Some(dst) = buf.get_mut(at..at + part.len()) {
            dst.copy_from_slice(part);
        }
        at += part.len();
    }
    Ok(len)
}

/// Events from one chunk of input; see [`Deframer::feed`]. Bytes not taken when it is dropped
/// are lost: call [`next`](Self::next) until it answers `None`.
#[derive(Debug)]
pub struct Feed<'d, 'b, F: Framing, const N: usize> {
    deframer: &'d mut Deframer<F, N>,
    rest: &'b [u8],
    now: Instant,
    /// A frame found in place at `rest[start..end]`, handed out after the noise before it.
    frame: Option<(usize, usize)>,
    /// Bytes at the front of `rest` pushed into the deframer but not yet taken off `rest`.
    lent: usize,
}

impl<F: Framing, const N: usize> Feed<'_, '_, F, N> {
    /// The next event; `None` once the chunk is used up and no event is left.
    #[allow(clippy::should_implement_trait)] // a lending iterator: events borrow the deframer
    #[inline]
    pub fn next(&mut self) -> Option<Event<'_>> {
        loop {
            // A partial frame was completed (or dropped) with bytes lent from the input: take
            // back what it did not use, so that the rest is scanned in place.
            if self.lent > 0
                && let Some(used) = self.deframer.unlend(self.lent)
            {
                self.rest = self.rest.get(used..).unwrap_or(&[]);
                self.lent = 0;
            }
            // An idle deframer with no noise to report has no event: skip the call.
            if (!self.deframer.idle() || self.deframer.noise_pending > 0)
                && let Some(raw) = self.deframer.poll_raw()
            {
                return Some(self.deframer.event(raw));
            }
            if let Some((start, end)) = self.frame.take() {
                return Some(Event::Frame(self.take_input(start, end)));
            }
            if self.lent > 0 {
                // All lent bytes stay in the buffer (a frame still in progress).
                self.rest = self.rest.get(self.lent..).unwrap_or(&[]);
                self.lent = 0;
            }
            if self.rest.is_empty() {
                return None;
            }
            // Fast path: with nothing buffered, frames are found in the input itself and
            // handed out without a copy; only an unfinished tail is copied.
            if self.deframer.idle() {
                match self.deframer.scan_input(self.rest, self.now) {
                    Direct::Frame {
                        skipped,
                        start,
                        end,
                    } => {
                        self.rest = self.rest.get(skipped..).unwrap_or(&[]);
                        if self.deframer.noise_pending == 0 {
                            return Some(Event::Frame(self.take_input(start, end)));
                        }
                        self.frame = Some((start, end));
                        continue;
                    }
                    Direct::Skipped(skipped) => {
                        self.rest = self.rest.get(skipped..).unwrap_or(&[]);
                        continue;
                    }
                    Direct::Incomplete { skipped } => {
                        self.rest = self.rest.get(skipped..).unwrap_or(&[]);
                        // The unfinished tail: all of the rest, shorter than a frame.
                        let n = self.deframer.push(self.rest, self.now);
                        self.rest = self.rest.get(n..).unwrap_or(&[]);
                        continue;
                    }
                }
            }
            // A partial frame is buffered: lend it up to a frame's worth of input; what it does
            // not use is taken back above once it is complete.
            let want = self.rest.len().min(F::MAX_FRAME_LEN.max(1));
            self.lent = self
                .deframer
                .push(self.rest.get(..want).unwrap_or(self.rest), self.now);
        }
    }

    /// `rest[start..end]`, and drop `rest[..end]`.
    fn take_input(&mut self, start: usize, end: usize) -> &[u8] {
        let rest = self.rest;
        self.rest = rest.get(end..).unwrap_or(&[]);
        rest.get(start..end).unwrap_or(&[])
    }

    /// Bytes of the chunk not pushed yet.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }
}
