//! `dlt645`: decode DL/T 645-2007/1997 frames to JSON.
//!
//! ```text
//! dlt645 decode HEX...            one frame per argument, one JSON object per frame
//! dlt645 decode --stream HEX...   a captured byte stream (the arguments joined): every frame in it
//! dlt645 decode --vectors FILE    a frames.tsv-format file: each line checked against its
//!                                 expectations, then `vectors N ok K rejected R mismatched M`
//! ```
//!
//! Exit status: 0 when everything decoded (and every vector matched), 1 on an invalid frame
//! in plain `decode` or a mismatched vector, 2 on a usage error.

#[path = "dlt645/json.rs"]
mod json;
#[path = "dlt645/vectors.rs"]
mod vectors;

use std::io::Write;
use std::process::ExitCode;

use dlt645::{Frame, Repr};

const USAGE: &str = "usage: dlt645 decode HEX...
       dlt645 decode --stream HEX...
       dlt645 decode --vectors FILE";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let code = match args.split_first() {
        Some((cmd, rest)) if cmd == "decode" => match rest.split_first() {
            Some((flag, [file])) if flag == "--vectors" => vectors::run(file, &mut out),
            Some((flag, _)) if flag == "--vectors" => usage(),
            Some((flag, hex)) if flag == "--stream" && !hex.is_empty() => stream(hex, &mut out),
            Some(_) => frames(rest, &mut out),
            None => usage(),
        },
        Some((h, _)) if h == "--help" || h == "-h" || h == "help" => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => usage(),
    };
    if out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    code
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

/// One frame per argument.
fn frames(args: &[String], out: &mut impl Write) -> ExitCode {
    let mut failed = false;
    for arg in args {
        let obj = match examples::parse_hex(arg) {
            Err(e) => {
                failed = true;
                eprintln!("dlt645: {arg:?}: {e}");
                serde_json::json!({ "ok": false, "input": arg, "error": e.to_string() })
            }
            Ok(bytes) => match decode_one(&bytes) {
                Ok(v) => v,
                Err(e) => {
                    failed = true;
                    eprintln!("dlt645: invalid frame {arg:?}: {e}");
                    json::error(&bytes, &e)
                }
            },
        };
        if writeln!(out, "{obj}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Check and parse one frame into its JSON object.
pub(crate) fn decode_one(bytes: &[u8]) -> Result<serde_json::Value, dlt645::Error> {
    let frame = Frame::new_checked(bytes)?;
    let repr = Repr::parse(&frame)?;
    Ok(json::frame(&frame, &repr))
}

/// A captured stream: every frame in it, with its offset.
fn stream(args: &[String], out: &mut impl Write) -> ExitCode {
    let joined = args.join(" ");
    let bytes = match examples::parse_hex(&joined) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("dlt645: stream: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut failed = false;
    let mut used = 0;
    let mut count = 0;
    for (offset, frame) in dlt645::frames(&bytes) {
        count += 1;
        used += frame.frame_bytes().len();
        let mut obj = match Repr::parse(&frame) {
            Ok(repr) => json::frame(&frame, &repr),
            Err(e) => {
                failed = true;
                eprintln!("dlt645: frame at offset {offset}: {e}");
                json::error(frame.frame_bytes(), &e)
            }
        };
        json::set(&mut obj, "offset", offset.into());
        if writeln!(out, "{obj}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    let summary = serde_json::json!({
        "stream_bytes": bytes.len(),
        "frames": count,
        "skipped_bytes": bytes.len() - used,
    });
    if writeln!(out, "{summary}").is_err() {
        return ExitCode::FAILURE;
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
