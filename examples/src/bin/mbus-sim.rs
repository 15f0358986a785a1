//! `mbus-sim`: simulated wired M-Bus slaves on a serial device.
//!
//! ```text
//! mbus-sim (--port DEV | --pty) [--baud 2400] --slaves ADDR:FILE.hex[+FILE.hex...],...
//!          [--built ADDR:ID[:LITRES/LITRES...]]... [--id ADDR:ID]... [--collision garbage]
//!          [--duration S]
//! ```
//!
//! Telegram files are hex (the libmbus corpus `.hex` format); several files for one slave
//! make a multi-telegram readout. `--built` makes a water meter from an identification
//! number (one telegram per volume), `--id` writes a new identification number into a
//! slave's telegrams. Each request and what the slaves answered is printed as a log line.

use std::process::ExitCode;
use std::time::Duration;

use examples::cli::{self, number};
use examples::mbus_sim::{self, Collision, MbusSim, MbusSimConfig, SlaveConfig};

const USAGE: &str = "usage: mbus-sim (--port DEV | --pty) [--baud 2400] \
[--slaves ADDR:FILE.hex[+FILE.hex...],...] [--built ADDR:ID[:LITRES/LITRES...]]... \
[--id ADDR:ID]... [--collision overlap|garbage] [--duration SECONDS]";

struct Args {
    /// The serial device; `None`: a new pty pair (`--pty`).
    port: Option<String>,
    baud: u32,
    config: MbusSimConfig,
    duration: Option<Duration>,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut port = None;
    let mut pty = false;
    let mut baud = 2400;
    let mut slaves: Vec<SlaveConfig> = Vec::new();
    let mut ids: Vec<(u8, u32)> = Vec::new();
    let mut collision = Collision::Overlap;
    let mut duration = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--port" => port = Some(value()?.clone()),
            "--pty" => pty = true,
            "--baud" => baud = number(a, value()?)?,
            "--slaves" => {
                for s in value()?.split(',').filter(|s| !s.is_empty()) {
                    let (addr, files) = s
                        .split_once(':')
                        .ok_or_else(|| format!("bad slave {s:?}: expected ADDR:FILE.hex"))?;
                    let addr: u8 = number("slave address", addr)?;
                    // `A.hex+B.hex` lists several telegrams, unless a file has that name
                    // (the corpus has `itron_bm_+m.hex`).
                    let files: Vec<&str> = if std::path::Path::new(files).exists() {
                        vec![files]
                    } else {
                        files.split('+').collect()
                    };
                    let cfg = SlaveConfig::from_hex_files(addr, &files)
                        .map_err(|e| format!("slave {addr}: {e}"))?;
                    slaves.push(cfg);
                }
            }
            "--built" => {
                let v = value()?;
                let mut parts = v.split(':');
                let addr: u8 = number("slave address", parts.next().unwrap_or(""))?;
                let id: u32 = number("identification number", parts.next().unwrap_or(""))?;
                let litres: Vec<u32> = match parts.next() {
                    Some(l) => l
                        .split('/')
                        .map(|x| number("volume", x))
                        .collect::<Result<_, _>>()?,
                    None => vec![id % 1_000_000],
                };
                slaves.push(
                    SlaveConfig::built(addr, id, "SIM", 0x07, &litres)
                        .map_err(|e| format!("slave {addr}: {e}"))?,
                );
            }
            "--id" => {
                let v = value()?;
                let (addr, id) = v
                    .split_once(':')
                    .ok_or_else(|| format!("bad --id {v:?}: expected ADDR:ID"))?;
                ids.push((
                    number("slave address", addr)?,
                    number("identification number", id)?,
                ));
            }
            "--collision" => {
                collision = match value()?.as_str() {
                    "overlap" => Collision::Overlap,
                    "garbage" => Collision::Garbage,
                    c => return Err(format!("bad collision {c:?}: overlap or garbage")),
                }
            }
            "--duration" => duration = Some(Duration::from_secs(number(a, value()?)?)),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if slaves.is_empty() {
        return Err(format!("no slaves (--slaves or --built)\n{USAGE}"));
    }
    if port.is_some() == pty {
        return Err(format!("give either --port DEV or --pty\n{USAGE}"));
    }
    for (addr, id) in ids {
        let i = slaves
            .iter()
            .position(|s| s.primary == addr)
            .ok_or_else(|| format!("--id for slave {addr}, which is not configured"))?;
        let s = slaves.remove(i);
        slaves.insert(i, s.with_id(id).map_err(|e| format!("slave {addr}: {e}"))?);
    }
    let config = MbusSimConfig {
        collision,
        ..MbusSimConfig::new(slaves)
    };
    Ok(Args {
        port,
        baud,
        config,
        duration,
    })
}

fn main() -> ExitCode {
    let args = match cli::parse_args("mbus-sim", parse) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let line = match cli::line_8e1("mbus-sim", args.baud) {
        Ok(l) => l,
        Err(code) => return code,
    };
    for s in &args.config.slaves {
        let secondary = s.secondary().map_or("none".to_string(), |a| a.to_string());
        println!(
            "slave {} (secondary {secondary}, {} telegram(s))",
            s.primary,
            s.telegrams.len()
        );
    }
    let sim = MbusSim::new(args.config.clone());
    cli::serve(
        "mbus-sim",
        sim,
        line,
        args.port,
        args.duration,
        mbus_sim::spawn,
        mbus_sim::spawn_on_port,
    )
}
