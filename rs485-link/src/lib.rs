//! Half-duplex serial link layer for meter buses (RS485 DL/T 645, M-Bus level converters,
//! the carrier module's UART), generic over `embedded-io` and `embedded-io-async`.
//!
//! The codecs (`dlt645`, `wired-mbus`, `qgdw1376-2`) teach this crate where their frames end by
//! implementing [`Framing`]; this crate knows nothing else of their formats.
//!
//! `#![no_std]`, no allocation.
#![no_std]
#![forbid(unsafe_code)]

mod framing;
mod time;

pub use framing::{Framing, Scan};
pub use time::{Duration, Instant};
