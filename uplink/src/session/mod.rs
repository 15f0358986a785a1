//! The terminal (concentrator) side of the uplink as a sans-IO session: login with retry,
//! heartbeats at the configured period, link supervision with reconnect back-off, and
//! request handling (confirm/deny per CON, repeated frames answered from the cache, the
//! password/MAC check on state-changing AFNs, multi-frame replies).
//!
//! The session never touches a socket or a clock: the caller feeds it received frames and
//! the time, and sends what [`Terminal::poll_transmit`] hands out. Its timers run on a
//! monotonic [`Instant`]; the calendar time, which the time labels Tp of the master's
//! requests are checked against (an expired one is dropped, [`Event::Expired`]), is given
//! with [`Terminal::set_wall_clock`] and run on from there. Replies carry no Tp (TpV = 0):
//! notes §2.3 asks only the receiver to check one, and the session's own frames (login,
//! heartbeat, reports) start a new PFC each, PSEQ being its low 4 bits.

mod auth;
mod backoff;
mod clock;
mod config;
mod event;
mod outbox;
mod reply;
mod terminal;

pub use auth::{Authorize, Denial, KeyCheck};
pub use backoff::Backoff;
pub use clock::{tp_age, tp_expired};
pub use config::Config;
pub use event::{Event, Events};
pub use outbox::{MAX_FRAMES, Outbox, OutboxError};
pub use reply::{Answer, Handler, MAX_GROUPS, Reply, ReplyFull};
pub use terminal::{Duration, Instant, LinkState, ReportError, Terminal};
