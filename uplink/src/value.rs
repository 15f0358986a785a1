//! The data formats of Q/GDW 1376.1 appendix A that the typed units use: exact decimal values
//! (A.5, A.7, A.9, A.11, A.13, A.14, A.25) and calendar times (A.1, A.15, A.20, A.21).
//!
//! Values are BCD, least significant byte first. A field filled with `EE` (LM `bmt_is_0xEE`:
//! the item could not be read) or `FF` (never written) is "no data" and decodes to `None`;
//! `None` is written back as `EE`.

use crate::{EmitError, UnitError};

/// A byte as two BCD digits.
pub(crate) trait Bcd {
    /// `0..=99` as one BCD byte (values above 99 wrap; callers check ranges first).
    fn to_bcd(self) -> u8;
}

impl Bcd for u8 {
    fn to_bcd(self) -> u8 {
        ((self / 10) % 10) << 4 | (self % 10)
    }
}

/// One BCD byte at `offset`, checked to lie in `lo..=hi`.
pub(crate) fn bcd_in(b: u8, offset: usize, lo: u8, hi: u8) -> Result<u8, UnitError> {
    if b >> 4 > 9 || b & 0x0F > 9 {
        return Err(UnitError::Bcd { offset, found: b });
    }
    let v = (b >> 4) * 10 + (b & 0x0F);
    if v < lo || v > hi {
        return Err(UnitError::Range { offset });
    }
    Ok(v)
}

/// A field is "no data": every byte `EE`, or every byte `FF`.
pub fn is_absent(bytes: &[u8]) -> bool {
    !bytes.is_empty() && (bytes.iter().all(|&b| b == 0xEE) || bytes.iter().all(|&b| b == 0xFF))
}

/// The unit a field's format and meaning give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Active energy, kWh.
    KiloWattHour,
    /// Reactive energy, kvarh.
    KiloVarHour,
    /// Active power, kW.
    KiloWatt,
    /// Reactive power, kvar.
    KiloVar,
    /// Apparent power, kVA.
    KiloVoltAmpere,
    /// Voltage, V.
    Volt,
    /// Current, A.
    Ampere,
    /// Power factor, % (A.5).
    Percent,
}

impl Unit {
    /// The usual symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            Self::KiloWattHour => "kWh",
            Self::KiloVarHour => "kvarh",
            Self::KiloWatt => "kW",
            Self::KiloVar => "kvar",
            Self::KiloVoltAmpere => "kVA",
            Self::Volt => "V",
            Self::Ampere => "A",
            Self::Percent => "%",
        }
    }
}

/// An exact value: `mantissa × 10^exponent unit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quantity {
    /// The integer mantissa, signed where the format is.
    pub mantissa: i64,
    /// The power of ten.
    pub exponent: i8,
    /// The unit.
    pub unit: Unit,
}

impl Quantity {
    /// A display convenience only: the value as `f64` (not exact).
    pub fn to_f64(&self) -> f64 {
        let mut v = self.mantissa as f64;
        let mut e = self.exponent;
        while e < 0 {
            v /= 10.0;
            e += 1;
        }
        while e > 0 {
            v *= 10.0;
            e -= 1;
        }
        v
    }
}

impl core::fmt::Display for Quantity {
    /// Exact decimal text, `-12.3456 kWh`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let neg = self.mantissa < 0;
        let m = self.mantissa.unsigned_abs();
        if self.exponent >= 0 {
            write!(f, "{}{}", if neg { "-" } else { "" }, m)?;
            for _ in 0..self.exponent {
                f.write_str("0")?;
            }
        } else {
            let p = 10u64.pow(u32::from(self.exponent.unsigned_abs()));
            let width = usize::from(self.exponent.unsigned_abs());
            write!(
                f,
                "{}{}.{:0width$}",
                if neg { "-" } else { "" },
                m / p,
                m % p
            )?;
        }
        write!(f, " {}", self.unit.symbol())
    }
}

/// A fixed-point BCD data format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Format {
    /// Its name in appendix A, `"A.14"`.
    pub name: &'static str,
    /// Bytes on the wire.
    pub len: usize,
    /// The power of ten of the last digit.
    pub exponent: i8,
    /// D7 of the last byte is the sign (then only 3 bits of that nibble are a digit).
    pub signed: bool,
}

