//! Wired M-Bus (EN 13757-2 link layer, EN 13757-3 application layer) and a sans-IO master.
//!
//! `#![no_std]`, no allocation; values stay exact (integer mantissa and power-of-ten exponent).
#![no_std]
#![forbid(unsafe_code)]

pub mod app;
