//! Shared pieces of the example programs (the binaries in `src/bin/`): the concentrator, the
//! simulators and the command-line tools.

pub mod cli;
pub mod concentrator;
mod hex;
pub mod master_station;
pub mod mbus_sim;
pub mod meter_sim;
pub mod plc_sim;
pub mod pty;
pub mod sim_port;
pub mod tls;
pub mod uplink_client;

pub use hex::{HexError, parse_hex};