/// A.5: ±799.9 (power factor in %), 2 bytes, sign in D7 of the high byte.
pub const A5: Format = Format {
    name: "A.5",
    len: 2,
    exponent: -1,
    signed: true,
};
/// A.7: 0–999.9 (voltage), 2 bytes.
pub const A7: Format = Format {
    name: "A.7",
    len: 2,
    exponent: -1,
    signed: false,
};
/// A.9: ±79.9999 (power), 3 bytes, signed.
pub const A9: Format = Format {
    name: "A.9",
    len: 3,
    exponent: -4,
    signed: true,
};
/// A.11: 0–999999.99 (energy reading), 4 bytes.
pub const A11: Format = Format {
    name: "A.11",
    len: 4,
    exponent: -2,
    signed: false,
};
/// A.13: 0–9999.9999 (energy amount), 4 bytes.
pub const A13: Format = Format {
    name: "A.13",
    len: 4,
    exponent: -4,
    signed: false,
};
/// A.14: 0–999999.9999 (active energy reading), 5 bytes.
pub const A14: Format = Format {
    name: "A.14",
    len: 5,
    exponent: -4,
    signed: false,
};
/// A.25: ±799.999 (current), 3 bytes, signed.
pub const A25: Format = Format {
    name: "A.25",
    len: 3,
    exponent: -3,
    signed: true,
};

impl Format {
    /// Decodes `bytes` (exactly `len` of them); `None` for "no data". Error offsets are
    /// inside `bytes`.
    pub fn decode(&self, bytes: &[u8], unit: Unit) -> Result<Option<Quantity>, UnitError> {
        if bytes.len() != self.len {
            return Err(UnitError::Truncated {
                offset: bytes.len(),
                needed: self.len.saturating_sub(bytes.len()),
            });
        }
        if is_absent(bytes) {
            return Ok(None);
        }
        let mut m: i64 = 0;
        let mut negative = false;
        for (i, &b) in bytes.iter().enumerate().rev() {
            let mut hi = b >> 4;
            if self.signed && i + 1 == self.len {
                negative = hi & 0x8 != 0;
                hi &= 0x7;
            }
            if hi > 9 || b & 0x0F > 9 {
                return Err(UnitError::Bcd {
                    offset: i,
                    found: b,
                });
            }
            m = m * 100 + i64::from(hi) * 10 + i64::from(b & 0x0F);
        }
        Ok(Some(Quantity {
            mantissa: if negative { -m } else { m },
            exponent: self.exponent,
            unit,
        }))
    }

    /// The largest magnitude the format holds.
    pub fn max_mantissa(&self) -> i64 {
        let all = 10i64.pow(2 * self.len as u32) - 1;
        if self.signed {
            // The top nibble keeps 3 bits: at most 7 in the leading digit.
            all - 2 * 10i64.pow(2 * self.len as u32 - 1)
        } else {
            all
        }
    }

    /// Writes `q` (or `EE` fill for `None`) into `out` (exactly `len` bytes).
    pub fn encode(&self, q: Option<Quantity>, unit: Unit, out: &mut [u8]) -> Result<(), EmitError> {
        if out.len() != self.len {
            return Err(EmitError::BufferTooSmall { needed: self.len });
        }
        let Some(q) = q else {
            out.fill(0xEE);
            return Ok(());
        };
        if q.exponent != self.exponent
            || q.unit != unit
            || (q.mantissa < 0 && !self.signed)
            || q.mantissa.unsigned_abs() > self.max_mantissa().unsigned_abs()
        {
            return Err(EmitError::Value);
        }
        let mut m = q.mantissa.unsigned_abs();
        for b in out.iter_mut() {
            let two = (m % 100) as u8;
            m /= 100;
            *b = two.to_bcd();
        }
        if q.mantissa < 0
            && let Some(last) = out.last_mut()
        {
            *last |= 0x80;
        }
        Ok(())
    }
}

/// A.1, a calendar time to the second with the weekday: ss mm hh DD (weekday D7–D5, month
/// D4–D0) YY.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    /// Year of the century, 0–99 (20YY).
    pub year: u8,
    /// 1–12.
    pub month: u8,
    /// 1–31.
    pub day: u8,
    /// 0–23.
    pub hour: u8,
    /// 0–59.
    pub minute: u8,
    /// 0–59.
    pub second: u8,
    /// 1 = Monday … 7 = Sunday; 0 = not given.
    pub weekday: u8,
}

