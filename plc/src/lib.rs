#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "std")]
extern crate std;

mod address;
mod control;
mod dt;
mod edition;
mod embedded;
mod error;
mod frame;
mod info;
mod repr;
mod scan;
pub mod session;
pub mod unit;

pub use address::{Address, AddressField, MAX_RELAYS};
pub use control::{CommMode, Control, Direction};
pub use dt::{Afn, Dt};
pub use edition::Edition;
pub use embedded::dlt645_frames;
pub use error::{EmitError, Error, UnitError};
pub use frame::{END, Frame, MAX_FRAME_LEN, MIN_FRAME_LEN, START, checksum};
pub use info::{Info, InfoDown, InfoUp, R1, RateUnit};
pub use repr::FrameRepr;
pub use scan::{DEFAULT_MAX_FRAME, Found, Q1376_2, Scanner, scan};
pub use unit::DataUnit;
