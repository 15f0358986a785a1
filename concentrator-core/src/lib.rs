//! The sans-IO meter data concentrator engine: meter archive, channels, scheduler, retries,
//! storage trait and commands. Time is passed in; it owns no port, no clock and no thread.
//!
//! `#![no_std]`, no allocation.
#![no_std]
#![forbid(unsafe_code)]
