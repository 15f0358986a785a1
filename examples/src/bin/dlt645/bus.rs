//! One DL/T 645 master on a serial port: send a request, get the checked reply frame, and the
//! failures with their exit codes.

use std::fmt;

use dlt645::{Address, Body, Dlt645Framing, ErrorWord, Frame, Function, Repr};
use rs485_link::{Link, LinkError, NativePort, SerialUart, StdClock};

use super::args::Port;

/// The receive buffer: a whole frame (`dlt645::MAX_FRAME_LEN`) plus wake-up bytes and an echo.
const BUF: usize = 1024;

/// Why a command failed; each kind has its exit status.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The device could not be opened.
    Open(String, serialport::Error),
    /// The port failed while in use (or was closed).
    Port(String),
    /// Nothing came back within the response timeout.
    Timeout {
        /// Who we asked.
        to: Address,
        /// The response timeout, ms.
        ms: u64,
        /// Attempts made.
        attempts: u32,
    },
    /// Bytes came back but no valid frame (several meters at once, wrong baud or parity).
    Garbled {
        /// Bytes received.
        bytes: usize,
    },
    /// A frame came back that fails its checks or is not the answer asked for.
    Invalid(String),
    /// The meter answered with an abnormal reply.
    Refused {
        /// Who answered.
        from: Address,
        /// The function refused.
        function: Function,
        /// Its error word.
        word: ErrorWord,
    },
}

impl Failure {
    /// The exit status: 1 port or protocol error, 3 no reply, 4 garbled reply, 5 the meter
    /// refused (error reply).
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Failure::Open(..) | Failure::Port(_) | Failure::Invalid(_) => 1,
            Failure::Timeout { .. } => 3,
            Failure::Garbled { .. } => 4,
            Failure::Refused { .. } => 5,
        }
    }

    /// A stable short name, for JSON.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Failure::Open(..) => "open",
            Failure::Port(_) => "port",
            Failure::Timeout { .. } => "timeout",
            Failure::Garbled { .. } => "garbled",
            Failure::Invalid(_) => "invalid",
            Failure::Refused { .. } => "error_reply",
        }
    }
}

/// The error word in hex, 2 or 4 digits as on the wire.
pub(crate) fn word_hex(word: &ErrorWord) -> String {
    format!("{:0w$X}", word.bits(), w = word.wire_len() * 2)
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Open(path, e) => write!(f, "cannot open serial port {path}: {e}"),
            Failure::Port(e) => write!(f, "serial port failed: {e}"),
            Failure::Timeout { to, ms, attempts } => write!(
                f,
                "no reply from {to} within {ms} ms ({attempts} attempt{}); check the address, \
                 baud rate, parity and wiring (--usb or --margin-ms for slow converters)",
                if *attempts == 1 { "" } else { "s" }
            ),
            Failure::Garbled { bytes } => write!(
                f,
                "{bytes} bytes came back but no valid frame (several meters answering at \
                 once, or a wrong baud rate or parity)"
            ),
            Failure::Invalid(e) => write!(f, "{e}"),
            Failure::Refused {
                from,
                function,
                word,
            } => {
                let meanings: Vec<&str> = word.meanings().collect();
                write!(
                    f,
                    "meter {from} refused {} (0x{:02X}): error word {} ({})",
                    function.name(),
                    function.code(),
                    word_hex(word),
                    if meanings.is_empty() {
                        "no bit set".to_string()
                    } else {
                        meanings.join(", ")
                    }
                )
            }
        }
    }
}

/// The master end of a bus.
pub(crate) struct Bus {
    link: Link<SerialUart<NativePort>, StdClock, Dlt645Framing, BUF>,
    retries: u32,
    buf: Vec<u8>,
}

impl Bus {
    /// Open `port`.
    pub(crate) fn open(port: &Port) -> Result<Self, Failure> {
        let uart = SerialUart::open(&port.path, &port.line)
            .map_err(|e| Failure::Open(port.path.clone(), e))?;
        let link =
            Link::new(uart, StdClock::new(), Dlt645Framing, port.timing()).with_echo(port.echo);
        Ok(Self {
            link,
            retries: port.retries,
            buf: vec![0; dlt645::MAX_FRAME_LEN],
        })
    }

