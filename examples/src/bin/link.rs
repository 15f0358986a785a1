//! `link`: the rs485-link layer on a serial port: timing figures, one request/reply, listening.
//!
//! ```text
//! link timing PROTOCOL BAUD [--usb]
//!     the link timing of PROTOCOL (dlt645, mbus, carrier) at BAUD 8E1, as JSON (microseconds)
//! link send PORT PROTOCOL BAUD [--usb] [--echo] HEX...
//!     send one frame (given without wake-up bytes: the protocol's go first) and print the reply
//! link listen PORT PROTOCOL BAUD [--usb] [--frames N] [--timeout-ms MS]
//!     print each frame received as a JSON line; stop after N frames or MS ms of silence
//!     (defaults: no limit, 10000 ms)
//! ```
//!
//! `--usb` adds the margins for USB converters, `--echo` drops the echo of the request.
//! Exit status: 0 on success, 1 when the link fails (timeout, garbled reply, port error), 2 on
//! a usage error.

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant as StdInstant;

use dlt645::Dlt645Framing;
use examples::cli::hex;
use qgdw1376_2::Q1376_2;
use rs485_link::{
    Duration, Framing, LineSettings, Link, LinkError, Margins, ProtocolTiming, SerialUart,
    StdClock, Timing,
};
use serde_json::{Value, json};
use wired_mbus::MbusFraming;

const USAGE: &str = "usage: link timing PROTOCOL BAUD [--usb]
       link send PORT PROTOCOL BAUD [--usb] [--echo] HEX...
       link listen PORT PROTOCOL BAUD [--usb] [--frames N] [--timeout-ms MS]
PROTOCOL: dlt645, mbus or carrier";

/// Receive buffer: holds the longest frame of every protocol (Q/GDW 1376.2: 2048 bytes).
const BUF: usize = 4096;

#[derive(Debug, Clone, Copy)]
enum Protocol {
    Dlt645,
    Mbus,
    Carrier,
}

impl Protocol {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "dlt645" => Some(Self::Dlt645),
            "mbus" => Some(Self::Mbus),
            "carrier" => Some(Self::Carrier),
            _ => None,
        }
    }

    fn rules(self) -> &'static ProtocolTiming {
        match self {
            Self::Dlt645 => &ProtocolTiming::DLT645,
            Self::Mbus => &ProtocolTiming::MBUS,
            Self::Carrier => &ProtocolTiming::CARRIER,
        }
    }
}

/// The options after the positional arguments.
#[derive(Debug, Default)]
struct Options {
    usb: bool,
    echo: bool,
    frames: Option<usize>,
    timeout_ms: Option<u64>,
    rest: Vec<String>,
}

fn options(args: &[String]) -> Option<Options> {
    let mut o = Options::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--usb" => o.usb = true,
            "--echo" => o.echo = true,
            "--frames" => o.frames = Some(it.next()?.parse().ok()?),
            "--timeout-ms" => o.timeout_ms = Some(it.next()?.parse().ok()?),
            _ => o.rest.push(a.clone()),
        }
    }
    Some(o)
}

