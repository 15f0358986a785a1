//! `dlt645`: a DL/T 645-2007/1997 master on a serial port, and a decoder of frames to JSON.
//!
//! ```text
//! dlt645 decode HEX...            one frame per argument, one JSON object per frame
//! dlt645 decode --stream HEX...   a captured byte stream (the arguments joined): every frame in it
//! dlt645 decode --vectors FILE    a frames.tsv-format file: each line checked against its
//!                                 expectations, then `vectors N ok K rejected R mismatched M`
//! dlt645 read --port DEV --addr A --di DI [--edition 1997] [--count N]
//!                                 one DI (8 hex digits for 2007, 4 for 1997, or a name such
//!                                 as energy, voltage, clock, frozen-day N), follow-ups included;
//!                                 --count N reads N records (0x11 with L = 5, load curves)
//! dlt645 address --port DEV       the address of the only meter on the bus (0x13, AA..AA)
//! dlt645 switch --port DEV --addr A --off|--on|--allow [--password P --level L --operator O]
//!                                 remote switch (0x1C plaintext), then status word 3 read back
//! dlt645 time --port DEV          broadcast time (0x08) from the system clock
//! ```
//!
//! Port options: `--baud B` (2400), `--parity even|none|odd` (even), `--margin-ms MS` added to
//! the inter-byte gap and the response timeout (DL/T 645: 500 ms each), `--usb` (+150 ms),
//! `--retries N` (after a timeout or a garbled reply, default 1), `--echo` (the converter
//! echoes), `--utc-offset-min M` (the meters' local time for `time` and the switch deadline),
//! `--json` (one JSON object on stdout instead of plain lines).
//!
//! Exit status: 0 ok; 1 an invalid frame in `decode`, a mismatched vector, a port that cannot
//! be opened or fails, or a reply that is not the answer; 2 usage error; 3 no reply; 4 garbled
//! reply; 5 the meter answered with an error reply (its error word is printed).

#[path = "dlt645/args.rs"]
mod args;
#[path = "dlt645/bus.rs"]
mod bus;
#[path = "dlt645/commands.rs"]
mod commands;
#[path = "dlt645/json.rs"]
mod json;
#[path = "dlt645/names.rs"]
mod names;
#[path = "dlt645/vectors.rs"]
mod vectors;

use std::io::Write;
use std::process::ExitCode;

use dlt645::{Frame, Repr};

const USAGE: &str = "usage: dlt645 decode HEX...
       dlt645 decode --stream HEX...
       dlt645 decode --vectors FILE
       dlt645 read --port DEV --addr A --di DI [--edition 1997|2007] [--count N]
                   [PORT OPTIONS]
       dlt645 address --port DEV [PORT OPTIONS]
       dlt645 switch --port DEV --addr A --off|--on|--allow [--password 000000] [--level 02]
                     [--operator 00000000] [--valid-min 10] [PORT OPTIONS]
       dlt645 time --port DEV [PORT OPTIONS]
DI: 8 hex digits (2007), 4 (1997) or a name (energy, voltage, current, power, pf, frequency,
    clock, address, status, frozen-day N, ...; `dlt645 help` lists them)
PORT OPTIONS: --baud B (2400) --parity even|none|odd --margin-ms MS --usb --retries N (1)
              --echo --utc-offset-min M --json
exit: 0 ok, 1 error, 2 usage, 3 no reply, 4 garbled reply, 5 error reply from the meter";

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
        Some((cmd, rest)) if ["read", "address", "switch", "time"].contains(&cmd.as_str()) => {
            port_command(cmd, rest, &mut out)
        }
        Some((h, _)) if h == "--help" || h == "-h" || h == "help" => {
            // A closed pipe (`dlt645 help | head`) is not worth a panic.
            let _ = writeln!(out, "{USAGE}\n\n{}", names::help());
            ExitCode::SUCCESS
        }
        _ => usage(),
    };
    if out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    code
}

/// `read`, `address`, `switch`, `time`: talk to the bus.
fn port_command(cmd: &str, args: &[String], out: &mut impl Write) -> ExitCode {
    let opts = match args::parse(cmd, args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("dlt645 {cmd}: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match commands::run(&opts) {
        Ok(outcome) => {
            let written = if opts.json {
                writeln!(out, "{}", outcome.json)
            } else {
                outcome.lines.iter().try_for_each(|l| writeln!(out, "{l}"))
            };
            if written.is_err() {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("dlt645 {cmd}: {failure}");
            if opts.json {
                let mut obj = serde_json::json!({
                    "ok": false,
                    "command": cmd,
                    "kind": failure.kind(),
                    "error": failure.to_string(),
                });
                if let bus::Failure::Refused { from, word, .. } = &failure {
                    json::set(&mut obj, "address", from.to_string().into());
                    json::set(
                        &mut obj,
                        "error_word",
                        serde_json::json!({
                            "word": bus::word_hex(word),
                            "meanings": word.meanings().collect::<Vec<_>>(),
                        }),
                    );
                }
                let _ = writeln!(out, "{obj}");
            }
            ExitCode::from(failure.exit_code())
        }
    }
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
