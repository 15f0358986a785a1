//! `std` adapters: a `serialport` port as an `embedded-io` UART, and the system clock.

use std::io;
use std::time::Duration as StdDuration;

use serialport::SerialPort;

use crate::{Clock, DataBits, Instant, LineSettings, Parity, StopBits};

/// The operating system's own port type (`TTYPort` on Unix, `COMPort` on Windows).
#[cfg(unix)]
pub type NativePort = serialport::TTYPort;
/// The operating system's own port type (`TTYPort` on Unix, `COMPort` on Windows).
#[cfg(windows)]
pub type NativePort = serialport::COMPort;

/// How long one system read waits before the adapter looks again; reads only happen after
/// [`ReadReady`](embedded_io::ReadReady) said bytes are there, so this is rarely reached.
const READ_SLICE: StdDuration = StdDuration::from_millis(100);

/// A `serialport` port as an `embedded_io::{Read, Write, ReadReady}` UART.
///
/// Timeouts are mapped to `embedded-io`'s blocking model: a read that times out with nothing
/// received is retried (an `embedded-io` read blocks until at least one byte is there; the
/// [`Link`](crate::Link) reads only when [`ReadReady`](embedded_io::ReadReady) says so, and
/// keeps the protocol's timeouts itself), and so is an interrupted one; a write or flush that
/// times out is an error of kind `TimedOut`. Errors are `std::io::Error`.
#[derive(Debug)]
pub struct SerialUart<P> {
    port: P,
}

impl<P: SerialPort> SerialUart<P> {
    /// Wrap an open port (its settings are left as they are).
    pub fn new(port: P) -> Self {
        Self { port }
    }

    /// Apply `line` to the port: baud rate, data bits, parity, stop bits, no flow control.
    pub fn configure(&mut self, line: &LineSettings) -> Result<(), serialport::Error> {
        self.port.set_baud_rate(line.baud())?;
        self.port.set_data_bits(data_bits(line.data_bits()))?;
        self.port.set_parity(parity(line.parity()))?;
        self.port.set_stop_bits(stop_bits(line.stop_bits()))?;
        self.port.set_flow_control(serialport::FlowControl::None)?;
        self.port.set_timeout(READ_SLICE)
    }

    /// The port.
    pub fn port(&self) -> &P {
        &self.port
    }

    /// The port, mutably.
    pub fn port_mut(&mut self) -> &mut P {
        &mut self.port
    }

    /// Unwrap the port.
    pub fn into_inner(self) -> P {
        self.port
    }
}

impl SerialUart<NativePort> {
    /// Open the port at `path` (for example `/dev/ttyUSB0`) with `line`.
    pub fn open(path: &str, line: &LineSettings) -> Result<Self, serialport::Error> {
        let port = serialport::new(path, line.baud())
            .data_bits(data_bits(line.data_bits()))
            .parity(parity(line.parity()))
            .stop_bits(stop_bits(line.stop_bits()))
            .flow_control(serialport::FlowControl::None)
            .timeout(READ_SLICE)
            .open_native()?;
        Ok(Self::new(port))
    }
}

fn data_bits(d: DataBits) -> serialport::DataBits {
    match d {
        DataBits::Five => serialport::DataBits::Five,
        DataBits::Six => serialport::DataBits::Six,
        DataBits::Seven => serialport::DataBits::Seven,
        DataBits::Eight => serialport::DataBits::Eight,
    }
}

fn parity(p: Parity) -> serialport::Parity {
    match p {
        Parity::None => serialport::Parity::None,
        Parity::Even => serialport::Parity::Even,
        Parity::Odd => serialport::Parity::Odd,
    }
}

fn stop_bits(s: StopBits) -> serialport::StopBits {
    match s {
        StopBits::One => serialport::StopBits::One,
        StopBits::Two => serialport::StopBits::Two,
    }
}

impl<P> embedded_io::ErrorType for SerialUart<P> {
    type Error = io::Error;
}

impl<P: SerialPort> embedded_io::Read for SerialUart<P> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, io::Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match self.port.read(buf) {
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                    ) => {}
                other => return other,
            }
        }
    }
}

impl<P: SerialPort> embedded_io::ReadReady for SerialUart<P> {
    fn read_ready(&mut self) -> Result<bool, io::Error> {
        Ok(self.port.bytes_to_read().map_err(io::Error::from)? > 0)
    }
}

impl<P: SerialPort> embedded_io::Write for SerialUart<P> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, io::Error> {
        loop {
            match self.port.write(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => return other,
            }
        }
    }

    fn flush(&mut self) -> Result<(), io::Error> {
        self.port.flush()
    }
}

/// The system's monotonic clock, counting milliseconds from its creation; idles by sleeping at
/// most `max_sleep` at a time (1 ms by default).
#[derive(Debug, Clone, Copy)]
pub struct StdClock {
    origin: std::time::Instant,
    max_sleep: StdDuration,
}

impl StdClock {
    /// A clock starting at 0 now.
    pub fn new() -> Self {
        Self {
            origin: std::time::Instant::now(),
            max_sleep: StdDuration::from_millis(1),
        }
    }

    /// The same clock, sleeping at most `max` per idle call (longer saves CPU, adds latency).
    pub fn with_max_sleep(mut self, max: StdDuration) -> Self {
        self.max_sleep = max;
        self
    }
}

impl Default for StdClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for StdClock {
    fn now(&mut self) -> Instant {
        let ms = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        Instant::from_ticks(ms)
    }

    fn idle(&mut self, until: Instant) {
        let now = self.now();
        if let Some(left) = until.checked_duration_since(now) {
            let left = StdDuration::from_millis(left.ticks());
            std::thread::sleep(left.min(self.max_sleep));
        }
    }
}
