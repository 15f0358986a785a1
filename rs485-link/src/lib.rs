#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "std")]
extern crate std;

mod asynch;
mod blocking;
mod clock;
mod deframer;
mod direction;
mod error;
mod framing;
mod line;
#[cfg(feature = "std")]
mod serial;
mod time;
mod timing;
mod wait;

pub use asynch::AsyncLink;
pub use blocking::Link;
pub use clock::{AsyncClock, Clock};
pub use deframer::{Deframer, EchoTooLong, Event, Feed};
pub use direction::{AutoDirection, Direction};
pub use error::LinkError;
pub use framing::{Framing, Scan};
pub use line::{DataBits, LineError, LineSettings, Parity, StopBits};
#[cfg(feature = "std")]
pub use serial::{NativePort, SerialUart, StdClock};
pub use time::{Duration, Instant};
pub use timing::{Margins, ProtocolTiming, Span, Timing};
