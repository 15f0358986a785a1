//! Running a simulator on a serial device: a thread that deframes requests with
//! `rs485_link`, asks the simulator, waits the reply delay and writes the reply.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration as StdDuration, Instant as StdInstant};

use rs485_link::{
    Duration, Framing, Instant, LineSettings, Link, LinkError, SerialUart, StdClock, Timing,
};
use serialport::SerialPort;

/// A simulator the port thread can drive.
pub trait Responder: Send + 'static {
    /// Answer one request frame received at simulated `now`: the delay to wait after it and
    /// the bytes to send, or `None`.
    fn respond(&mut self, request: &[u8], now: Instant) -> Option<(Duration, Vec<u8>)>;

    /// Log lines since the last call.
    fn take_log(&mut self) -> Vec<String>;
}

/// Where the port thread sends its log lines.
pub type Logger = Box<dyn FnMut(&str) + Send>;

/// A simulator running on a port; dropping it (or [`stop`](SimHandle::stop)) ends the thread.
pub struct SimHandle<S> {
    sim: Arc<Mutex<S>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl<S> SimHandle<S> {
    /// The simulator, locked (to look at or change its state while it runs).
    pub fn sim(&self) -> MutexGuard<'_, S> {
        self.sim.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the thread is still running (it ends when the port fails or closes).
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// End the thread and wait for it.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            // A panic in the thread has already been reported on stderr.
            let _ = t.join();
        }
    }
}

impl<S> Drop for SimHandle<S> {
    fn drop(&mut self) {
        self.halt();
    }
}

/// How long one wait for a request lasts before the thread looks at its stop flag.
const POLL: u64 = 100;

/// Run `sim` on an open `port` (its line settings are left as they are) with `framing` and
/// `timing` (inter-byte gap); simulated time 0 is now.
pub fn run<S, P, F>(sim: S, port: P, framing: F, timing: Timing, mut log: Logger) -> SimHandle<S>
where
    S: Responder,
    P: SerialPort + 'static,
    F: Framing + Send + 'static,
{
    let sim = Arc::new(Mutex::new(sim));
    let stop = Arc::new(AtomicBool::new(false));
    let (shared, halt) = (Arc::clone(&sim), Arc::clone(&stop));
    let thread = thread::spawn(move || {
        let origin = StdInstant::now();
        let mut link: Link<SerialUart<P>, StdClock, F, 1024> =
            Link::new(SerialUart::new(port), StdClock::new(), framing, timing);
        while !halt.load(Ordering::Relaxed) {
            let request = match link.receive(Duration::millis(POLL)) {
                Ok(frame) => frame.to_vec(),
                Err(LinkError::Io(e)) => {
                    log(&format!("port error, simulator stops: {e}"));
                    break;
                }
                Err(LinkError::Closed) => {
                    log("port closed, simulator stops");
                    break;
                }
                Err(LinkError::Garbled { bytes }) => {
                    log(&format!("{bytes} bytes of noise dropped"));
                    continue;
                }
                Err(_) => continue,
            };
            let received = StdInstant::now();
            let now = Instant::from_ticks(
                u64::try_from(received.duration_since(origin).as_millis()).unwrap_or(u64::MAX),
            );
            let (reply, lines) = {
                let mut s = shared.lock().unwrap_or_else(PoisonError::into_inner);
                let reply = s.respond(&request, now);
                (reply, s.take_log())
            };
            for l in &lines {
                log(l);
            }
            if let Some((delay, bytes)) = reply {
                let due = received + StdDuration::from_millis(delay.to_millis());
                thread::sleep(due.saturating_duration_since(StdInstant::now()));
                let port = link.uart_mut().port_mut();
                if let Err(e) = port.write_all(&bytes).and_then(|()| port.flush()) {
                    log(&format!("port error, simulator stops: {e}"));
                    break;
                }
            }
        }
    });
    SimHandle {
        sim,
        stop,
        thread: Some(thread),
    }
}

/// Open the serial device at `path` with `line` and run `sim` on it.
pub fn run_on_path<S, F>(
    sim: S,
    path: &str,
    framing: F,
    line: LineSettings,
    timing: Timing,
    log: Logger,
) -> Result<SimHandle<S>, serialport::Error>
where
    S: Responder,
    F: Framing + Send + 'static,
{
    let uart = SerialUart::open(path, &line)?;
    Ok(run(sim, uart.into_inner(), framing, timing, log))
}
