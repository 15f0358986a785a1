//! `plc-module-sim`: a simulated Q/GDW 1376.2 carrier module (`examples::plc_sim`) on a serial
//! device, with simulated DL/T 645-2007 meters (`examples::meter_sim`) behind it.
//!
//! ```text
//! plc-module-sim (--port DEV | --pty) [--baud 9600] --meters ADDR,... [--hops N]
//!                [--narrowband] [--loss PERMILLE] [--seed N] [--duration S]
//! ```
//!
//! Meter `i` sits `i % (hops + 1)` relay hops from the module. Frames to and from the
//! concentrator are printed as log lines (hex).

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant as StdInstant};

use dlt645::{Address, Edition};
use examples::cli::{self, hex, number};
use examples::meter_sim::{MeterConfig, MeterSim, SimClock, SimConfig, behind_carrier};
use examples::plc_sim::{self, PlcModuleSim};
use examples::pty::Pty;
use rs485_link::{Instant, SerialUart};
use serialport::SerialPort;

const USAGE: &str = "usage: plc-module-sim (--port DEV | --pty) [--baud 9600] --meters ADDR,... \
[--hops N] [--narrowband] [--loss PERMILLE] [--seed N] [--duration SECONDS]";

struct Args {
    port: Option<String>,
    pty: bool,
    baud: u32,
    meters: Vec<Address>,
    hops: u8,
    narrowband: bool,
    loss: Option<u16>,
    seed: Option<u64>,
    duration: Option<Duration>,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut a = Args {
        port: None,
        pty: false,
        baud: 9600,
        meters: Vec::new(),
        hops: 0,
        narrowband: false,
        loss: None,
        seed: None,
        duration: None,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--port" => a.port = Some(value()?.clone()),
            "--pty" => a.pty = true,
            "--baud" => a.baud = number(arg, value()?)?,
            "--meters" => {
                for m in value()?.split(',').filter(|m| !m.is_empty()) {
                    a.meters
                        .push(m.parse().map_err(|e| format!("bad address {m:?}: {e}"))?);
                }
            }
            "--hops" => a.hops = number(arg, value()?)?,
            "--narrowband" => a.narrowband = true,
            "--loss" => a.loss = Some(number(arg, value()?)?),
            "--seed" => a.seed = Some(number(arg, value()?)?),
            "--duration" => a.duration = Some(Duration::from_secs(number(arg, value()?)?)),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if a.meters.is_empty() {
        return Err(format!("no meters (--meters)\n{USAGE}"));
    }
    if a.port.is_some() == a.pty {
        return Err(format!("give either --port DEV or --pty\n{USAGE}"));
    }
    Ok(a)
}

/// Feed the port's bytes to the module and send what it has due, until `stop` says so.
fn run<P: SerialPort>(
    port: &mut P,
    module: &mut PlcModuleSim,
    start: StdInstant,
    duration: Option<Duration>,
) -> Result<(), String> {
    let now = || Instant::from_ticks(u64::try_from(start.elapsed().as_millis()).unwrap_or(0));
    let mut buf = [0u8; 512];
    loop {
        if duration.is_some_and(|d| start.elapsed() >= d) {
            return Ok(());
        }
        let waiting = port.bytes_to_read().map_err(|e| e.to_string())?;
        if waiting > 0 {
            let n = port.read(&mut buf).map_err(|e| e.to_string())?;
            let got = buf.get(..n).unwrap_or(&[]);
            println!("[{:9.3} s] rx {}", start.elapsed().as_secs_f64(), hex(got));
            module.handle_received(got, now());
        }
        while let Some(frame) = module.poll_transmit(now()) {
            println!(
                "[{:9.3} s] tx {}",
                start.elapsed().as_secs_f64(),
                hex(&frame)
            );
            port.write_all(&frame)
                .and_then(|()| port.flush())
                .map_err(|e| e.to_string())?;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn main() -> ExitCode {
    let args = match cli::parse_args("plc-module-sim", parse) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let line = match cli::line_8e1("plc-module-sim", args.baud) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let start = StdInstant::now();
    let clock: SimClock = Arc::new(move || {
        Instant::from_ticks(u64::try_from(start.elapsed().as_millis()).unwrap_or(0))
    });
    let meters = MeterSim::new(
        SimConfig::new(
            args.meters
                .iter()
                .map(|a| MeterConfig::new(*a, Edition::V2007))
                .collect(),
        )
        .with_system_time(),
    );
    let shared = Arc::new(Mutex::new(meters));
    let span = args.hops.saturating_add(1);
    let nodes = behind_carrier(&shared, &clock, |i| (i % usize::from(span)) as u8);
    for n in &nodes {
        println!(
            "meter {} behind the module, {} hop(s)",
            Address(n.address.0),
            n.hops
        );
    }
    let mut cfg = if args.narrowband {
        plc_sim::SimConfig::narrowband()
    } else {
        plc_sim::SimConfig::hplc()
    };
    if let Some(l) = args.loss {
        cfg.loss_permille = l;
    }
    if let Some(s) = args.seed {
        cfg.seed = s;
    }
    let mut module = PlcModuleSim::new(cfg, nodes, Instant::from_ticks(0));
    let result = if args.pty {
        match Pty::open() {
            Ok(p) => {
                println!("serial device: {}", p.slave_path());
                let Pty {
                    mut master, slave, ..
                } = p;
                let r = run(&mut master, &mut module, start, args.duration);
                drop(slave);
                r
            }
            Err(e) => Err(format!("cannot open a pty: {e}")),
        }
    } else {
        let path = args.port.unwrap_or_default();
        match SerialUart::open(&path, &line) {
            Ok(uart) => {
                println!("serial device: {path} at {} Bd 8E1", args.baud);
                let mut port = uart.into_inner();
                run(&mut port, &mut module, start, args.duration)
            }
            Err(e) => Err(format!("cannot open {path}: {e}")),
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("plc-module-sim: {e}");
            ExitCode::FAILURE
        }
    }
}