/// A.15, a calendar time to the minute: mm hh DD MM YY.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MinuteTime {
    /// Year of the century, 0–99 (20YY).
    pub year: u8,
    /// 1–12.
    pub month: u8,
    /// 1–31.
    pub day: u8,
    /// 0–23.
    pub hour: u8,
    /// 0–59.
    pub minute: u8,
}

/// A.20, a date: DD MM YY (the daily time label Td_d).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Date {
    /// Year of the century, 0–99 (20YY).
    pub year: u8,
    /// 1–12.
    pub month: u8,
    /// 1–31.
    pub day: u8,
}

/// A.21, a month: MM YY (the monthly time label Td_m).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Month {
    /// Year of the century, 0–99 (20YY).
    pub year: u8,
    /// 1–12.
    pub month: u8,
}

/// Reads one BCD byte of `b` at index `i` within `lo..=hi`.
fn field(b: &[u8], i: usize, lo: u8, hi: u8) -> Result<u8, UnitError> {
    let v = *b.get(i).ok_or_else(|| UnitError::Truncated {
        offset: b.len(),
        needed: (i + 1).saturating_sub(b.len()),
    })?;
    bcd_in(v, i, lo, hi)
}

fn in_range(v: u8, lo: u8, hi: u8) -> Result<u8, EmitError> {
    if (lo..=hi).contains(&v) {
        Ok(v.to_bcd())
    } else {
        Err(EmitError::Range)
    }
}

impl DateTime {
    /// Bytes on the wire.
    pub const LEN: usize = 6;

    /// Decodes 6 bytes; `None` for "no data".
    pub fn decode(b: &[u8]) -> Result<Option<Self>, UnitError> {
        if is_absent(b) && b.len() == Self::LEN {
            return Ok(None);
        }
        let mb = *b.get(4).ok_or_else(|| UnitError::Truncated {
            offset: b.len(),
            needed: Self::LEN.saturating_sub(b.len()),
        })?;
        Ok(Some(Self {
            second: field(b, 0, 0, 59)?,
            minute: field(b, 1, 0, 59)?,
            hour: field(b, 2, 0, 23)?,
            day: field(b, 3, 1, 31)?,
            month: bcd_in(mb & 0x1F, 4, 1, 12)?,
            weekday: mb >> 5,
            year: field(b, 5, 0, 99)?,
        }))
    }

    /// The 6 bytes.
    pub fn encode(&self) -> Result<[u8; 6], EmitError> {
        if self.weekday > 7 {
            return Err(EmitError::Range);
        }
        Ok([
            in_range(self.second, 0, 59)?,
            in_range(self.minute, 0, 59)?,
            in_range(self.hour, 0, 23)?,
            in_range(self.day, 1, 31)?,
            in_range(self.month, 1, 12)? | self.weekday << 5,
            in_range(self.year, 0, 99)?,
        ])
    }
}

impl MinuteTime {
    /// Bytes on the wire.
    pub const LEN: usize = 5;

    /// Decodes 5 bytes (no "no data" check: see [`MinuteTime::decode_opt`]).
    pub fn decode(b: &[u8]) -> Result<Self, UnitError> {
        Ok(Self {
            minute: field(b, 0, 0, 59)?,
            hour: field(b, 1, 0, 23)?,
            day: field(b, 2, 1, 31)?,
            month: field(b, 3, 1, 12)?,
            year: field(b, 4, 0, 99)?,
        })
    }

    /// Decodes 5 bytes; `None` for "no data".
    pub fn decode_opt(b: &[u8]) -> Result<Option<Self>, UnitError> {
        if is_absent(b) && b.len() == Self::LEN {
            return Ok(None);
        }
        Self::decode(b).map(Some)
    }

    /// The 5 bytes.
    pub fn encode(&self) -> Result<[u8; 5], EmitError> {
        Ok([
            in_range(self.minute, 0, 59)?,
            in_range(self.hour, 0, 23)?,
            in_range(self.day, 1, 31)?,
            in_range(self.month, 1, 12)?,
            in_range(self.year, 0, 99)?,
        ])
    }

    /// The 5 bytes of an optional time (`EE` fill for `None`).
    pub fn encode_opt(t: Option<Self>) -> Result<[u8; 5], EmitError> {
        t.map_or(Ok([0xEE; 5]), |t| t.encode())
    }
}

