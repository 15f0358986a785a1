//! `concentrator`: a meter data concentrator on Linux serial ports.
//!
//! ```text
//! concentrator run --config FILE              run the daemon (operator socket from the config)
//! concentrator check --config FILE            validate a config file
//! concentrator read   --meter N --item ITEM   real-time read of one meter
//! concentrator switch --meter N off|on        remote switch
//! concentrator sync                           clock sync round (broadcast + per-meter check)
//! concentrator round [TASK]                   a reading round now (load_curve by default)
//! concentrator status                         channels, store, the last rounds
//! concentrator export [--meter N] [--format csv|json]
//! ```
//! The operator commands take `--socket PATH` or `--config FILE` (its `[control] socket`)
//! and `--json` (print the daemon's JSON answer).

use std::path::PathBuf;
use std::process::ExitCode;

use concentrator_core::{SwitchAction, Task};
use serde_json::Value as Json;

use examples::concentrator::config::Config;
use examples::concentrator::daemon::Request;
use examples::concentrator::{daemon, demo, forward, json, ops, uplink};

const USAGE: &str = "usage:
  concentrator demo [--dir DIR]                 simulated meters on pty pairs, a full tour
  concentrator run --config FILE
  concentrator check --config FILE
  concentrator read --meter N --item ITEM      (energy, energy_export, voltage[:a|b|c], current,
                                                power, power_factor, clock, relay, frozen_day:N,
                                                monthly:N, volume, di:HEX, mbus_record:N)
  concentrator switch --meter N off|on
  concentrator sync
  concentrator round [load_curve|daily_frozen|monthly|clock_sync]
  concentrator status
  concentrator export [--meter N] [--format csv|json]
operator commands take --socket PATH or --config FILE, and --json";

