//! `mbus`: a wired M-Bus master on a serial port (scan, read, set address) and a decoder of
//! telegrams (EN 13757-2 link layer, EN 13757-3 application layer).
//!
//! ```text
//! mbus decode HEX...                        the arguments joined form one frame; JSON out
//! mbus decode --format libmbus-xml HEX...   libmbus's normalized XML, byte for byte
//! mbus scan --port DEV [--first N] [--last M]          SND_NKE to primary 0..=250
//! mbus scan-secondary --port DEV [--mask HEX16]        wildcard narrowing of secondary addresses
//! mbus read --port DEV --addr A [--no-reset] [--max-telegrams N]
//!                                           every telegram of a slave (A: 0..=250, 254, or
//!                                           a 16-hex-digit secondary address)
//! mbus set-address --port DEV --addr A --new N [--force]
//! ```
//!
//! Port options: `--baud B` (default 2400, 8E1), `--margin-ms MS` added to every receive
//! timeout, presets `--usb` (150 ms, USB converters) and `--gateway` (2000 ms, TCP gateways),
//! `--retries N` (extra attempts of a request, default 2), `--probe-retries N` (of a scan
//! probe, default 1; 0 halves a scan of an empty range), `--echo` (the converter echoes our
//! request), `--json` (one JSON object on stdout instead of a table), `--quiet` (no
//! progress). Scans report progress on stderr: a line rewritten in place on a terminal,
//! plain lines otherwise.
//!
//! Secondary addresses are written as libmbus writes them: the 8 ID digits, then the
//! manufacturer (2 bytes as sent, LSB first), version and medium bytes in hex.
//!
//! JSON keeps values exact: an integer mantissa and a power-of-ten exponent (plus a decimal
//! string), never a float, except for records sent as IEEE reals.
//!
//! Exit status: 0 on success; 1 on invalid input (bad hex, a frame that fails its checks, an
//! undecodable header or record; the message goes to stderr, and JSON output still shows the
//! records before a broken one) or a port that cannot be opened or fails; 2 on a usage error;
//! 3 when the slave does not answer; 4 when the answer is garbled (a collision).

#[path = "mbus/args.rs"]
mod args;
#[path = "mbus/bus.rs"]
mod bus;
#[path = "mbus/commands.rs"]
mod commands;
#[path = "mbus/json.rs"]
mod json;
#[path = "mbus/progress.rs"]
mod progress;
#[path = "mbus/table.rs"]
mod table;

use std::io::Write;
use std::process::ExitCode;

use wired_mbus::Frame;
use wired_mbus::app::UserData;
use wired_mbus::app::libmbus::write_user_data;

const USAGE: &str = "usage: mbus decode HEX...
       mbus decode --format json|libmbus-xml HEX...
       mbus scan --port DEV [--first N] [--last M] [PORT OPTIONS]
       mbus scan-secondary --port DEV [--mask HEX16] [PORT OPTIONS]
       mbus read --port DEV --addr A [--no-reset] [--max-telegrams N] [PORT OPTIONS]
       mbus set-address --port DEV --addr A --new N [--force] [PORT OPTIONS]
A: a primary address 0..=250 (254: the only slave on the line) or a secondary address as
   16 hex digits (ID digits, then manufacturer, version, medium bytes as sent; F = any)
PORT OPTIONS: --baud B (2400) --margin-ms MS --usb --gateway --retries N --probe-retries N
              --echo --json --quiet
exit: 0 ok, 1 error, 2 usage, 3 no reply, 4 garbled reply (collision)";

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Json,
    LibmbusXml,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, mut rest)) = args.split_first() else {
        return usage();
    };
    if cmd == "--help" || cmd == "-h" || cmd == "help" {
        // A closed pipe (`mbus --help | head`) is not an error worth a panic.
        let _ = writeln!(std::io::stdout(), "{USAGE}");
        return ExitCode::SUCCESS;
    }
    let port_command: Option<fn(&args::Options) -> ExitCode> = match cmd.as_str() {
        "decode" => None,
        "scan" => Some(commands::scan),
        "scan-secondary" => Some(commands::scan_secondary),
        "read" => Some(commands::read),
        "set-address" => Some(commands::set_address),
        _ => return usage(),
    };
    if let Some(run) = port_command {
        return match args::parse(rest) {
            Ok(options) => run(&options),
            Err(e) => {
                eprintln!("mbus {cmd}: {e}");
                usage()
            }
        };
    }
    let mut format = Format::Json;
    if let Some((flag, tail)) = rest.split_first()
        && flag == "--format"
    {
        let Some((name, tail)) = tail.split_first() else {
            return usage();
        };
        format = match name.as_str() {
            "json" => Format::Json,
            "libmbus-xml" | "xml" => Format::LibmbusXml,
            _ => return usage(),
        };
        rest = tail;
    }
    if rest.is_empty() {
        return usage();
    }
    decode(&rest.join(" "), format)
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("mbus: {msg}");
    ExitCode::FAILURE
}

fn decode(hex: &str, format: Format) -> ExitCode {
    let bytes = match examples::parse_hex(hex) {
        Ok(b) => b,
        Err(e) => return fail(format_args!("invalid hex: {e}")),
    };
    let frame = match Frame::new_checked(&bytes) {
        Ok(f) => f,
        Err(e) => return fail(format_args!("invalid frame: {e}")),
    };
    let ud = match UserData::from_frame(&frame) {
        Ok(u) => u,
        Err(e) => return fail(format_args!("cannot decode the application layer: {e}")),
    };
    let mut stdout = std::io::stdout().lock();
    match format {
        Format::LibmbusXml => {
            let mut xml = Vec::new();
            let res = write_user_data(&mut xml, &ud);
            if let Err(e) = res {
                return fail(format_args!("cannot write the XML: {e}"));
            }
            if stdout
                .write_all(&xml)
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Format::Json => {
            let (value, error) = json::telegram(&frame, &ud);
            if writeln!(stdout, "{value}")
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return ExitCode::FAILURE;
            }
            match error {
                Some(e) => fail(e),
                None => ExitCode::SUCCESS,
            }
        }
    }
}
