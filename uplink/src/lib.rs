//! Q/GDW 1376.1: the protocol between a meter data concentrator and its master station.
//!
//! `#![no_std]`, no allocation.
#![no_std]
#![forbid(unsafe_code)]