fn opt<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1).map(String::as_str)
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("concentrator: {msg}");
    ExitCode::from(1)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match cmd.as_str() {
        "check" | "run" => daemon_cmd(cmd, &args),
        "demo" => match demo::run(opt(&args, "--dir").map(PathBuf::from)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(e),
        },
        "read" | "switch" | "sync" | "round" | "status" | "export" => operator(cmd, &args),
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn daemon_cmd(cmd: &str, args: &[String]) -> ExitCode {
    let Some(path) = opt(args, "--config").map(PathBuf::from) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let cfg = match Config::load(&path) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    if cmd == "check" {
        println!(
            "{}: ok ({} channels, {} meters)",
            path.display(),
            cfg.channels.len(),
            cfg.meters.len()
        );
        return ExitCode::SUCCESS;
    }
    let socket = cfg.socket.clone();
    let uplink = cfg.uplink.clone().map(|u| (cfg.storage.clone(), u));
    let master = cfg.master.clone();
    let mut d = match daemon::start(cfg, Box::new(|l| println!("{l}"))) {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    if let Some(s) = &socket
        && let Err(e) = ops::serve(s, d.tx.clone())
    {
        return fail(e);
    }
    if let Some((db, to)) = uplink {
        forward::spawn(db, to, Box::new(|l| eprintln!("{l}")));
    }
    // Kept for the daemon's lifetime: the Q/GDW 1376.1 uplink thread.
    let _master = match master {
        Some(m) => {
            match uplink::spawn(
                &m,
                d.tx.clone(),
                d.clock.clone(),
                Box::new(|l| println!("{l}")),
            ) {
                Ok(r) => Some(r),
                Err(e) => return fail(e),
            }
        }
        None => None,
    };
    println!("concentrator running");
    match d.join() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn operator(cmd: &str, args: &[String]) -> ExitCode {
    let socket = match (opt(args, "--socket"), opt(args, "--config")) {
        (Some(s), _) => PathBuf::from(s),
        (None, Some(c)) => match Config::load(&PathBuf::from(c)) {
            Ok(Config {
                socket: Some(s), ..
            }) => s,
            Ok(_) => return fail(format!("{c}: no [control] socket")),
            Err(e) => return fail(e),
        },
        (None, None) => return fail("give --socket PATH or --config FILE"),
    };
    let json_out = args.iter().any(|a| a == "--json");
    let meter = match opt(args, "--meter").map(str::parse::<u16>) {
        None => None,
        Some(Ok(m)) => Some(m),
        Some(Err(_)) => return fail("--meter takes an archive number"),
    };
    let req = match cmd {
        "read" => {
            let Some(meter) = meter else {
                return fail("read needs --meter N");
            };
            let item = opt(args, "--item").unwrap_or("energy");
            let Some(item) = json::parse_item(item) else {
                return fail(format!("unknown item '{item}'"));
            };
            Request::Read { meter, item }
        }
        "switch" => {
            let Some(meter) = meter else {
                return fail("switch needs --meter N");
            };
            let action = if args.iter().any(|a| a == "off") {
                SwitchAction::Off
            } else if args.iter().any(|a| a == "on") {
                SwitchAction::On
            } else {
                return fail("switch needs off or on");
            };
            Request::Switch { meter, action }
        }
        "sync" => Request::Round(Task::ClockSync),
        "round" => {
            let task = args
                .get(1)
                .filter(|a| !a.starts_with("--"))
                .map_or("load_curve", String::as_str);
            let Some(task) = json::parse_task(task) else {
                return fail(format!("unknown task '{task}'"));
            };
            Request::Round(task)
        }
        "status" => Request::Status,
        _ => Request::Export { meter },
    };
    let answer = match ops::ask(&socket, &req, &ops::Progress::new()) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    if answer.get("ok").and_then(Json::as_bool) != Some(true) {
        let e = answer
            .get("error")
            .and_then(Json::as_str)
            .unwrap_or("refused");
        if json_out {
            println!("{answer}");
        }
        return fail(e);
    }
    let csv = cmd == "export" && opt(args, "--format") != Some("json") && !json_out;
    if csv {
        print!("{}", export_csv(&answer));
    } else if json_out || cmd == "export" || cmd == "status" {
        println!(
            "{}",
            serde_json::to_string_pretty(&answer).unwrap_or_default()
        );
    } else {
        print!("{}", human(&answer));
    }
    ExitCode::SUCCESS
}

/// A reading (as JSON) on one line: `meter 1 energy_import 12.34 kWh (good)`.
fn reading_line(r: &Json) -> String {
    let s = |k: &str| r.get(k).and_then(Json::as_str).unwrap_or("");
    let v = r.get("value");
    let text = v
        .and_then(|v| {
            v.get("text")
                .or_else(|| v.get("time"))
                .or_else(|| v.get("relay"))
                .or_else(|| v.get("hex"))
        })
        .and_then(Json::as_str)
        .unwrap_or("-");
    let unit = v
        .and_then(|v| v.get("unit"))
        .and_then(Json::as_str)
        .unwrap_or("");
    format!(
        "meter {} {} [{}] {} {} ({})",
        r.get("meter").unwrap_or(&Json::Null),
        s("item"),
        r.get("part").unwrap_or(&Json::Null),
        text,
        unit,
        s("quality")
    )
}

fn human(a: &Json) -> String {
    let mut out = String::new();
    if let Some(rs) = a.get("readings").and_then(Json::as_array) {
        for r in rs {
            out.push_str(&reading_line(r));
            out.push('\n');
        }
    }
    if let Some(r) = a.get("result") {
        let s = |k: &str| match r.get(k) {
            Some(Json::String(v)) => v.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        };
        match r.get("kind").and_then(Json::as_str) {
            Some("round_stats") => out.push_str(&format!(
                "round {}: {} meters, {} read, {} failed\n",
                s("task"),
                s("meters"),
                s("read"),
                s("failed")
            )),
            _ => out.push_str(&format!("result: {}\n", s("outcome"))),
        }
    }
    out
}

fn export_csv(a: &Json) -> String {
    let mut out = String::from("record,meter,item,part,value,unit,meter_time,read_at,quality\n");
    for r in a
        .get("readings")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let f = |k: &str| match r.get(k) {
            Some(Json::String(s)) => s.replace(',', ";"),
            Some(Json::Null) | None => String::new(),
            Some(v) => v.to_string(),
        };
        out.push_str(
            &[
                "record",
                "meter",
                "item",
                "part",
                "value",
                "unit",
                "meter_time",
                "read_at",
                "quality",
            ]
            .map(f)
            .join(","),
        );
        out.push('\n');
    }
    out
}