fn timing(protocol: &str, baud: &str, usb: bool) -> Option<Timing> {
    let protocol = Protocol::parse(protocol)?;
    let line = LineSettings::new_8e1(baud.parse().ok()?).ok()?;
    let margins = if usb { Margins::USB } else { Margins::NONE };
    Some(Timing::new(protocol.rules(), line, margins))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let code = match args.split_first() {
        Some((cmd, [protocol, baud, rest @ ..])) if cmd == "timing" => {
            match (options(rest), Protocol::parse(protocol)) {
                (Some(o), Some(_)) if o.rest.is_empty() => match timing(protocol, baud, o.usb) {
                    Some(t) => {
                        let _ = writeln!(out, "{}", timing_json(protocol, &t));
                        ExitCode::SUCCESS
                    }
                    None => usage(),
                },
                _ => usage(),
            }
        }
        Some((cmd, [port, protocol, baud, rest @ ..])) if cmd == "send" || cmd == "listen" => {
            let (Some(o), Some(p)) = (options(rest), Protocol::parse(protocol)) else {
                return usage();
            };
            let Some(t) = timing(protocol, baud, o.usb) else {
                return usage();
            };
            let send_cmd = cmd == "send";
            match p {
                Protocol::Dlt645 => run(send_cmd, port, Dlt645Framing, t, &o, &mut out),
                Protocol::Mbus => run(send_cmd, port, MbusFraming, t, &o, &mut out),
                Protocol::Carrier => run(send_cmd, port, Q1376_2, t, &o, &mut out),
            }
        }
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

fn run<F: Framing>(
    send_cmd: bool,
    port: &str,
    framing: F,
    t: Timing,
    o: &Options,
    out: &mut impl Write,
) -> ExitCode {
    if send_cmd {
        send(port, framing, t, o, out)
    } else {
        listen(port, framing, t, o, out)
    }
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

fn timing_json(protocol: &str, t: &Timing) -> Value {
    json!({
        "protocol": protocol,
        "baud": t.line().baud(),
        "bits_per_char": t.line().bits_per_char(),
        "char_us": t.char_us(),
        "gap_us": t.gap_us(),
        "turnaround_us": t.turnaround_us(),
        "response_us": t.response_us(),
    })
}

/// A link error as JSON fields.
fn error_json(e: &LinkError<std::io::Error>) -> Value {
    match e {
        LinkError::Io(io) => json!({"error": "io", "detail": io.to_string()}),
        LinkError::Closed => json!({"error": "closed"}),
        LinkError::Timeout => json!({"error": "timeout"}),
        LinkError::Garbled { bytes } => json!({"error": "garbled", "bytes": bytes}),
        LinkError::Echo { offset } => json!({"error": "echo", "offset": offset}),
        LinkError::RequestTooLong { len, capacity } => {
            json!({"error": "request_too_long", "len": len, "capacity": capacity})
        }
        other => json!({"error": "link", "detail": other.to_string()}),
    }
}

type PortLink<F> = Link<SerialUart<rs485_link::NativePort>, StdClock, F, BUF>;

fn open<F: Framing>(port: &str, framing: F, t: Timing, echo: bool) -> Result<PortLink<F>, Value> {
    let uart = SerialUart::open(port, &t.line())
        .map_err(|e| json!({"error": "open", "port": port, "detail": e.to_string()}))?;
    Ok(Link::new(uart, StdClock::new(), framing, t).with_echo(echo))
}

fn send<F: Framing>(
    port: &str,
    framing: F,
    t: Timing,
    o: &Options,
    out: &mut impl Write,
) -> ExitCode {
    let request = match examples::parse_hex(&o.rest.join(" ")) {
        Ok(r) if !r.is_empty() => r,
        _ => return usage(),
    };
    let mut link = match open(port, framing, t, o.echo) {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(out, "{e}");
            return ExitCode::FAILURE;
        }
    };
    let started = StdInstant::now();
    let result = link.transact(&request);
    let elapsed_ms = started.elapsed().as_millis() as u64;
    let (mut obj, code) = match result {
        Ok(reply) => (json!({"reply": hex(reply)}), ExitCode::SUCCESS),
        Err(e) => (error_json(&e), ExitCode::FAILURE),
    };
    if let Value::Object(map) = &mut obj {
        map.insert("request".into(), json!(hex(&request)));
        map.insert("elapsed_ms".into(), json!(elapsed_ms));
    }
    let _ = writeln!(out, "{obj}");
    code
}

fn listen<F: Framing>(
    port: &str,
    framing: F,
    t: Timing,
    o: &Options,
    out: &mut impl Write,
) -> ExitCode {
    if !o.rest.is_empty() {
        return usage();
    }
    let mut link = match open(port, framing, t, false) {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(out, "{e}");
            return ExitCode::FAILURE;
        }
    };
    let timeout = Duration::millis(o.timeout_ms.unwrap_or(10_000));
    let started = StdInstant::now();
    let mut count = 0;
    while o.frames.is_none_or(|n| count < n) {
        match link.receive(timeout) {
            Ok(frame) => {
                let at_ms = started.elapsed().as_millis() as u64;
                let _ = writeln!(out, "{}", json!({"frame": hex(frame), "at_ms": at_ms}));
                let _ = out.flush();
                count += 1;
            }
            Err(LinkError::Timeout) => break,
            Err(e) => {
                let _ = writeln!(out, "{}", error_json(&e));
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