    /// The response timeout in use, ms.
    fn timeout_ms(&self) -> u64 {
        self.link.timing().response_timeout().to_millis()
    }

    fn encode(&mut self, repr: &Repr<'_>) -> Result<usize, Failure> {
        self.buf.resize(repr.buffer_len(), 0);
        repr.emit(&mut self.buf)
            .map_err(|e| Failure::Invalid(format!("cannot build the request: {e}")))
    }

    /// Send `request` and return the reply frame (bytes from the first 0x68), checked, from
    /// the address asked (any address for a wildcard), answering the same function. An
    /// abnormal reply is [`Failure::Refused`]. Timeouts and garbled replies are retried.
    pub(crate) fn ask(&mut self, request: &Repr<'_>) -> Result<Vec<u8>, Failure> {
        let n = self.encode(request)?;
        let to = request.address;
        let function = request.function();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let result = match self.link.transact(self.buf.get(..n).unwrap_or(&[])) {
                Ok(frame) => Ok(frame.to_vec()),
                Err(e) => Err(e),
            };
            let frame = match result {
                Ok(f) => f,
                Err(LinkError::Timeout) if attempts <= self.retries => continue,
                Err(LinkError::Garbled { .. }) if attempts <= self.retries => continue,
                Err(LinkError::Timeout) => {
                    return Err(Failure::Timeout {
                        to,
                        ms: self.timeout_ms(),
                        attempts,
                    });
                }
                Err(LinkError::Garbled { bytes }) => return Err(Failure::Garbled { bytes }),
                Err(e) => return Err(Failure::Port(e.to_string())),
            };
            // A line without echo suppression hands back our own request first: skip it.
            if self.is_own_echo(&frame, n) {
                match self.link.receive(self.link.timing().response_timeout()) {
                    Ok(f) => return check(f.to_vec(), to, function),
                    Err(LinkError::Timeout) if attempts <= self.retries => continue,
                    Err(LinkError::Timeout) => {
                        return Err(Failure::Timeout {
                            to,
                            ms: self.timeout_ms(),
                            attempts,
                        });
                    }
                    Err(LinkError::Garbled { bytes }) => return Err(Failure::Garbled { bytes }),
                    Err(e) => return Err(Failure::Port(e.to_string())),
                }
            }
            return check(frame, to, function);
        }
    }

    fn is_own_echo(&self, frame: &[u8], n: usize) -> bool {
        let start = frame.iter().take_while(|b| **b == dlt645::WAKE_UP).count();
        frame.get(start..) == self.buf.get(..n)
    }

    /// Send a broadcast `request` (no reply expected).
    pub(crate) fn send(&mut self, request: &Repr<'_>) -> Result<(), Failure> {
        let n = self.encode(request)?;
        self.link
            .send(self.buf.get(..n).unwrap_or(&[]))
            .map_err(|e| Failure::Port(e.to_string()))
    }
}

/// Check that `frame` is the answer of `to` (any meter for a wildcard) to `function`.
fn check(frame: Vec<u8>, to: Address, function: Function) -> Result<Vec<u8>, Failure> {
    let start = frame.iter().take_while(|b| **b == dlt645::WAKE_UP).count();
    let frame = frame.get(start..).unwrap_or(&[]).to_vec();
    let parsed = Frame::new_checked(&frame[..])
        .map_err(|e| Failure::Invalid(format!("invalid reply frame: {e}")))?;
    let repr = Repr::parse(&parsed).map_err(|e| Failure::Invalid(format!("invalid reply: {e}")))?;
    if !repr.is_reply() {
        return Err(Failure::Invalid(format!(
            "a request came back instead of a reply (function {:02X} to {})",
            repr.function().code(),
            repr.address
        )));
    }
    if repr.function() != function {
        return Err(Failure::Invalid(format!(
            "the reply is for function {:02X}, not {:02X}",
            repr.function().code(),
            function.code()
        )));
    }
    let wildcard = to.is_wildcard() || to.is_partial_wildcard();
    if !wildcard && repr.address != to {
        return Err(Failure::Invalid(format!(
            "the reply comes from {}, not from {to}",
            repr.address
        )));
    }
    if let Body::Error { word, .. } = repr.body {
        return Err(Failure::Refused {
            from: repr.address,
            function,
            word,
        });
    }
    Ok(frame)
}
