//! Q/GDW 1376.2: how a concentrator talks to its carrier module (narrowband PLC, HPLC or
//! micro-power wireless) over a UART. Codec and sans-IO module session.
//!
//! `#![no_std]`, no allocation.
#![no_std]
#![forbid(unsafe_code)]
