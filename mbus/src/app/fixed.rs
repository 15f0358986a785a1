//! The fixed data structure of CI 0x73 (LSB first) and 0x77 (MSB first): identification
//! number, access number, status, two counters with medium/unit bytes (EN 13757-3 clause 7;
//! m-bus.com 6.2).

use crate::app::error::AppError;
use crate::app::header::{ByteOrder, IdNumber};
use crate::app::value::{Number, decode_bcd, decode_int};

/// Length of the fixed data structure.
pub const FIXED_LEN: usize = 16;

/// The physical unit of a fixed-structure counter (the 6-bit unit code; m-bus.com table
/// "unit codes of the fixed data structure").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FixedUnit {
    /// 0x00: time as h, m, s.
    TimeHms,
    /// 0x01: date as D, M, Y.
    DateDmy,
    /// A scaled physical unit: symbol and power of ten.
    Scaled {
        /// Unit symbol.
        symbol: &'static str,
        /// Power of ten applied to the counter.
        exponent: i8,
    },
    /// 0x39: heat cost allocator units.
    HcaUnits,
    /// 0x3E: same unit as the other counter, but a historic value.
    Historic,
    /// 0x3F: without unit.
    NoUnit,
    /// 0x3A..0x3D: reserved.
    Reserved(u8),
}

impl FixedUnit {
    /// Decode the low 6 bits of a medium/unit byte.
    pub fn from_code(code: u8) -> Self {
        let c = code & 0x3F;
        let scaled = |symbol: &'static str, base: u8, offset: i8| FixedUnit::Scaled {
            symbol,
            exponent: (c - base) as i8 + offset,
        };
        match c {
            0x00 => FixedUnit::TimeHms,
            0x01 => FixedUnit::DateDmy,
            0x02..=0x0A => scaled("Wh", 0x02, 0),
            0x0B..=0x13 => scaled("J", 0x0B, 3),
            0x14..=0x1C => scaled("W", 0x14, 0),
            0x1D..=0x25 => scaled("J/h", 0x1D, 3),
            0x26..=0x2E => scaled("m³", 0x26, -6),
            0x2F..=0x37 => scaled("m³/h", 0x2F, -6),
            0x38 => FixedUnit::Scaled {
                symbol: "°C",
                exponent: -3,
            },
            0x39 => FixedUnit::HcaUnits,
            0x3E => FixedUnit::Historic,
            0x3F => FixedUnit::NoUnit,
            other => FixedUnit::Reserved(other),
        }
    }
}

/// One counter of the fixed structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Counter {
    /// The medium/unit byte (top 2 bits: medium bits; low 6 bits: unit).
    pub medium_unit: u8,
    /// The counter value (BCD or binary as the status byte says).
    pub value: i64,
    /// A BCD nibble was not a decimal digit.
    pub invalid_digits: bool,
    /// The four counter bytes as sent.
    pub raw: [u8; 4],
}

impl Counter {
    /// The unit.
    pub fn unit(&self) -> FixedUnit {
        FixedUnit::from_code(self.medium_unit)
    }

    /// The exact value with the unit's power of ten (`None` for time/date/reserved units).
    pub fn number(&self) -> Option<Number> {
        match self.unit() {
            FixedUnit::Scaled { exponent, .. } => Some(Number {
                mantissa: self.value,
                exponent,
            }),
            FixedUnit::HcaUnits | FixedUnit::NoUnit | FixedUnit::Historic => Some(Number {
                mantissa: self.value,
                exponent: 0,
            }),
            _ => None,
        }
    }
}

/// The fixed data structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FixedData {
    /// Identification number.
    pub id: IdNumber,
    /// Access number.
    pub access_number: u8,
    /// Status byte: bit 7 set = counters binary (else BCD), bit 6 set = stored (historic)
    /// values (else actual).
    pub status: u8,
    /// Counter 1.
    pub counter1: Counter,
    /// Counter 2.
    pub counter2: Counter,
}

impl FixedData {
    /// Parse the 16 bytes of user data after CI 0x73/0x77.
    pub fn parse(data: &[u8], order: ByteOrder) -> Result<Self, AppError> {
        if data.len() != FIXED_LEN {
            return Err(AppError::FixedLength { len: data.len() });
        }
        let b = |i: usize| data.get(i).copied().unwrap_or(0);
        let slice = |i: usize| data.get(i..i + 4).unwrap_or(&[]);
        let status = b(5);
        let binary = status & 0x80 != 0;
        let counter = |type_byte: u8, at: usize| {
            let (value, valid) = if binary {
                (decode_int(slice(at), order), true)
            } else {
                decode_bcd(slice(at), order)
            };
            let mut raw = [0u8; 4];
            raw.copy_from_slice(slice(at));
            Counter {
                medium_unit: type_byte,
                value,
                invalid_digits: !valid,
                raw,
            }
        };
        let mut id = [0u8; 4];
        id.copy_from_slice(slice(0));
        let id = match order {
            ByteOrder::LsbFirst => u32::from_le_bytes(id),
            ByteOrder::MsbFirst => u32::from_be_bytes(id),
        };
        Ok(Self {
            id: IdNumber(id),
            access_number: b(4),
            status,
            counter1: counter(b(6), 8),
            counter2: counter(b(7), 12),
        })
    }

    /// The 4-bit medium code spread over the top two bits of both unit bytes.
    pub fn medium_code(&self) -> u8 {
        (self.counter1.medium_unit & 0xC0) >> 6 | (self.counter2.medium_unit & 0xC0) >> 4
    }

    /// Whether the counters are stored (historic) values rather than actual ones.
    pub fn stored(&self) -> bool {
        self.status & 0x40 != 0
    }

    /// Whether the counters are binary rather than BCD.
    pub fn binary(&self) -> bool {
        self.status & 0x80 != 0
    }
}
