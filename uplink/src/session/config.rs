//! What a terminal session is configured with.

use super::terminal::Duration;
use crate::Address;

/// Session settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// This terminal's area code and address (the `master` field is ignored: replies go to
    /// the master a request names; link tests go to master 0).
    pub address: Address,
    /// Heartbeat period (AFN 04 F1 heartbeat, 15 min in the PEP sample of notes §2.6).
    pub heartbeat: Duration,
    /// How long to wait for the master's confirm of a login or heartbeat.
    pub confirm_timeout: Duration,
    /// Login frames sent before the connection is given up (at least 1).
    pub login_attempts: u8,
    /// Consecutive unconfirmed heartbeats after which the link is declared lost.
    pub max_missed: u8,
    /// First reconnect wait.
    pub backoff_min: Duration,
    /// Longest reconnect wait.
    pub backoff_max: Duration,
    /// Largest data-unit bytes per reply frame; longer replies are split into a multi-frame
    /// reply at {DA DT data} group boundaries.
    pub max_units: usize,
}

impl Config {
    /// Settings for `address` with the usual values: 15-minute heartbeat, 30 s confirm
    /// timeout, 3 login attempts, 3 missed heartbeats, back-off 5 s to 5 min, 1024-byte frames.
    pub fn new(address: Address) -> Self {
        Self {
            address,
            heartbeat: Duration::minutes(15),
            confirm_timeout: Duration::secs(30),
            login_attempts: 3,
            max_missed: 3,
            backoff_min: Duration::secs(5),
            backoff_max: Duration::minutes(5),
            max_units: 1024,
        }
    }
}
