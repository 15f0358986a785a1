//! The M-Bus slaves on a serial device.

use rs485_link::{Duration, Instant, LineSettings, Timing};
use serialport::SerialPort;
use wired_mbus::MbusFraming;

use super::MbusSim;
use crate::sim_port::{self, Logger, Responder};

/// An [`MbusSim`] running on a port.
pub type SimHandle = sim_port::SimHandle<MbusSim>;

impl Responder for MbusSim {
    fn respond(&mut self, request: &[u8], now: Instant) -> Option<(Duration, Vec<u8>)> {
        self.handle(request, now).map(|r| (r.delay, r.bytes))
    }

    fn take_log(&mut self) -> Vec<String> {
        MbusSim::take_log(self)
    }
}

/// Run `sim` in a thread on the serial device at `path`, opened with `line` (M-Bus: 8E1,
/// 2400 Bd usually). Log lines go to `log`.
pub fn spawn_on_port(
    path: &str,
    line: LineSettings,
    sim: MbusSim,
    log: Logger,
) -> Result<SimHandle, serialport::Error> {
    sim_port::run_on_path(sim, path, MbusFraming, line, Timing::mbus(line), log)
}

/// Run `sim` in a thread on an open port (for example the master end of a pty pair).
pub fn spawn<P: SerialPort + 'static>(
    port: P,
    line: LineSettings,
    sim: MbusSim,
    log: Logger,
) -> SimHandle {
    sim_port::run(sim, port, MbusFraming, Timing::mbus(line), log)
}
