#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "std")]
extern crate std;

mod address;
mod control;
#[cfg(feature = "core")]
pub mod core_map;
mod error;
mod frame;
mod ident;
mod login;
mod multi;
mod repr;
mod scan;
mod seq;
pub mod session;
pub mod unit;
pub mod value;

pub use address::Address;
pub use control::{Control, Direction, Function};
pub use error::{EmitError, Error, UnitError};
pub use frame::{
    END, Frame, MAX_FRAME_LEN, MAX_USER_LEN, MIN_FRAME_LEN, MIN_USER_LEN, OVERHEAD, PROTOCOL_130,
    PROTOCOL_1376_1, PW_LEN, START, UNITS_AT, checksum,
};
pub use ident::{Afn, Da, Dt};
pub use login::LinkTest;
pub use multi::{Collector, Progress, SequenceError, response_seq};
pub use repr::FrameRepr;
pub use scan::{DEFAULT_MAX_FRAME, Found, Q1376_1, Scanner, scan};
pub use seq::{Ec, Position, Seq, Tp};
pub use unit::{Data, DataUnit, Units};
