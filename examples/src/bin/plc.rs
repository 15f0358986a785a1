//! `plc`: decode Q/GDW 1376.2 frames and replay carrier-module UART logs as JSON.
//!
//! ```text
//! plc decode [--2009] HEX...   the arguments joined into bytes: one JSON object per frame
//!                              (control, info field, addresses, AFN, Fn, typed data unit,
//!                              embedded DL/T 645 frames decoded), or one error object
//! plc replay [--2009] LOG      every line of a `time<TAB>tx|rx<TAB>hex` log, one JSON object
//!                              per line, then `frames N parsed P errors E`
//! ```
//!
//! The edition defaults to 2013 (every HPLC module); `--2009` selects the 2009 data units.
//! Exit status: 0 when everything decoded (replay: always, after the summary), 1 on an invalid
//! frame in `decode`, 2 on a usage error.

#[allow(dead_code)] // shared with the dlt645 tool; only `frame` and `error` are used here
#[path = "dlt645/json.rs"]
mod dlt645_json;
#[path = "plc/json.rs"]
mod json;

use std::io::Write;
use std::process::ExitCode;

use examples::cli::hex_bytes;
use qgdw1376_2::{DEFAULT_MAX_FRAME, Edition, Error, Found, Frame, scan};
use serde_json::{Value as Json, json};

const USAGE: &str = "usage: plc decode [--2009] HEX...
       plc replay [--2009] LOG";

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let edition = match args.iter().position(|a| a == "--2009") {
        Some(i) => {
            args.remove(i);
            Edition::V2009
        }
        None => Edition::V2013,
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let code = match args.split_first() {
        Some((cmd, hex)) if cmd == "decode" && !hex.is_empty() => decode(hex, edition, &mut out),
        Some((cmd, [log])) if cmd == "replay" => replay(log, edition, &mut out),
        Some((h, _)) if h == "--help" || h == "-h" || h == "help" => {
            let _ = writeln!(out, "{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    };
    let _ = out.flush();
    code
}

/// Every frame in `bytes` (one frame, or several run together), or the error of the whole.
fn frames(bytes: &[u8], edition: Edition) -> Vec<(Json, bool)> {
    match Frame::new_checked(bytes) {
        Ok(f) => vec![json::frame(&f, edition)],
        // Not one frame (noise in front, or several run together): split it.
        Err(Error::Trailing { .. } | Error::Start { .. }) => {
            let mut out = Vec::new();
            let mut at = 0;
            while at < bytes.len() {
                let rest = bytes.get(at..).unwrap_or(&[]);
                match scan(rest, DEFAULT_MAX_FRAME) {
                    Found::Frame { start, end } => {
                        let fb = rest.get(start..end).unwrap_or(&[]);
                        if let Ok(f) = Frame::new_checked(fb) {
                            let (mut j, ok) = json::frame(&f, edition);
                            json::set(&mut j, "offset", json!(at + start));
                            out.push((j, ok));
                        }
                        at += end;
                    }
                    Found::Skip(n) => {
                        let mut o = serde_json::Map::new();
                        o.insert(
                            "error".into(),
                            json!(format!("{n} bytes that begin no frame")),
                        );
                        o.insert("kind".into(), json!("noise"));
                        o.insert("offset".into(), json!(at));
                        o.insert(
                            "bytes".into(),
                            json!(json::hex(rest.get(..n).unwrap_or(&[]))),
                        );
                        out.push((Json::Object(o), false));
                        at += n;
                    }
                    Found::Incomplete { needed } => {
                        let e = Error::Truncated { needed };
                        let mut o = json::error(&e);
                        o.insert("offset".into(), json!(at));
                        out.push((Json::Object(o), false));
                        // A start byte whose length runs past the input: look on after it.
                        at += 1;
                    }
                }
            }
            out
        }
        Err(e) => vec![(Json::Object(json::error(&e)), false)],
    }
}

fn decode(hex: &[String], edition: Edition, out: &mut impl Write) -> ExitCode {
    let bytes = match hex_bytes(&hex.join(" ")) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("plc: {e}");
            return ExitCode::from(2);
        }
    };
    let mut all_ok = true;
    for (j, ok) in frames(&bytes, edition) {
        all_ok &= ok;
        let _ = writeln!(out, "{j}");
    }
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn replay(path: &str, edition: Edition, out: &mut impl Write) -> ExitCode {
    let text = match std::fs::read(path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => {
            eprintln!("plc: {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let (mut frames_n, mut parsed, mut errors) = (0usize, 0usize, 0usize);
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        frames_n += 1;
        let mut cols = line.splitn(3, '\t');
        let (time, dir, hex) = (cols.next(), cols.next(), cols.next());
        let mut o = match hex.map(hex_bytes) {
            Some(Ok(bytes)) => match Frame::new_checked(&bytes) {
                Ok(f) => {
                    let (j, ok) = json::frame(&f, edition);
                    if ok {
                        parsed += 1;
                    } else {
                        errors += 1;
                    }
                    j
                }
                Err(e) => {
                    errors += 1;
                    Json::Object(json::error(&e))
                }
            },
            Some(Err(e)) => {
                errors += 1;
                json!({"error": e, "kind": "hex"})
            }
            None => {
                errors += 1;
                json!({"error": "not a time<TAB>direction<TAB>hex line", "kind": "line"})
            }
        };
        json::set(&mut o, "line", json!(n + 1));
        json::set(&mut o, "time", json!(time));
        json::set(&mut o, "dir", json!(dir));
        let _ = writeln!(out, "{o}");
    }
    let _ = writeln!(out, "frames {frames_n} parsed {parsed} errors {errors}");
    ExitCode::SUCCESS
}
