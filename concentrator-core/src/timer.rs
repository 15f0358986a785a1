//! The engine's timers: a fixed table indexed by an enum (quinn-proto's `timer.rs` pattern).

use crate::time::Instant;

/// Channels the engine can drive.
pub const MAX_CHANNELS: usize = 8;

/// One timer of the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Timer {
    /// The pending deadline of channel `n`: reply timeout, back-off end, guard end or
    /// broadcast end, whichever its transaction waits for.
    Channel(u8),
    /// The next minute boundary, when the schedules are checked.
    Schedule,
}

impl Timer {
    const fn index(self) -> usize {
        match self {
            Timer::Channel(n) => n as usize,
            Timer::Schedule => MAX_CHANNELS,
        }
    }
}

/// Deadlines in a fixed table, one slot per [`Timer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct TimerTable {
    slots: [Option<u64>; MAX_CHANNELS + 1],
}

impl TimerTable {
    /// Arms (or re-arms) a timer.
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        if let Some(s) = self.slots.get_mut(timer.index()) {
            *s = Some(at.ticks());
        }
    }

    /// Disarms a timer.
    pub(crate) fn stop(&mut self, timer: Timer) {
        if let Some(s) = self.slots.get_mut(timer.index()) {
            *s = None;
        }
    }

    /// Whether a timer is armed and due at `now`.
    pub(crate) fn is_due(&self, timer: Timer, now: Instant) -> bool {
        self.slots
            .get(timer.index())
            .copied()
            .flatten()
            .is_some_and(|t| t <= now.ticks())
    }

    /// The earliest armed deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.slots
            .iter()
            .filter_map(|s| *s)
            .min()
            .map(Instant::from_ticks)
    }
}
