//! A Q/GDW 1376.1 master station: accepts concentrators over TCP, keeps their sessions
//! (confirms logins and heartbeats), sends them requests and collects the (multi-frame)
//! replies, and stores results in SQLite. Active event reports (AFN 0E, C = 0xC4) are stored
//! as decoded ERC records (`Db::events`, `MasterStation::events`) and then confirmed with
//! AFN 00 F1 when they ask (CON); a report that could not be stored is not confirmed, so the
//! concentrator sends it again.
//! Plain TCP, or TLS requiring client certificates ([`MasterStation::start_tls`],
//! [`crate::tls`]).

mod command;
mod conn;
mod db;
mod render;
mod server;

pub use command::{Built, Command, TerminalId};
pub use db::{Db, EventRow};
pub use render::{erc_json, render_frames, render_units};
pub use server::{MasterError, MasterStation, TerminalInfo};
