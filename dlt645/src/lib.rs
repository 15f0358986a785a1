//! DL/T 645-2007 and DL/T 645-1997: the serial protocol of Chinese electricity meters.
//!
//! `#![no_std]`, zero-copy, no allocation.
#![no_std]
#![forbid(unsafe_code)]