impl Date {
    /// Bytes on the wire.
    pub const LEN: usize = 3;

    /// Decodes 3 bytes.
    pub fn decode(b: &[u8]) -> Result<Self, UnitError> {
        Ok(Self {
            day: field(b, 0, 1, 31)?,
            month: field(b, 1, 1, 12)?,
            year: field(b, 2, 0, 99)?,
        })
    }

    /// The 3 bytes.
    pub fn encode(&self) -> Result<[u8; 3], EmitError> {
        Ok([
            in_range(self.day, 1, 31)?,
            in_range(self.month, 1, 12)?,
            in_range(self.year, 0, 99)?,
        ])
    }
}

impl Month {
    /// Bytes on the wire.
    pub const LEN: usize = 2;

    /// Decodes 2 bytes.
    pub fn decode(b: &[u8]) -> Result<Self, UnitError> {
        Ok(Self {
            month: field(b, 0, 1, 12)?,
            year: field(b, 1, 0, 99)?,
        })
    }

    /// The 2 bytes.
    pub fn encode(&self) -> Result<[u8; 2], EmitError> {
        Ok([in_range(self.month, 1, 12)?, in_range(self.year, 0, 99)?])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a14_reading_exact() {
        // 12345.6789 kWh: digits 00 01 23 45 67 89 low byte first.
        let b = [0x89, 0x67, 0x45, 0x23, 0x01];
        let q = A14.decode(&b, Unit::KiloWattHour).unwrap().unwrap();
        assert_eq!((q.mantissa, q.exponent), (123_456_789, -4));
        let mut out = [0; 5];
        A14.encode(Some(q), Unit::KiloWattHour, &mut out).unwrap();
        assert_eq!(out, b);
        extern crate std;
        use std::string::ToString;
        assert_eq!(q.to_string(), "12345.6789 kWh");
    }

    #[test]
    fn signed_formats_and_no_data() {
        // A.9 -1.2345 kW: 45 23 81 (sign in D7 of the last byte).
        let q = A9
            .decode(&[0x45, 0x23, 0x81], Unit::KiloWatt)
            .unwrap()
            .unwrap();
        assert_eq!(q.mantissa, -12345);
        let mut out = [0; 3];
        A9.encode(Some(q), Unit::KiloWatt, &mut out).unwrap();
        assert_eq!(out, [0x45, 0x23, 0x81]);
        assert_eq!(A9.max_mantissa(), 799_999);
        assert_eq!(A5.decode(&[0xEE, 0xEE], Unit::Percent), Ok(None));
        assert_eq!(A7.decode(&[0xFF, 0xFF], Unit::Volt), Ok(None));
        assert_eq!(
            A7.decode(&[0x0A, 0x22], Unit::Volt),
            Err(UnitError::Bcd {
                offset: 0,
                found: 0x0A
            })
        );
        // Unsigned formats refuse negatives and other exponents.
        let neg = Quantity {
            mantissa: -1,
            exponent: -1,
            unit: Unit::Volt,
        };
        assert_eq!(
            A7.encode(Some(neg), Unit::Volt, &mut [0; 2]),
            Err(EmitError::Value)
        );
    }

    #[test]
    fn times_of_the_vectors() {
        // U08: ERC14 power off `40 14 31 07 10` = 2010-07-31 14:40.
        let t = MinuteTime::decode(&[0x40, 0x14, 0x31, 0x07, 0x10]).unwrap();
        assert_eq!(
            (t.year, t.month, t.day, t.hour, t.minute),
            (10, 7, 31, 14, 40)
        );
        // Notes §2.5: Td_d `25 12 11` = 2011-12-25.
        let d = Date::decode(&[0x25, 0x12, 0x11]).unwrap();
        assert_eq!((d.year, d.month, d.day), (11, 12, 25));
        // A.1 with weekday 3 (Wednesday) in D7–D5 of the month byte.
        let dt = DateTime::decode(&[0x05, 0x04, 0x03, 0x02, 0x61, 0x26])
            .unwrap()
            .unwrap();
        assert_eq!((dt.weekday, dt.month, dt.year), (3, 1, 26));
        assert_eq!(dt.encode().unwrap(), [0x05, 0x04, 0x03, 0x02, 0x61, 0x26]);
        assert_eq!(
            Month::decode(&[0x13, 0x10]),
            Err(UnitError::Range { offset: 0 })
        );
    }
}
