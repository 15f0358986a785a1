//! `uplink`: decode Q/GDW 1376.1 (master station ↔ concentrator) frames as JSON.
//!
//! ```text
//! uplink decode HEX...   the arguments joined into bytes: one JSON object per frame
//!                        (control, address, AFN, SEQ, each DA/DT with its typed data unit,
//!                        PW, EC, Tp; forwarded DL/T 645 frames decoded), or an error object
//! ```
//!
//! Exit status: 0 when every frame and data unit decoded, 1 on an invalid frame or data unit,
//! 2 on a usage error.

#[allow(dead_code)] // shared with the dlt645 tool; only `frame` and `error` are used here
#[path = "dlt645/json.rs"]
mod dlt645_json;
#[path = "uplink/json.rs"]
mod json;

use std::io::Write;
use std::process::ExitCode;

use examples::cli::hex_bytes;
use qgdw1376_1::{DEFAULT_MAX_FRAME, Error, Found, Frame, scan};
use serde_json::{Value as Json, json};

const USAGE: &str = "usage: uplink decode HEX...";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let code = match args.split_first() {
        Some((cmd, hex)) if cmd == "decode" && !hex.is_empty() => decode(hex, &mut out),
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
fn frames(bytes: &[u8]) -> Vec<(Json, bool)> {
    match Frame::new_checked(bytes) {
        Ok(f) => vec![json::frame(&f)],
        // Not one frame, but maybe several run together, or noise in front: split it.
        Err(Error::Trailing { .. } | Error::Start { offset: 0, .. }) => {
            let mut out = Vec::new();
            let mut at = 0;
            while at < bytes.len() {
                let rest = bytes.get(at..).unwrap_or(&[]);
                match scan(rest, DEFAULT_MAX_FRAME) {
                    Found::Frame { start, end } => {
                        let fb = rest.get(start..end).unwrap_or(&[]);
                        if let Ok(f) = Frame::new_checked(fb) {
                            let (mut j, ok) = json::frame(&f);
                            json::set(&mut j, "offset", json!(at + start));
                            out.push((j, ok));
                        }
                        at += end;
                    }
                    Found::Skip(n) => {
                        let skipped = rest.get(..n).unwrap_or(&[]);
                        // Say why the bytes begin no frame when they start like one.
                        let why = match Frame::new_checked(rest) {
                            Err(e) if skipped.first() == Some(&0x68) => e.to_string(),
                            _ => format!("{n} bytes that begin no frame"),
                        };
                        out.push((
                            json!({"ok": false, "error": why, "kind": "noise", "offset": at,
                                   "bytes": json::hex(skipped)}),
                            false,
                        ));
                        at += n;
                    }
                    Found::Incomplete { needed } => {
                        let mut o = json::error(&Error::Truncated { needed });
                        json::set(&mut o, "offset", json!(at));
                        out.push((o, false));
                        // A start byte whose length runs past the input: look on after it.
                        at += 1;
                    }
                }
            }
            out
        }
        Err(e) => vec![(json::error(&e), false)],
    }
}

fn decode(hex: &[String], out: &mut impl Write) -> ExitCode {
    let bytes = match hex_bytes(&hex.join(" ")) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("uplink: {e}");
            return ExitCode::from(2);
        }
    };
    let mut all_ok = true;
    for (j, ok) in frames(&bytes) {
        all_ok &= ok;
        if !ok && let Some(e) = j.get("error") {
            eprintln!("uplink: invalid frame: {}", e.as_str().unwrap_or_default());
        }
        let _ = writeln!(out, "{j}");
    }
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
