//! Decoded values: exact decimals with units, calendar values, text, digits, status words.

use core::fmt;

use bitflags::bitflags;

use crate::{Baud, Payload, Timestamp};

/// The unit of a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Unit {
    /// No unit (counts, ratios such as the power factor).
    None,
    /// kWh.
    KWh,
    /// kvarh.
    Kvarh,
    /// kVAh.
    KVAh,
    /// V.
    Volt,
    /// A.
    Ampere,
    /// kW.
    KW,
    /// kvar.
    Kvar,
    /// kVA.
    KVA,
    /// Hz.
    Hertz,
    /// Degrees of phase angle.
    Degree,
    /// Degrees Celsius.
    Celsius,
    /// Percent.
    Percent,
    /// Minutes.
    Minute,
    /// yuan.
    Yuan,
    /// yuan/kWh.
    YuanPerKWh,
    /// Impulses per kWh.
    ImpPerKWh,
    /// Impulses per kvarh.
    ImpPerKvarh,
}

impl Unit {
    /// The symbol ("kWh", "V", ...); empty for [`Unit::None`].
    #[inline]
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::None => "",
            Unit::KWh => "kWh",
            Unit::Kvarh => "kvarh",
            Unit::KVAh => "kVAh",
            Unit::Volt => "V",
            Unit::Ampere => "A",
            Unit::KW => "kW",
            Unit::Kvar => "kvar",
            Unit::KVA => "kVA",
            Unit::Hertz => "Hz",
            Unit::Degree => "°",
            Unit::Celsius => "°C",
            Unit::Percent => "%",
            Unit::Minute => "min",
            Unit::Yuan => "yuan",
            Unit::YuanPerKWh => "yuan/kWh",
            Unit::ImpPerKWh => "imp/kWh",
            Unit::ImpPerKvarh => "imp/kvarh",
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// An exact decimal: `mantissa × 10^exponent` (a DL/T 645 fixed-point BCD value, no
/// rounding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    /// The digits as an integer, signed.
    pub mantissa: i64,
    /// The power of ten (−4 for XX.XXXX).
    pub exponent: i8,
}

impl Decimal {
    /// An approximation for display or plotting (never for arithmetic on readings).
    #[inline]
    pub fn to_f64(self) -> f64 {
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

impl fmt::Display for Decimal {
    /// Exact: `112280.26`, `-0.500`, `220`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.mantissa < 0;
        let m = self.mantissa.unsigned_abs();
        if neg {
            f.write_str("-")?;
        }
        if self.exponent >= 0 {
            write!(f, "{m}")?;
            for _ in 0..self.exponent {
                f.write_str("0")?;
            }
            return Ok(());
        }
        let places = u32::from(self.exponent.unsigned_abs());
        let scale = 10u64.pow(places);
        write!(
            f,
            "{}.{:0width$}",
            m / scale,
            m % scale,
            width = places as usize
        )
    }
}

/// A number with its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quantity {
    /// The exact value.
    pub value: Decimal,
    /// Its unit.
    pub unit: Unit,
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.unit == Unit::None {
            write!(f, "{}", self.value)
        } else {
            write!(f, "{} {}", self.value, self.unit)
        }
    }
}

/// An ASCII field, sent byte-reversed (2007 Appendix A: every field goes low byte first, so
/// "220.0V" arrives as `56 30 2E 30 32 32`). [`Text::chars`] gives it in reading order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text<'a>(pub Payload<'a>);

impl<'a> Text<'a> {
    /// The characters in reading order (the wire reversed), padding (NUL, space, FF)
    /// dropped from both ends; bytes above 0x7E show as `?`.
    #[inline]
    pub fn chars(&self) -> impl Iterator<Item = char> + use<'a> {
        let bytes = self.0;
        let pad = |b: u8| b == 0 || b == b' ' || b == 0xFF;
        let lead = bytes.iter().rev().take_while(|b| pad(*b)).count();
        let trail = bytes.iter().take_while(|b| pad(*b)).count();
        let keep = bytes.len().saturating_sub(lead + trail);
        bytes.iter().rev().skip(lead).take(keep).map(|b| {
            if (0x20..0x7F).contains(&b) {
                char::from(b)
            } else {
                '?'
            }
        })
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.chars() {
            fmt::Write::write_char(f, c)?;
        }
        Ok(())
    }
}

