#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]

mod address;
pub mod app;
mod control;
mod deframer;
mod error;
mod fcb;
mod frame;
mod master;
mod more;
mod repr;
mod request;
mod scan;
mod search;
mod secondary;
mod timing;

pub use address::{Address, AddressKind};
pub use control::{Control, ControlFlags};
pub use deframer::Deframer;
pub use error::{EmitError, FrameError, RequestError};
pub use fcb::FcbTable;
pub use frame::{
    ACK, Frame, FrameFormat, LONG_START, MAX_DATA_LEN, MAX_FRAME_LEN, NACK, SHORT_START, STOP,
    check_prefix, checksum,
};
pub use master::{Command, Completion, Event, Found, Master, MasterConfig, MasterError};
pub use more::more_records_follow;
pub use repr::Repr;
pub use request::{BaudRate, CI_APPLICATION_RESET, CI_BAUD_BASE, CI_DATA_SEND, CI_SELECT, Request};
#[cfg(feature = "link")]
pub use scan::MbusFraming;
pub use scan::{ScanResult, is_start_byte, scan};
pub use search::{Probe, WildcardSearch};
pub use secondary::{SecondaryAddress, SecondaryMask, SecondaryTextError};
pub use timing::{BITS_PER_CHAR, Duration, Instant, LineTiming};
