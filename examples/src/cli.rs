//! Pieces the command-line programs share: numbers read from options, and running a
//! simulator on a serial device (or a new pty pair) until the port fails or time is up.

use std::process::ExitCode;
use std::str::FromStr;
use std::time::{Duration, Instant};

use rs485_link::LineSettings;
use serialport::TTYPort;

use crate::pty::Pty;
use crate::sim_port::{Logger, Responder, SimHandle};

/// `v` read as a number for the option `what`, or a message saying it is not one.
pub fn number<T: FromStr>(what: &str, v: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("{what}: {v:?} is not a number"))
}

/// How a simulator starts on an open port (the master end of a pty pair).
pub type Spawn<S> = fn(TTYPort, LineSettings, S, Logger) -> SimHandle<S>;

/// How a simulator starts on the serial device at a path.
pub type SpawnOnPort<S> =
    fn(&str, LineSettings, S, Logger) -> Result<SimHandle<S>, serialport::Error>;

/// Runs the simulator `sim` of the program `name` on the serial device `port` (opened with
/// `line`) with `spawn_on_port`, or on a new pty pair with `spawn` when `port` is `None`.
/// Prints the device and the simulator's log lines (seconds since the start) and returns when
/// the port fails (failure) or after `duration` (success).
pub fn serve<S: Responder>(
    name: &str,
    sim: S,
    line: LineSettings,
    port: Option<String>,
    duration: Option<Duration>,
    spawn: Spawn<S>,
    spawn_on_port: SpawnOnPort<S>,
) -> ExitCode {
    let start = Instant::now();
    let log: Logger = Box::new(move |l: &str| {
        println!("[{:9.3} s] {l}", start.elapsed().as_secs_f64());
    });
    let mut keep = None;
    let handle = match port {
        None => match Pty::open() {
            Ok(p) => {
                println!("serial device: {}", p.slave_path());
                let Pty { master, slave, .. } = p;
                keep = Some(slave);
                spawn(master, line, sim, log)
            }
            Err(e) => {
                eprintln!("{name}: cannot open a pty: {e}");
                return ExitCode::FAILURE;
            }
        },
        Some(port) => match spawn_on_port(&port, line, sim, log) {
            Ok(h) => {
                println!("serial device: {port} at {} Bd 8E1", line.baud());
                h
            }
            Err(e) => {
                eprintln!("{name}: cannot open {port}: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    while handle.is_running() {
        if duration.is_some_and(|d| start.elapsed() >= d) {
            handle.stop();
            drop(keep);
            return ExitCode::SUCCESS;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("{name}: the port failed");
    ExitCode::FAILURE
}

/// Bytes as upper-case hex pairs separated by spaces (`68 AA 16`), as the tools print frames.
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Hex digits read two by two into bytes, white space anywhere ignored (`68 AA16`); the
/// message says how many digits there were when odd, or which digit begins a bad pair.
pub fn hex_bytes(text: &str) -> Result<Vec<u8>, String> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| {
            let pair = digits.get(i..i + 2).unwrap_or("");
            u8::from_str_radix(pair, 16)
                .map_err(|_| format!("not a hex byte at digit {i}: {pair:?}"))
        })
        .collect()
}

/// The program's arguments (after its name) read by `parse`; a refusal is printed after
/// `name:` and gives exit status 2.
pub fn parse_args<A>(
    name: &str,
    parse: impl FnOnce(&[String]) -> Result<A, String>,
) -> Result<A, ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    parse(&args).map_err(|e| {
        eprintln!("{name}: {e}");
        ExitCode::from(2)
    })
}

/// 8E1 line settings at `baud` (the simulators' `--baud`); a refused rate is printed after
/// `name:` and gives exit status 2.
pub fn line_8e1(name: &str, baud: u32) -> Result<LineSettings, ExitCode> {
    LineSettings::new_8e1(baud).map_err(|e| {
        eprintln!("{name}: --baud {baud}: {e}");
        ExitCode::from(2)
    })
}
