//! What the engine reports: readings, command results, alarms, round statistics, audit.

use crate::channel::ChannelId;
use crate::item::Item;
use crate::time::DateTime;
use crate::value::{Quality, Value};

/// One value read from a meter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reading {
    /// The meter's archive number.
    pub meter: u16,
    /// What was read.
    pub item: Item,
    /// Which part of a block item this is: the phase (0 = A, 1 = B, 2 = C) of a block
    /// voltage or current read, the register (0 = total, 1.. = tariff) of a frozen-energy
    /// block; 0 otherwise.
    pub part: u8,
    /// The exact value (or [`Value::Missing`]).
    pub value: Value,
    /// The meter's own time stamp of the value, when it gave one (freeze time).
    pub meter_time: Option<DateTime>,
    /// The concentrator's calendar time when the reply arrived.
    pub read_at: DateTime,
    /// How far the value can be trusted.
    pub quality: Quality,
}

/// Identifies an accepted command; its result carries the same id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommandId(pub u32);

/// Who issued a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The master station (uplink).
    Master,
    /// A local operator (maintenance port, display).
    Local,
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// Done: the meter confirmed (readings, if any, were reported before the result).
    Done,
    /// The meter answered with an error reply; the protocol's error code.
    MeterError(u16),
    /// The meter stayed silent (or garbled) through every try.
    NoAnswer,
    /// The meter was removed from the archive before the command ran.
    MeterRemoved,
}

/// The scheduled work a round does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Task {
    /// Load-curve sampling (every 15, 30 or 60 minutes).
    LoadCurve,
    /// Yesterday's frozen data, shortly after midnight.
    DailyFrozen,
    /// Last month's settlement data, on the first of the month.
    Monthly,
    /// Broadcast time and per-meter clock check.
    ClockSync,
}

/// A remote switching action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SwitchAction {
    /// Trip the relay (switch off; DL/T 645 0x1C N1 = 1A, notes §1.14).
    Off,
    /// Allow the relay to close (switch on; N1 = 1B, the customer closes it).
    On,
}

/// Something that needs an operator's attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Alarm {
    /// The meter stayed silent through every try of a round.
    MeterOffline {
        /// The meter's archive number.
        meter: u16,
        /// The channel it hangs on.
        channel: ChannelId,
    },
    /// The meter's clock is off by more than the allowed drift (5 minutes).
    ClockDrift {
        /// The meter's archive number.
        meter: u16,
        /// Meter time minus concentrator time, seconds.
        drift_seconds: i64,
    },
    /// A remote switch command failed.
    SwitchFailed {
        /// The meter's archive number.
        meter: u16,
        /// What was asked.
        action: SwitchAction,
    },
}

/// What the engine reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// A value read from a meter (or its absence, with a quality saying why).
    Reading(Reading),
    /// The one result of an accepted command.
    CommandResult {
        /// The command.
        id: CommandId,
        /// The meter it addressed.
        meter: u16,
        /// How it ended.
        outcome: Outcome,
    },
    /// An alarm.
    Alarm(Alarm),
    /// A remote switch was attempted (audit trail), with its outcome.
    SwitchAudit {
        /// The command.
        id: CommandId,
        /// The meter.
        meter: u16,
        /// What was asked.
        action: SwitchAction,
        /// Who asked.
        origin: Origin,
        /// How it ended.
        outcome: Outcome,
    },
    /// A meter's clock was set by the clock check.
    ClockSet {
        /// The meter.
        meter: u16,
        /// How it ended.
        outcome: Outcome,
    },
    /// The one result of a transparent forward
    /// ([`Concentrator::forward`](crate::Concentrator::forward)); the reply frame is read with
    /// [`Concentrator::forward_reply`](crate::Concentrator::forward_reply). The event holds
    /// only its length: events are small `Copy` values queued and stored by the hundred.
    ForwardResult {
        /// The command.
        id: CommandId,
        /// The channel it went out on.
        channel: ChannelId,
        /// Who asked (audit: a forwarded frame may be a control command).
        origin: Origin,
        /// [`Outcome::Done`] with a reply, [`Outcome::NoAnswer`] without.
        outcome: Outcome,
        /// The reply's length in bytes (0 without a reply).
        len: u16,
    },
    /// A round ended on a channel (`channel` is `Some`) or on all channels (`None`, sent once
    /// the last channel finished that round).
    RoundStats {
        /// What the round did.
        task: Task,
        /// The channel, or `None` for the total over all channels.
        channel: Option<ChannelId>,
        /// Meters the round covered.
        meters: u16,
        /// Meters read completely.
        read: u16,
        /// Meters that failed (silent, or an item failed).
        failed: u16,
    },
}

/// An event with the concentrator's calendar time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Event {
    /// When it happened (concentrator calendar time).
    pub at: DateTime,
    /// What happened.
    pub kind: EventKind,
}

impl Event {
    /// The meter the event is about, if it is about one meter.
    pub fn meter(&self) -> Option<u16> {
        match self.kind {
            EventKind::Reading(r) => Some(r.meter),
            EventKind::CommandResult { meter, .. }
            | EventKind::SwitchAudit { meter, .. }
            | EventKind::ClockSet { meter, .. }
            | EventKind::Alarm(Alarm::MeterOffline { meter, .. })
            | EventKind::Alarm(Alarm::ClockDrift { meter, .. })
            | EventKind::Alarm(Alarm::SwitchFailed { meter, .. }) => Some(meter),
            EventKind::RoundStats { .. } | EventKind::ForwardResult { .. } => None,
        }
    }
}
