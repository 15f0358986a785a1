//! The mapping between Q/GDW 1376.1 and `concentrator-core` (feature `core`).
//!
//! DESIGN.md: the core knows commands and events, not Q/GDW 1376.1; this module maps request
//! data units to core commands ([`plan`]), core results to reply data units (the conversion
//! helpers) and core events to ERC records ([`erc`]). It calls no engine method itself: the
//! program joining the two runs the commands and collects their results.

mod convert;
mod event;
mod request;

pub use convert::{
    archive_entry, clock_of, date_of, decimal_to_quantity, meter_of_entry, minute_time_of,
    terminal_clock,
};
pub use event::erc;
pub use request::{Command, MapError, Planned, SWITCH_VALIDITY_S, plan};
