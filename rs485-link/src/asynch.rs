//! The async transaction driver over `embedded_io_async::{Read, Write}`.
//!
//! No allocator and no executor assumptions: the timeout is a race, polled by hand, between the
//! UART's `read` and the caller's [`AsyncClock::sleep_until`].

use core::future::{Future, poll_fn};
use core::pin::pin;
use core::task::Poll;

use embedded_io_async::{ErrorType, Read, Write};

use crate::deframer::Raw;
use crate::direction::Transmitting;
use crate::wait::{Wait, Want};
use crate::{
    AsyncClock, AutoDirection, Deframer, Direction, Duration, Framing, Instant, LinkError, Timing,
};

/// Bytes read from the UART at a time.
const CHUNK: usize = 64;
/// Reads of stale input discarded before a request, at most.
const STALE_READS: usize = 16;

/// The async twin of [`Link`](crate::Link): a half-duplex link on an async UART.
///
/// # Cancel safety
///
/// Every future of this type may be dropped at any await point (for example by an outer
/// `select` or timeout) and the link stays usable:
/// - the direction hook is switched back to receive when the future is dropped while
///   transmitting, so the bus is never left driven;
/// - the next transaction discards whatever the deframer holds, so a half-received reply of a
///   cancelled transaction cannot be taken for the next one's;
/// - a request dropped while being written may have reached the bus in part; the meter ignores
///   a broken frame, and the turnaround before the next request still applies.
///
/// Reads are raced against the clock and dropped when the clock wins, so the UART's `read` must
/// be cancel-safe (embassy's buffered UARTs are; `embedded-io-async` asks implementations to
/// be). Bytes of a read future dropped before it completed must not be lost by the UART.
#[derive(Debug)]
pub struct AsyncLink<U, C, F: Framing, const N: usize, D = AutoDirection> {
    uart: U,
    clock: C,
    dir: D,
    deframer: Deframer<F, N>,
    timing: Timing,
    echo: bool,
    busy_until: Option<Instant>,
}

impl<U, C, F: Framing, const N: usize> AsyncLink<U, C, F, N, AutoDirection> {
    /// A link on `uart` for frames of `framing`, with `timing`, echo dropping off and no
    /// direction control.
    pub fn new(uart: U, clock: C, framing: F, timing: Timing) -> Self {
        Self {
            uart,
            clock,
            dir: AutoDirection,
            deframer: Deframer::new(framing, timing.gap()),
            timing,
            echo: false,
            busy_until: None,
        }
    }
}

impl<U, C, F: Framing, const N: usize, D> AsyncLink<U, C, F, N, D> {
    /// The same link with a direction hook.
    pub fn with_direction<D2: Direction>(self, dir: D2) -> AsyncLink<U, C, F, N, D2> {
        AsyncLink {
            uart: self.uart,
            clock: self.clock,
            dir,
            deframer: self.deframer,
            timing: self.timing,
            echo: self.echo,
            busy_until: self.busy_until,
        }
    }

    /// Drop the echo of each transmission; a mismatch fails with [`LinkError::Echo`].
    pub fn with_echo(mut self, echo: bool) -> Self {
        self.echo = echo;
        self
    }

    /// Report [`LinkError::Garbled`] after `limit` bytes of noise in a row.
    pub fn with_resync_limit(mut self, limit: usize) -> Self {
        self.deframer = self.deframer.with_resync_limit(limit);
        self
    }

    /// The timing in use.
    pub fn timing(&self) -> &Timing {
        &self.timing
    }

    /// The UART.
    pub fn uart_mut(&mut self) -> &mut U {
        &mut self.uart
    }

    /// Give back the UART, the clock and the direction hook.
    pub fn into_parts(self) -> (U, C, D) {
        (self.uart, self.clock, self.dir)
    }
}

