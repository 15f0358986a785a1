//! Exact meter values: integer mantissa, power-of-ten exponent, unit.

use crate::time::DateTime;

/// An exact decimal number: `mantissa × 10^exponent`. Never rounded, never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    /// The integer mantissa.
    pub mantissa: i64,
    /// The power of ten it is scaled by.
    pub exponent: i8,
}

impl Decimal {
    /// `mantissa × 10^exponent`.
    pub const fn new(mantissa: i64, exponent: i8) -> Self {
        Decimal { mantissa, exponent }
    }

    /// An approximation for display only; the stored value stays exact.
    pub fn to_f64_lossy(self) -> f64 {
        let mut v = self.mantissa as f64;
        let mut e = self.exponent;
        while e > 0 {
            v *= 10.0;
            e -= 1;
        }
        while e < 0 {
            v /= 10.0;
            e += 1;
        }
        v
    }
}

/// The physical unit of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Unit {
    /// No unit (counts, power factor, status).
    None,
    /// Active energy, kilowatt-hours.
    KiloWattHour,
    /// Reactive energy, kilovar-hours.
    KiloVarHour,
    /// Energy, watt-hours (M-Bus scales from Wh).
    WattHour,
    /// Energy, joules.
    Joule,
    /// Volume, cubic metres.
    CubicMetre,
    /// Mass, kilograms.
    Kilogram,
    /// Active power, kilowatts.
    KiloWatt,
    /// Power, watts.
    Watt,
    /// Reactive power, kilovars.
    KiloVar,
    /// Voltage, volts.
    Volt,
    /// Current, amperes.
    Ampere,
    /// Frequency, hertz.
    Hertz,
    /// Temperature, degrees Celsius.
    Celsius,
    /// Volume flow, cubic metres per hour.
    CubicMetrePerHour,
    /// Time, seconds.
    Second,
    /// Time, minutes.
    Minute,
    /// Apparent power, kilovolt-amperes.
    KiloVoltAmpere,
    /// Apparent energy, kilovolt-ampere-hours.
    KiloVoltAmpereHour,
    /// Percent.
    Percent,
    /// Phase angle, degrees.
    Degree,
    /// A unit the core has no name for, kept as the codec's code.
    Other(u8),
}

/// The state of a meter's load switch (relay).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelayState {
    /// The relay is closed: the customer has power.
    Closed,
    /// The relay is open: switched off.
    Open,
}

/// What a reading holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Value {
    /// An exact number with its unit.
    Number(Decimal, Unit),
    /// A calendar time (the meter's clock, a freeze time).
    Time(DateTime),
    /// The relay state.
    Relay(RelayState),
    /// Raw bytes of an item the core does not interpret (raw DI, raw M-Bus record), in wire
    /// order, unscrambled; `len` bytes of `bytes` are valid.
    Raw {
        /// Number of valid bytes.
        len: u8,
        /// The bytes; only `..len` are meaningful.
        bytes: [u8; 32],
    },
    /// No value: the meter answered with an error, filled the field as not applicable (DL/T
    /// 645 `FF`), or stayed silent. The [`Quality`] says which. Never a zero.
    Missing,
}

/// How far a reading can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Quality {
    /// Read from the meter and decoded.
    Good,
    /// The meter filled the field as not applicable or not available (DL/T 645 fills with
    /// `FF`, DL/T 645-2007 §1.10 of the notes).
    NotAvailable,
    /// The meter answered with an error reply; the code is the protocol's error byte
    /// (DL/T 645 ERR, M-Bus application error).
    MeterError(u16),
    /// The meter did not answer after all retries in this round.
    NoAnswer,
}
