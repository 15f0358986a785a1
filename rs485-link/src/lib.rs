#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "std")]
extern crate std;

mod deframer;
mod framing;
mod line;
mod time;
mod timing;

pub use deframer::{Deframer, EchoTooLong, Event, Feed};
pub use framing::{Framing, Scan};
pub use line::{DataBits, LineError, LineSettings, Parity, StopBits};
pub use time::{Duration, Instant};
pub use timing::{Margins, ProtocolTiming, Span, Timing};
