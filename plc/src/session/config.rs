//! Settings of a module session.

use super::Duration;
use crate::{Address, CommMode, Edition};

/// How the session starts talking to the module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StartMode {
    /// The module was just powered up: wait for its spontaneous AFN 03 F10 report (up to
    /// [`Config::power_up_wait`]), then ask for it.
    AwaitReport,
    /// Reset the module with AFN 01 F1 (hardware init), then wait for its report (SPL logs:
    /// 9.7–11.5 s after the reset).
    Reset,
    /// Ask for the run mode (AFN 03 F10) straight away.
    Query,
}

/// Settings of a [`Session`](super::Session). [`Config::new`] gives the defaults of the notes
/// (§1.12, §1.13; NUC and EAST values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Edition of the data units.
    pub edition: Edition,
    /// Communication mode written in C (HPLC: broadband, narrowband: centralised carrier).
    pub mode: CommMode,
    /// The concentrator's address, to be the module's master-node address.
    pub master_address: Address,
    /// How to start.
    pub start: StartMode,
    /// Reply time for local commands (AFN 01/03/05/10/11/12): 6 s (NUC `Uart_3762_TxData`).
    pub local_timeout: Duration,
    /// Monitor timeout when the module reports 0 or ≥ 120 s: 60 s (NUC).
    pub monitor_fallback: Duration,
    /// Broadcast timeout when the module reports 0: 120 s (NUC).
    pub broadcast_fallback: Duration,
    /// Added to the module's own timeouts before giving up on a reply.
    pub margin: Duration,
    /// Wait for the power-up report: 60 s (NUC national build).
    pub power_up_wait: Duration,
    /// Silence after which the module is probed, and re-initialised when the probe goes
    /// unanswered: 10 min (NUC `RouterCheckTimerVal` comments).
    pub supervision: Duration,
    /// Retries of a request that timed out: 1 on PLC (NUC `MaxReRMCount`).
    pub retries: u8,
    /// Nodes per AFN 10 F2 page: 15 (EAST); the HW CCO answers at most 32.
    pub page_size: u8,
    /// Index of the first node in AFN 10 F2: 1 (SPL, HPLC); EAST starts at 0.
    pub first_index: u16,
    /// Nodes per AFN 11 F1 / F2 frame: 16 (HW takes at most 32).
    pub batch_size: u8,
    /// The module supports concurrent reads (AFN F1 F1; the HW CCO implements them, the run
    /// mode does not say so): enables [`Session::read_concurrent`](super::Session::read_concurrent).
    pub concurrent: bool,
    /// Rate written in R4–R5 of the commands (0 = default; the SPL tool writes 1200).
    pub rate: u16,
}

impl Config {
    /// Defaults for an HPLC module of the 2013 edition.
    pub fn new(master_address: Address) -> Self {
        Self {
            edition: Edition::V2013,
            mode: CommMode::Broadband,
            master_address,
            start: StartMode::AwaitReport,
            local_timeout: Duration::secs(6),
            monitor_fallback: Duration::secs(60),
            broadcast_fallback: Duration::secs(120),
            margin: Duration::secs(2),
            power_up_wait: Duration::secs(60),
            supervision: Duration::secs(600),
            retries: 1,
            page_size: 15,
            first_index: 1,
            batch_size: 16,
            concurrent: false,
            rate: 0,
        }
    }
}
