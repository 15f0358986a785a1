//! The sans-IO [`Master`] driven on a real serial port: `serialport` through the rs485-link
//! std adapter ([`SerialUart`], 8E1 line settings) and its millisecond clock ([`StdClock`]).

use std::io::{self, Read, Write};
use std::time::Duration as StdDuration;

use rs485_link::{Clock, LineSettings, NativePort, SerialUart, StdClock};
use serialport::SerialPort;
use wired_mbus::{Completion, Event, Frame, MAX_FRAME_LEN, Master, MasterConfig, MasterError};

/// The longest the driver blocks in one read before it looks at the master's timeout again.
const READ_SLICE_MS: u64 = 20;

/// Why the bus could not be used.
#[derive(Debug)]
pub(crate) enum BusError {
    /// The device could not be opened (no such port, permission, not a tty).
    Open {
        /// The path given.
        port: String,
        /// What the system said.
        source: serialport::Error,
    },
    /// Reading or writing failed (the adapter was unplugged, the pty closed).
    Io(io::Error),
}

impl std::fmt::Display for BusError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BusError::Open { port, source } => write!(f, "cannot open {port}: {source}"),
            BusError::Io(e) => write!(f, "serial port failed: {e}"),
        }
    }
}

/// What happened while a command ran, for progress and output.
pub(crate) enum Step<'a> {
    /// These bytes were just written to the line.
    Sent(&'a [u8]),
    /// The master reported this; for a telegram, its frame.
    Event(Event, Option<Frame<'a>>),
}

/// An open port with a master on it.
pub(crate) struct Bus {
    uart: SerialUart<NativePort>,
    clock: StdClock,
    master: Master,
    tx: [u8; MAX_FRAME_LEN],
    rx: [u8; 512],
}

impl Bus {
    /// Open `port` at `cfg`'s line speed, 8E1 (EN 13757-2 characters).
    pub(crate) fn open(port: &str, cfg: MasterConfig) -> Result<Self, BusError> {
        let open_error = |source| BusError::Open {
            port: port.to_owned(),
            source,
        };
        let line = LineSettings::new_8e1(cfg.timing.baud()).map_err(|e| {
            open_error(serialport::Error::new(
                serialport::ErrorKind::InvalidInput,
                e.to_string(),
            ))
        })?;
        let uart = SerialUart::open(port, &line).map_err(open_error)?;
        let mut bus = Bus {
            uart,
            clock: StdClock::new(),
            master: Master::new(cfg),
            tx: [0; MAX_FRAME_LEN],
            rx: [0; 512],
        };
        // Whatever a slave said before we opened the port is not an answer to us.
        let _ = bus.uart.port_mut().clear(serialport::ClearBuffer::All);
        Ok(bus)
    }

    /// The master (its FCB table and settings).
    pub(crate) fn master(&self) -> &Master {
        &self.master
    }

    /// Change the master's settings between commands.
    pub(crate) fn set_config(&mut self, cfg: MasterConfig) {
        self.master.set_config(cfg);
    }

    /// Run one command (begun by `start` on the master) to its end, handing every step to
    /// `on`. The outer error is the port's; the inner result is the master's.
    pub(crate) fn run(
        &mut self,
        start: impl FnOnce(&mut Master) -> Result<(), MasterError>,
        on: &mut dyn FnMut(Step<'_>),
    ) -> Result<Result<Completion, MasterError>, BusError> {
        if let Err(e) = start(&mut self.master) {
            return Ok(Err(e));
        }
        loop {
            let now = self.clock.now();
            if let Some(n) = self.master.poll_transmit(now, &mut self.tx) {
                let bytes = self.tx.get(..n).unwrap_or(&[]);
                let port = self.uart.port_mut();
                port.write_all(bytes)
                    .and_then(|()| port.flush())
                    .map_err(BusError::Io)?;
                on(Step::Sent(bytes));
            }
            while let Some(event) = self.master.poll_event() {
                let frame = match event {
                    Event::Telegram { .. } => self.master.telegram(),
                    _ => None,
                };
                on(Step::Event(event, frame));
                if let Event::Done(result) = event {
                    return Ok(result);
                }
            }
            let Some(deadline) = self.master.poll_timeout() else {
                // A busy master without a timeout transmits on the next turn; an idle one
                // without a Done event would leave us waiting for ever.
                if !self.master.is_busy() {
                    return Err(BusError::Io(io::Error::other(
                        "the master stopped without ending its command",
                    )));
                }
                continue;
            };
            let now = self.clock.now();
            let Some(left) = deadline
                .checked_duration_since(now)
                .filter(|d| d.ticks() > 0)
            else {
                self.master.handle_timeout(now);
                continue;
            };
            let wait = left.ticks().min(READ_SLICE_MS);
            let port = self.uart.port_mut();
            port.set_timeout(StdDuration::from_millis(wait))
                .map_err(|e| BusError::Io(e.into()))?;
            match port.read(&mut self.rx) {
                Ok(0) => {
                    return Err(BusError::Io(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the port closed",
                    )));
                }
                Ok(n) => {
                    let now = self.clock.now();
                    self.master
                        .handle_received(self.rx.get(..n).unwrap_or(&[]), now);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(BusError::Io(e)),
            }
        }
    }
}
