//! The meter bus on a serial device.

use dlt645::Dlt645Framing;
use rs485_link::{Duration, Instant, LineSettings, Timing};
use serialport::SerialPort;

use super::MeterSim;
use crate::sim_port::{self, Logger, Responder};

/// A [`MeterSim`] running on a port.
pub type SimHandle = sim_port::SimHandle<MeterSim>;

impl Responder for MeterSim {
    fn respond(&mut self, request: &[u8], now: Instant) -> Option<(Duration, Vec<u8>)> {
        self.handle(request, now).map(|r| (r.delay, r.bytes))
    }

    fn take_log(&mut self) -> Vec<String> {
        MeterSim::take_log(self)
    }
}

/// Run `sim` in a thread on the serial device at `path` (a pty slave or a real port), opened
/// with `line`; simulated time 0 is now. Log lines go to `log`.
pub fn spawn_on_port(
    path: &str,
    line: LineSettings,
    sim: MeterSim,
    log: Logger,
) -> Result<SimHandle, serialport::Error> {
    sim_port::run_on_path(sim, path, Dlt645Framing, line, Timing::dlt645(line), log)
}

/// Run `sim` in a thread on an open port (for example the master end of a pty pair).
pub fn spawn<P: SerialPort + 'static>(
    port: P,
    line: LineSettings,
    sim: MeterSim,
    log: Logger,
) -> SimHandle {
    sim_port::run(sim, port, Dlt645Framing, Timing::dlt645(line), log)
}
