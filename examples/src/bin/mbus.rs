//! `mbus`: decode wired M-Bus telegrams (EN 13757-2 long frames, EN 13757-3 application
//! layer).
//!
//! ```text
//! mbus decode HEX...                        the arguments joined form one frame; JSON out
//! mbus decode --format libmbus-xml HEX...   libmbus's normalized XML, byte for byte
//! ```
//!
//! JSON keeps values exact: an integer mantissa and a power-of-ten exponent (plus a decimal
//! string), never a float, except for records sent as IEEE reals.
//!
//! Exit status: 0 when the telegram decoded completely, 1 on invalid input (bad hex, a frame
//! that fails its checks, an undecodable header or record; the message goes to stderr, and
//! JSON output still shows the records before a broken one), 2 on a usage error.

#[path = "mbus/json.rs"]
mod json;

use std::io::Write;
use std::process::ExitCode;

use wired_mbus::Frame;
use wired_mbus::app::UserData;
use wired_mbus::app::libmbus::write_user_data;

const USAGE: &str = "usage: mbus decode HEX...
       mbus decode --format json|libmbus-xml HEX...";

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
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    if cmd != "decode" {
        return usage();
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
