//! A Q/GDW 1376.1 master station: accepts concentrators over TCP, keeps their sessions
//! (confirms logins and heartbeats), sends them requests and collects the (multi-frame)
//! replies, and stores results in SQLite. Plain TCP, or TLS requiring client certificates
//! ([`MasterStation::start_tls`], [`crate::tls`]).

mod command;
mod conn;
mod db;
mod render;
mod server;

pub use command::{Built, Command, TerminalId};
pub use db::Db;
pub use render::{render_frames, render_units};
pub use server::{MasterError, MasterStation, TerminalInfo};
