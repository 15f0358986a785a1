//! The blocking transaction driver over `embedded_io::{Read, Write, ReadReady}`.

use embedded_io::{ErrorType, Read, ReadReady, Write};

use crate::deframer::Raw;
use crate::direction::Transmitting;
use crate::wait::{Wait, Want};
use crate::{
    AutoDirection, Clock, Deframer, Direction, Duration, Framing, Instant, LinkError, Timing,
};

/// Bytes read from the UART at a time.
const CHUNK: usize = 64;
/// Reads of stale input discarded before a request, at most (a babbling line cannot hold us).
const STALE_READS: usize = 16;

/// A half-duplex link on a blocking UART: send a request, wait for the reply frame.
///
/// `U` is the UART (`embedded_io::{Read, Write, ReadReady}`), `C` the clock, `F` the frame
/// format, `N` the receive buffer (≥ `F::MAX_FRAME_LEN`, also ≥ the longest request when echo
/// dropping is on), `D` the direction hook.
///
/// The driver never blocks in `read`: it reads only when [`ReadReady`] says bytes are there,
/// and otherwise hands the time to [`Clock::idle`] until the next deadline.
#[derive(Debug)]
pub struct Link<U, C, F: Framing, const N: usize, D = AutoDirection> {
    uart: U,
    clock: C,
    dir: D,
    deframer: Deframer<F, N>,
    timing: Timing,
    echo: bool,
    /// The last time the bus carried something (our transmission or a received byte).
    busy_until: Option<Instant>,
}

impl<U, C, F: Framing, const N: usize> Link<U, C, F, N, AutoDirection> {
    /// A link on `uart` for frames of `framing`, with `timing` (the deframer's gap limit comes
    /// from it), echo dropping off and no direction control.
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

impl<U, C, F: Framing, const N: usize, D> Link<U, C, F, N, D> {
    /// The same link with a direction hook for a transceiver without automatic direction.
    pub fn with_direction<D2: Direction>(self, dir: D2) -> Link<U, C, F, N, D2> {
        Link {
            uart: self.uart,
            clock: self.clock,
            dir,
            deframer: self.deframer,
            timing: self.timing,
            echo: self.echo,
            busy_until: self.busy_until,
        }
    }

    /// Drop the echo of each transmission (for adapters and IR heads that echo); a mismatch
    /// fails the transaction with [`LinkError::Echo`].
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

    /// The UART, for settings the link does not own (baud-rate changes).
    pub fn uart_mut(&mut self) -> &mut U {
        &mut self.uart
    }

    /// Give back the UART, the clock and the direction hook.
    pub fn into_parts(self) -> (U, C, D) {
        (self.uart, self.clock, self.dir)
    }
}

impl<U, C, F, const N: usize, D> Link<U, C, F, N, D>
where
    U: Read + Write + ReadReady,
    C: Clock,
    F: Framing,
    D: Direction,
{
    /// Send `request` (a whole frame, without preamble: the framing's preamble is sent first)
    /// and return the first frame that comes back.
    ///
    /// Waits out the turnaround since the bus was last busy, discards stale input, transmits,
    /// drops the echo if enabled, then waits up to the response timeout for the first byte and
    /// lets a frame in progress finish within the gap limit.
    pub fn transact(&mut self, request: &[u8]) -> Result<&[u8], LinkError<U::Error>> {
        let sent = self.transmit(request)?;
        let response = self.timing.response_timeout();
        let raw = self.wait(Wait::new(
            Want::Frame,
            sent,
            response,
            &self.timing,
            F::MAX_FRAME_LEN,
        ))?;
        Ok(self.frame(raw))
    }

    /// Send `request` (with preamble) without waiting for a reply (a broadcast); with echo
    /// dropping on, wait for the echo and check it.
    pub fn send(&mut self, request: &[u8]) -> Result<(), LinkError<U::Error>> {
        let sent = self.transmit(request)?;
        if self.echo {
            let response = self.timing.response_timeout();
            self.wait(Wait::new(
                Want::Echo,
                sent,
                response,
                &self.timing,
                F::MAX_FRAME_LEN,
            ))?;
        }
        Ok(())
    }

    /// Wait up to `timeout` for the next frame without sending anything (unsolicited reports,
    /// or the meter side of a simulator). Bytes left over after the previous frame count.
    pub fn receive(&mut self, timeout: Duration) -> Result<&[u8], LinkError<U::Error>> {
        let now = self.clock.now();
        let raw = self.wait(Wait::new(
            Want::Frame,
            now,
            timeout,
            &self.timing,
            F::MAX_FRAME_LEN,
        ))?;
        Ok(self.frame(raw))
    }

    fn frame(&self, raw: Raw) -> &[u8] {
        match self.deframer.event(raw) {
            crate::Event::Frame(f) => f,
            _ => &[],
        }
    }

    /// Turnaround, stale input, echo set-up, transmission; returns when it ended.
    fn transmit(&mut self, request: &[u8]) -> Result<Instant, LinkError<U::Error>> {
        let preamble = self.deframer.framing().preamble();
        let len = preamble.len() + request.len();
        if self.echo && len > N {
            return Err(LinkError::RequestTooLong { len, capacity: N });
        }
        if let Some(busy) = self.busy_until {
            let quiet = busy + self.timing.turnaround();
            loop {
                let now = self.clock.now();
                if now >= quiet {
                    break;
                }
                self.clock.idle(quiet);
            }
        }
        let mut stale = [0u8; CHUNK];
        for _ in 0..STALE_READS {
            if !self.uart.read_ready()? {
                break;
            }
            self.uart.read(&mut stale)?;
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
            self.uart.write_all(self.deframer.framing().preamble())?;
            self.uart.write_all(request)?;
            self.uart.flush()?;
        }
        let now = self.clock.now();
        self.busy_until = Some(now);
        Ok(now)
    }

    fn wait(&mut self, mut wait: Wait) -> Result<Raw, LinkError<<U as ErrorType>::Error>> {
        let mut buf = [0u8; CHUNK];
        loop {
            if let Some(done) = wait.drain(&mut self.deframer) {
                return done.map_err(|f| f.into_error());
            }
            let now = self.clock.now();
            if self.uart.read_ready()? {
                let room = self.deframer.room().clamp(1, CHUNK);
                let n = self.uart.read(buf.get_mut(..room).unwrap_or(&mut []))?;
                if n == 0 {
                    return Err(LinkError::Closed);
                }
                self.deframer.push(buf.get(..n).unwrap_or(&[]), now);
                self.busy_until = Some(now);
                if let Some(done) = wait.drain(&mut self.deframer) {
                    return done.map_err(|f| f.into_error());
                }
                if let Some(failure) = wait.past_hard(now, &self.deframer) {
                    return Err(failure.into_error());
                }
                continue;
            }
            self.deframer.silence(now);
            if let Some(done) = wait.drain(&mut self.deframer) {
                return done.map_err(|f| f.into_error());
            }
            if let Some(failure) = wait.expired(now, &self.deframer) {
                return Err(failure.into_error());
            }
            let wake = wait.wake_at(&self.deframer);
            self.clock.idle(wake);
        }
    }
}
