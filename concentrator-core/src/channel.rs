//! Channels: the buses the concentrator drives, each with its own line settings.

use crate::time::Duration;

/// Index of a channel in the engine's channel table (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChannelId(pub u8);

/// What kind of bus a channel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    /// An RS-485 port with DL/T 645 meters.
    Rs485,
    /// An M-Bus master port (level converter) with M-Bus slaves.
    Mbus,
    /// The carrier (PLC) module's UART: DL/T 645 frames wrapped in Q/GDW 1376.2.
    Carrier,
}

/// Serial line settings: from them come wire times and timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineSettings {
    /// Bits per second.
    pub baud: u32,
    /// Bits per character on the wire: 11 for 8E1 (DL/T 645, M-Bus), 10 for 8N1.
    pub bits_per_char: u8,
    /// How long after the end of a request the first reply byte may come: DL/T 645 allows the
    /// meter Td ≤ 500 ms (clause 5.3.3 as quoted in the dlt645 notes §1.1), so 500 ms plus a
    /// margin.
    pub response_timeout: Duration,
    /// The longest gap allowed between two bytes of one reply (DL/T 645 Tb ≤ 500 ms; 100-200 ms
    /// works in practice, notes §3.3).
    pub inter_byte_timeout: Duration,
    /// Silence kept after a reply before the next request, so the meter's driver has released
    /// the bus.
    pub guard: Duration,
    /// Tries per transaction before the meter counts as failed for the round (Clou C82: 2;
    /// shixin08052: 3; notes §3.3).
    pub tries: u8,
    /// Wait before the first retry; doubles on each further retry. The receive side is
    /// flushed during the wait (Clou C82 flushes 200 ms before a retry, notes §3.3).
    pub backoff: Duration,
}

impl LineSettings {
    /// DL/T 645-2007 on RS-485: 2400 baud 8E1 (notes §1.1), 1 s response timeout, 3 tries.
    pub const DLT645_2400: LineSettings = LineSettings {
        baud: 2400,
        bits_per_char: 11,
        response_timeout: Duration::millis(1000),
        inter_byte_timeout: Duration::millis(200),
        guard: Duration::millis(5),
        tries: 3,
        backoff: Duration::millis(200),
    };

    /// DL/T 645-1997 on RS-485: 1200 baud 8E1 (notes §1.1).
    pub const DLT645_1200: LineSettings = LineSettings {
        baud: 1200,
        ..Self::DLT645_2400
    };

    /// Wired M-Bus at 2400 baud 8E1: EN 13757-2 gives the slave 11 bit times to 330 bit times
    /// + 50 ms to answer, so 300 ms is generous at 2400 baud.
    pub const MBUS_2400: LineSettings = LineSettings {
        baud: 2400,
        bits_per_char: 11,
        response_timeout: Duration::millis(300),
        inter_byte_timeout: Duration::millis(100),
        guard: Duration::millis(5),
        tries: 3,
        backoff: Duration::millis(100),
    };

    /// A carrier module UART at 9600 baud 8E1. Relayed PLC reads take seconds and the module
    /// session reports its own timeout (the module's monitor timeout plus a margin, one
    /// retry), so the response timeout here is only a backstop above that.
    pub const CARRIER_9600: LineSettings = LineSettings {
        baud: 9600,
        bits_per_char: 11,
        response_timeout: Duration::millis(150_000),
        inter_byte_timeout: Duration::millis(100),
        guard: Duration::millis(5),
        tries: 2,
        backoff: Duration::millis(500),
    };

    /// The wire time of `bytes` characters, rounded up to the next millisecond.
    pub fn wire_time(&self, bytes: usize) -> Duration {
        let bits = (bytes as u64).saturating_mul(u64::from(self.bits_per_char));
        let baud = u64::from(self.baud.max(1));
        Duration::millis(bits.saturating_mul(1000).div_ceil(baud))
    }
}

/// A channel as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelConfig {
    /// The kind of bus.
    pub kind: ChannelKind,
    /// Its line settings (a meter may override the baud rate).
    pub line: LineSettings,
}