impl<U, C, F, const N: usize, D> AsyncLink<U, C, F, N, D>
where
    U: Read + Write,
    C: AsyncClock,
    F: Framing,
    D: Direction,
{
    /// Send `request` (without preamble; the framing's preamble goes first) and return the
    /// first frame that comes back; see [`Link::transact`](crate::Link::transact).
    pub async fn transact(&mut self, request: &[u8]) -> Result<&[u8], LinkError<U::Error>> {
        let sent = self.transmit(request).await?;
        let response = self.timing.response_timeout();
        let wait = Wait::new(Want::Frame, sent, response, &self.timing, F::MAX_FRAME_LEN);
        let raw = self.wait(wait).await?;
        Ok(self.frame(raw))
    }

    /// Send `request` without waiting for a reply; with echo dropping on, check the echo.
    pub async fn send(&mut self, request: &[u8]) -> Result<(), LinkError<U::Error>> {
        let sent = self.transmit(request).await?;
        if self.echo {
            let response = self.timing.response_timeout();
            let wait = Wait::new(Want::Echo, sent, response, &self.timing, F::MAX_FRAME_LEN);
            self.wait(wait).await?;
        }
        Ok(())
    }

    /// Wait up to `timeout` for the next frame without sending anything.
    pub async fn receive(&mut self, timeout: Duration) -> Result<&[u8], LinkError<U::Error>> {
        let now = self.clock.now();
        let wait = Wait::new(Want::Frame, now, timeout, &self.timing, F::MAX_FRAME_LEN);
        let raw = self.wait(wait).await?;
        Ok(self.frame(raw))
    }

    fn frame(&self, raw: Raw) -> &[u8] {
        match self.deframer.event(raw) {
            crate::Event::Frame(f) => f,
            _ => &[],
        }
    }

    async fn transmit(&mut self, request: &[u8]) -> Result<Instant, LinkError<U::Error>> {
        let len = self.deframer.framing().preamble().len() + request.len();
        if self.echo && len > N {
            return Err(LinkError::RequestTooLong { len, capacity: N });
        }
        if let Some(busy) = self.busy_until {
            let quiet = busy + self.timing.turnaround();
            if self.clock.now() < quiet {
                self.clock.sleep_until(quiet).await;
            }
        }
        // Discard stale input: whatever a read returns at once (a read that would wait loses
        // the race against a timer that has already expired).
        let mut stale = [0u8; CHUNK];
        for _ in 0..STALE_READS {
            let now = self.clock.now();
            match race(self.uart.read(&mut stale), self.clock.sleep_until(now)).await {
                Either::Left(Ok(n)) if n > 0 => {}
                Either::Left(Err(e)) => return Err(LinkError::Io(e)),
                _ => break,
            }
        }
        if self.echo {
            self.deframer
                .expect_request_echo(request)
                .map_err(|e| LinkError::RequestTooLong {
                    len: e.len,
                    capacity: e.capacity,
                })?;
        } else {
            self.deframer.clear();
        }
        {
            let _bus = Transmitting::start(&mut self.dir);
            self.uart
                .write_all(self.deframer.framing().preamble())
                .await?;
            self.uart.write_all(request).await?;
            self.uart.flush().await?;
        }
        let now = self.clock.now();
        self.busy_until = Some(now);
        Ok(now)
    }

    async fn wait(&mut self, mut wait: Wait) -> Result<Raw, LinkError<<U as ErrorType>::Error>> {
        let mut buf = [0u8; CHUNK];
        loop {
            if let Some(done) = wait.drain(&mut self.deframer) {
                return done.map_err(|f| f.into_error());
            }
            let now = self.clock.now();
            self.deframer.silence(now);
            if let Some(done) = wait.drain(&mut self.deframer) {
                return done.map_err(|f| f.into_error());
            }
            if let Some(failure) = wait.expired(now, &self.deframer) {
                return Err(failure.into_error());
            }
            let wake = wait.wake_at(&self.deframer);
            let room = self.deframer.room().clamp(1, CHUNK);
            let read = self.uart.read(buf.get_mut(..room).unwrap_or(&mut []));
            match race(read, self.clock.sleep_until(wake)).await {
                Either::Left(Ok(0)) => return Err(LinkError::Closed),
                Either::Left(Ok(n)) => {
                    let now = self.clock.now();
                    self.deframer.push(buf.get(..n).unwrap_or(&[]), now);
                    self.busy_until = Some(now);
                }
                Either::Left(Err(e)) => return Err(LinkError::Io(e)),
                Either::Right(()) => {}
            }
        }
    }
}

/// Which of two raced futures finished first.
enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Poll `a` then `b` until one is ready; the other is dropped. `a` wins a tie, so bytes already
/// there are read even when the timer has expired.
async fn race<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = pin!(a);
    let mut b = pin!(b);
    poll_fn(|cx| {
        if let Poll::Ready(x) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(x));
        }
        if let Poll::Ready(y) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(y));
        }
        Poll::Pending
    })
    .await
}
