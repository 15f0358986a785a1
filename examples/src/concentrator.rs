//! The Linux concentrator daemon behind `concentrator` (src/bin/concentrator.rs): its TOML
//! configuration, the SQLite store, the engine thread with its serial ports, forwarding, the
//! local operator socket, the Q/GDW 1376.1 uplink with its event records (ERC, AFN 0E) and
//! the demo on simulated meters.

pub mod config;
pub mod daemon;
pub mod demo;
pub mod events;
pub mod forward;
pub mod json;
pub mod ops;
pub mod params;
pub mod store;
pub mod uplink;
