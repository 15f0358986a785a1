//! What the concentrator reads, in its own terms (DESIGN.md, "Codec <-> concentrator").

use bitflags::bitflags;

/// The protocol a meter speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// DL/T 645-2007 (4-byte data identifiers).
    Dlt645_2007,
    /// DL/T 645-1997 (2-byte data identifiers).
    Dlt645_1997,
    /// Wired M-Bus, addressed by primary address.
    MbusPrimary,
    /// Wired M-Bus, addressed by secondary address (selected first).
    MbusSecondary,
}

impl Protocol {
    /// Whether this is one of the DL/T 645 editions.
    pub const fn is_dlt645(self) -> bool {
        matches!(self, Protocol::Dlt645_2007 | Protocol::Dlt645_1997)
    }
}

/// A phase of a poly-phase meter, or all phases as one block read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Phase A (L1).
    A,
    /// Phase B (L2).
    B,
    /// Phase C (L3).
    C,
    /// All three phases in one block read (phases the meter does not have come back as
    /// [`Quality::NotAvailable`](crate::Quality::NotAvailable)).
    All,
}

/// One thing to read from a meter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Item {
    /// Forward (import) active energy; tariff 0 is the total, 1..=63 a tariff register.
    ActiveEnergyImport {
        /// 0 = total, 1..=63 = tariff.
        tariff: u8,
    },
    /// Reverse (export) active energy; tariff 0 is the total.
    ActiveEnergyExport {
        /// 0 = total, 1..=63 = tariff.
        tariff: u8,
    },
    /// Phase voltage.
    Voltage(Phase),
    /// Phase current.
    Current(Phase),
    /// Total active power.
    ActivePower,
    /// Total power factor.
    PowerFactor,
    /// The meter's clock (date and time).
    Clock,
    /// The load-switch relay state.
    RelayState,
    /// Forward active energy (total and tariffs) of the daily freeze `days_ago` days back
    /// (1..=62), with the freeze time as meter time.
    FrozenDay {
        /// 1 = the most recent daily freeze.
        days_ago: u8,
    },
    /// Forward active energy total at the `months_ago`-th last monthly settlement (1..=12).
    MonthlySettlement {
        /// 1 = the most recent settlement.
        months_ago: u8,
    },
    /// A block of the meter's forward active energy load curve (DL/T 645-2007 DI 06100601,
    /// State-Grid 2013 per-item curves): `count` records from `start`, `interval_min` apart
    /// (the meter's curve interval). Part `n` is the record at `start + n × interval_min`,
    /// which is also its meter time; gaps the meter filled with FF are missing values.
    LoadCurve {
        /// Time of the first record.
        start: crate::time::DateTime,
        /// Records asked for (1..=96).
        count: u8,
        /// The meter's curve interval in minutes (1..=60).
        interval_min: u8,
    },
    /// Water or gas volume (M-Bus meters).
    Volume,
    /// Any DL/T 645 data identifier, returned raw (DI3..DI0 as a number; 1997 uses the low two
    /// bytes).
    RawDi(u32),
    /// The `n`-th data record of an M-Bus response, returned raw.
    RawMbusRecord(u8),
}

bitflags! {
    /// Which scheduled work a meter takes part in, and which items its load-curve reads cover.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct ReadSet: u16 {
        /// Load-curve rounds read forward active energy total.
        const ENERGY_IMPORT = 1 << 0;
        /// Load-curve rounds read reverse active energy total.
        const ENERGY_EXPORT = 1 << 1;
        /// Load-curve rounds read the phase voltages (block read).
        const VOLTAGE = 1 << 2;
        /// Load-curve rounds read the phase currents (block read).
        const CURRENT = 1 << 3;
        /// Load-curve rounds read total active power.
        const ACTIVE_POWER = 1 << 4;
        /// Load-curve rounds read the total power factor.
        const POWER_FACTOR = 1 << 5;
        /// Load-curve rounds read the relay state.
        const RELAY = 1 << 6;
        /// Load-curve rounds read the volume (M-Bus water and gas meters).
        const VOLUME = 1 << 7;
        /// The daily round after midnight reads yesterday's frozen data.
        const DAILY_FROZEN = 1 << 8;
        /// The monthly round reads the last settlement.
        const MONTHLY = 1 << 9;
        /// The daily clock check reads (and, when allowed, corrects) the meter clock.
        const CLOCK_CHECK = 1 << 10;
    }
}

/// The items a load-curve round reads for a meter with this set, in order.
pub(crate) const CURVE_ITEMS: [(ReadSet, Item); 8] = [
    (
        ReadSet::ENERGY_IMPORT,
        Item::ActiveEnergyImport { tariff: 0 },
    ),
    (
        ReadSet::ENERGY_EXPORT,
        Item::ActiveEnergyExport { tariff: 0 },
    ),
    (ReadSet::VOLTAGE, Item::Voltage(Phase::All)),
    (ReadSet::CURRENT, Item::Current(Phase::All)),
    (ReadSet::ACTIVE_POWER, Item::ActivePower),
    (ReadSet::POWER_FACTOR, Item::PowerFactor),
    (ReadSet::RELAY, Item::RelayState),
    (ReadSet::VOLUME, Item::Volume),
];
