#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "std")]
extern crate std;

mod address;
mod bcd;
pub mod catalogue;
mod control;
mod di;
mod error;
mod error_word;
mod fields;
mod frame;
#[cfg(feature = "link")]
mod link;
mod payload;
mod reply;
mod repr;
mod request;
pub mod scan;
mod time;
mod value;

pub use address::{Address, AddressParseError};
pub use bcd::SCRAMBLE;
pub use catalogue::{Item, Layout, Values};
pub use control::{Control, Edition, Function};
pub use di::{Di, Di97};
pub use error::Error;
pub use error_word::{Err1997, Err2007, ErrorWord, SecurityError, SwitchError};
pub use fields::{Baud, Operator, OutputMode, Password, SwitchAction, SwitchStatus};
pub use frame::{END, Frame, MAX_FRAME_LEN, OVERHEAD, PREAMBLE, START, WAKE_UP, checksum};
#[cfg(feature = "link")]
pub use link::Dlt645Framing;
pub use payload::Payload;
pub use reply::{MAX_READ_LEN, Reply};
pub use repr::{Body, Repr, function_edition};
pub use request::{ESAM_LEVEL, MAX_WRITE_LEN, Request};
pub use scan::{MAX_SCAN_LEN, Scan, Scanner, frames, scan};
pub use time::{DateTime, FreezeTime, MinuteTime, Timestamp};
pub use value::{Decimal, Digits, Quantity, Status, Status3, Text, Unit, Value};
