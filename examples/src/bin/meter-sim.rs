//! `meter-sim`: simulated DL/T 645 meters on a serial device.
//!
//! ```text
//! meter-sim (--port DEV | --pty) [--baud 2400] --meters ADDR[@1997],... [--edition 1997]
//!           [--fault ADDR:KIND]... [--power W] [--turnaround MS] [--wake-up N] [--duration S]
//! ```
//!
//! KIND is `silence`, `checksum`, `late=MS`, `error`, `drift=S[/S_PER_HOUR]` or `every=N`.
//! Each request seen and what the meters answered is printed as one log line.

use std::process::ExitCode;
use std::time::Duration;

use dlt645::{Address, Edition};
use examples::cli::{self, number};
use examples::meter_sim::{self, Fault, MeterConfig, MeterSim, SimConfig};

const USAGE: &str = "usage: meter-sim (--port DEV | --pty) [--baud 2400] --meters ADDR[@1997],... \
[--edition 1997] [--fault ADDR:silence|checksum|late=MS|error|drift=S[/S_PER_HOUR]|every=N]... \
[--power W] [--turnaround MS] [--wake-up N] [--duration SECONDS]";

struct Args {
    /// The serial device; `None`: a new pty pair (`--pty`).
    port: Option<String>,
    baud: u32,
    config: SimConfig,
    duration: Option<Duration>,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut port = None;
    let mut pty = false;
    let mut baud = 2400;
    let mut meters: Vec<(Address, Option<Edition>)> = Vec::new();
    let mut edition = Edition::V2007;
    let mut faults: Vec<(Address, Fault)> = Vec::new();
    let mut power = None;
    let mut turnaround = None;
    let mut wake_up = None;
    let mut duration = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--port" => port = Some(value()?.clone()),
            "--pty" => pty = true,
            "--baud" => baud = number(a, value()?)?,
            "--meters" => {
                for m in value()?.split(',').filter(|m| !m.is_empty()) {
                    let (addr, ed) = match m.split_once('@') {
                        Some((a, "1997")) => (a, Some(Edition::V1997)),
                        Some((a, "2007")) => (a, Some(Edition::V2007)),
                        Some(_) => return Err(format!("bad meter {m:?}: edition is 1997 or 2007")),
                        None => (m, None),
                    };
                    meters.push((address(addr)?, ed));
                }
            }
            "--edition" => {
                edition = match value()?.as_str() {
                    "1997" => Edition::V1997,
                    "2007" => Edition::V2007,
                    e => return Err(format!("bad edition {e:?}: 1997 or 2007")),
                }
            }
            "--fault" => {
                let v = value()?;
                let (addr, kind) = v
                    .split_once(':')
                    .ok_or_else(|| format!("bad fault {v:?}: expected ADDR:KIND"))?;
                faults.push((address(addr)?, kind.parse().map_err(|e| format!("{e}"))?));
            }
            "--power" => power = Some(number(a, value()?)?),
            "--turnaround" => turnaround = Some(number::<u64>(a, value()?)?),
            "--wake-up" => wake_up = Some(number(a, value()?)?),
            "--duration" => duration = Some(Duration::from_secs(number(a, value()?)?)),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if meters.is_empty() {
        return Err(format!("no meters (--meters)\n{USAGE}"));
    }
    if port.is_some() == pty {
        return Err(format!("give either --port DEV or --pty\n{USAGE}"));
    }
    for (a, _) in &faults {
        if !meters.iter().any(|(m, _)| m == a) {
            return Err(format!("fault for {a}, which is not in --meters"));
        }
    }
    let meters = meters
        .into_iter()
        .enumerate()
        .map(|(i, (a, ed))| {
            let mut m = MeterConfig::new(a, ed.unwrap_or(edition));
            // Different registers per meter, so readings tell them apart.
            m.energy_wh += 123_450 * i as u64;
            if let Some(p) = power {
                m.power_w = p;
            }
            m.faults = faults
                .iter()
                .filter(|(f, _)| *f == a)
                .map(|(_, f)| *f)
                .collect();
            m
        })
        .collect();
    let mut config = SimConfig::new(meters).with_system_time();
    if let Some(t) = turnaround {
        config.turnaround = rs485_link::Duration::millis(t);
    }
    if let Some(w) = wake_up {
        config.wake_up = w;
    }
    Ok(Args {
        port,
        baud,
        config,
        duration,
    })
}

fn address(s: &str) -> Result<Address, String> {
    s.parse().map_err(|e| format!("bad address {s:?}: {e}"))
}

fn main() -> ExitCode {
    let args = match cli::parse_args("meter-sim", parse) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let line = match cli::line_8e1("meter-sim", args.baud) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let sim = MeterSim::new(args.config.clone());
    for m in &args.config.meters {
        let ed = match m.edition {
            Edition::V1997 => "1997",
            _ => "2007",
        };
        println!("meter {} (DL/T 645-{ed})", m.address);
    }
    cli::serve(
        "meter-sim",
        sim,
        line,
        args.port,
        args.duration,
        meter_sim::spawn,
        meter_sim::spawn_on_port,
    )
}
