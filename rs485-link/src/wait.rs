//! The receive side of a transaction, shared by the blocking and the async driver: which
//! deframer events end it, when to wake up, and when to give up.

use crate::deframer::Raw;
use crate::{Deframer, Duration, Framing, Instant, LinkError, Timing};

/// Why waiting ended without a frame (a [`LinkError`] without the UART's error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    Timeout,
    Garbled { bytes: usize },
    Echo { offset: usize },
}

impl Failure {
    pub(crate) fn into_error<E>(self) -> LinkError<E> {
        match self {
            Failure::Timeout => LinkError::Timeout,
            Failure::Garbled { bytes } => LinkError::Garbled { bytes },
            Failure::Echo { offset } => LinkError::Echo { offset },
        }
    }
}

/// What one wait is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    /// A frame (after the echo, if one is expected).
    Frame,
    /// Only the echo of a transmission that gets no reply (a broadcast).
    Echo,
}

/// One wait for a reply.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wait {
    want: Want,
    /// The first byte of the reply must come before this.
    response: Instant,
    /// Nothing is waited for after this, even a frame in progress.
    hard: Instant,
    /// Bytes dropped so far (noise, partial frames).
    dropped: usize,
}

const ONE_MS: Duration = Duration::millis(1);

impl Wait {
    /// Waiting from `from` (the end of our transmission) for `response` (the response timeout).
    /// A frame that has begun may go on as long as each gap stays within the limit, but no
    /// longer than the longest frame could take with a full gap before each byte: the bound
    /// on a line that trickles bytes forever.
    pub(crate) fn new(
        want: Want,
        from: Instant,
        response: Duration,
        timing: &Timing,
        max_frame: usize,
    ) -> Self {
        let response = from + response;
        Self {
            want,
            response,
            hard: response
                + crate::timing::ceil_ms(
                    (timing.char_us() + timing.gap_us()).saturating_mul(max_frame as u64),
                ),
            dropped: 0,
        }
    }

    /// Handle the events pending in `d`: `Some(Ok(frame))` or `Some(Err(failure))` ends the wait.
    pub(crate) fn drain<F: Framing, const N: usize>(
        &mut self,
        d: &mut Deframer<F, N>,
    ) -> Option<Result<Raw, Failure>> {
        while let Some(raw) = d.poll_raw() {
            match raw {
                Raw::Frame { start, end } => match self.want {
                    Want::Frame => return Some(Ok(raw)),
                    // A frame where only our echo was due: someone answered a broadcast.
                    Want::Echo => self.dropped += end - start,
                },
                Raw::Noise(n) | Raw::Gap(n) => self.dropped += n,
                Raw::Desync(_) => {
                    return Some(Err(Failure::Garbled {
                        bytes: self.dropped,
                    }));
                }
                Raw::Echo(_) => {
                    if self.want == Want::Echo {
                        return Some(Ok(raw));
                    }
                }
                Raw::EchoMismatch(offset) => return Some(Err(Failure::Echo { offset })),
            }
        }
        None
    }

    /// Whether the wait is over at `now` for want of a frame; call after
    /// [`Deframer::silence`] and [`drain`](Self::drain).
    pub(crate) fn expired<F: Framing, const N: usize>(
        &self,
        now: Instant,
        d: &Deframer<F, N>,
    ) -> Option<Failure> {
        let in_frame = d.buffered() > 0 && !d.echo_pending();
        if now < self.hard && (now < self.response || in_frame) {
            return None;
        }
        Some(match d.echo_matched() {
            Some(offset) if offset > 0 => Failure::Echo { offset },
            _ if self.dropped + d.buffered() > 0 => Failure::Garbled {
                bytes: self.dropped + d.buffered(),
            },
            _ => Failure::Timeout,
        })
    }

    /// Whether even a frame in progress has run out of time (a line that never stops
    /// sending): checked while bytes keep coming, when [`expired`](Self::expired) is not.
    pub(crate) fn past_hard<F: Framing, const N: usize>(
        &self,
        now: Instant,
        d: &Deframer<F, N>,
    ) -> Option<Failure> {
        (now >= self.hard).then(|| Failure::Garbled {
            bytes: self.dropped + d.buffered(),
        })
    }

    /// When to look again if nothing arrives.
    pub(crate) fn wake_at<F: Framing, const N: usize>(&self, d: &Deframer<F, N>) -> Instant {
        match d.poll_timeout() {
            // The gap must be exceeded, not reached, to discard a partial frame.
            Some(gap) => (gap + ONE_MS).min(self.hard),
            None => self.response.min(self.hard),
        }
    }
}