/// A BCD number read as digits (addresses, meter numbers): shown zero-padded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digits {
    /// The number.
    pub value: u64,
    /// How many digits it has on the wire (2 per byte).
    pub len: u8,
}

impl fmt::Display for Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:0width$}", self.value, width = usize::from(self.len))
    }
}

bitflags! {
    /// Running status word 3 (DI 04000503), the one with the relay state
    /// (2007 Appendix A, status words).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct Status3: u16 {
        /// Current time-period table (0 first, 1 second).
        const PERIOD_TABLE = 1 << 0;
        /// Supply mode, low bit.
        const SUPPLY_MODE_0 = 1 << 1;
        /// Supply mode, high bit.
        const SUPPLY_MODE_1 = 1 << 2;
        /// Programming allowed.
        const PROGRAMMING = 1 << 3;
        /// Relay state: 1 open (tripped), 0 closed.
        const RELAY_OPEN = 1 << 4;
        /// Current time-zone table.
        const ZONE_TABLE = 1 << 5;
        /// Relay command state: 1 trip commanded.
        const RELAY_COMMAND_TRIP = 1 << 6;
        /// Pre-trip alarm.
        const PRE_TRIP_ALARM = 1 << 7;
        /// Meter type, low bit (01 energy prepaid).
        const PREPAID_ENERGY = 1 << 8;
        /// Meter type, high bit (10 money prepaid).
        const PREPAID_MONEY = 1 << 9;
        /// Current price table.
        const PRICE_TABLE = 1 << 10;
        /// Current ladder table.
        const LADDER_TABLE = 1 << 11;
        const _ = !0;
    }
}

/// A running status word (04000501..07; 1997 C020) as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Status {
    /// Which word, 1..=7.
    pub word: u8,
    /// Its bits.
    pub bits: u16,
}

impl Status {
    /// For status word 3: is the relay open (`Some(true)`) or closed?
    #[inline]
    pub fn relay_open(&self) -> Option<bool> {
        (self.word == 3).then(|| Status3::from_bits_retain(self.bits).contains(Status3::RELAY_OPEN))
    }

    /// For status word 3: has a trip been commanded?
    #[inline]
    pub fn relay_trip_commanded(&self) -> Option<bool> {
        (self.word == 3)
            .then(|| Status3::from_bits_retain(self.bits).contains(Status3::RELAY_COMMAND_TRIP))
    }
}

/// One decoded value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Value<'a> {
    /// An exact number with unit.
    Number(Quantity),
    /// The field was all FF: not applicable or not present (2007 Appendix A).
    Absent,
    /// A calendar value.
    Time(Timestamp),
    /// An ASCII field.
    Text(Text<'a>),
    /// A BCD number read as digits (address, meter number).
    Digits(Digits),
    /// A status word.
    Status(Status),
    /// A baud feature word.
    Baud(Baud),
    /// Bytes the catalogue does not describe, kept as they came.
    Raw(Payload<'a>),
    /// Bytes that should be BCD but are not, kept as they came.
    Invalid(Payload<'a>),
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number(q) => write!(f, "{q}"),
            Value::Absent => f.write_str("absent"),
            Value::Time(t) => write!(f, "{t}"),
            Value::Text(t) => write!(f, "{t}"),
            Value::Digits(d) => write!(f, "{d}"),
            Value::Status(s) => write!(f, "status word {}: {:04X}", s.word, s.bits),
            Value::Baud(b) => write!(f, "{} bit/s", b.bps()),
            Value::Raw(p) => write!(f, "raw {p}"),
            Value::Invalid(p) => write!(f, "invalid {p}"),
        }
    }
}
