//! Record values, kept exact: integers and BCD as `i64`, time points as their fields, text
//! and binary as borrowed bytes (EN 13757-3 Annex A data types A, B, F, G, H, I, J).

use crate::app::header::ByteOrder;

/// An exact decimal number: `mantissa × 10^exponent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Number {
    /// The integer mantissa.
    pub mantissa: i64,
    /// The power of ten.
    pub exponent: i8,
}

impl Number {
    /// A display convenience: the value as `f64` (may round; never use it for billing).
    pub fn to_f64(self) -> f64 {
        self.mantissa as f64 * pow10(self.exponent)
    }
}

impl core::fmt::Display for Number {
    /// Exact decimal notation: `123.45`, `-0.001`, `12000`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let neg = self.mantissa < 0;
        let abs = self.mantissa.unsigned_abs();
        if neg {
            f.write_str("-")?;
        }
        if self.exponent >= 0 {
            write!(f, "{abs}")?;
            for _ in 0..self.exponent {
                f.write_str("0")?;
            }
            return Ok(());
        }
        let scale = u32::from(self.exponent.unsigned_abs());
        let mut digits = [0u8; 20];
        let mut n = 0;
        let mut v = abs;
        loop {
            if let Some(slot) = digits.get_mut(n) {
                *slot = (v % 10) as u8;
            }
            n += 1;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        let total = n.max(scale as usize + 1);
        for i in (0..total).rev() {
            let digit = if i < n {
                digits.get(i).copied().unwrap_or(0)
            } else {
                0
            };
            write!(f, "{digit}")?;
            if i == scale as usize && i != 0 {
                f.write_str(".")?;
            }
        }
        Ok(())
    }
}

/// 10^e as the nearest `f64` (the same value a decimal literal `1e{e}` gives).
pub fn pow10(e: i8) -> f64 {
    const POS: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    const NEG: [f64; 23] = [
        1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13,
        1e-14, 1e-15, 1e-16, 1e-17, 1e-18, 1e-19, 1e-20, 1e-21, 1e-22,
    ];
    let i = usize::from(e.unsigned_abs());
    let table = if e >= 0 { &POS } else { &NEG };
    match table.get(i) {
        Some(v) => *v,
        None => {
            let mut v = 1.0f64;
            for _ in 0..i {
                if e >= 0 {
                    v *= 10.0;
                } else {
                    v /= 10.0;
                }
            }
            v
        }
    }
}

/// Which compound time type a time point was sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeType {
    /// Type G, 2 bytes: date.
    G,
    /// Type J, 3 bytes: time of day.
    J,
    /// Type F, 4 bytes: date and time to the minute.
    F,
    /// Type I, 6 bytes: date and time to the second.
    I,
}

/// A time point as sent (EN 13757-3 Annex A). Fields the type does not carry are 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    /// The type it was sent as.
    pub kind: TimeType,
    /// Year within the century, 7 bits as sent (0..127; valid values are 0..99).
    pub year: u8,
    /// Hundred-year bits of type F (0..3), when the type carries them.
    pub century: Option<u8>,
    /// Month 1..12 (0 if absent or invalid).
    pub month: u8,
    /// Day 1..31 (0 if absent or invalid).
    pub day: u8,
    /// Hour 0..23.
    pub hour: u8,
    /// Minute 0..59.
    pub minute: u8,
    /// Second 0..59.
    pub second: u8,
    /// The IV bit: the meter marks this time as invalid.
    pub invalid: bool,
    /// The SU bit: summer time.
    pub summer_time: bool,
}

impl DateTime {
    /// Decode a time point from `bytes` (2, 3, 4 or 6 bytes, LSB first); `None` for any
    /// other length.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let b = |i: usize| bytes.get(i).copied().unwrap_or(0);
        // Year: low 3 bits in bits 5-7 of the day byte, high 4 bits in bits 4-7 of the month
        // byte (types F, G, I).
        let year = |day: u8, month: u8| ((day & 0xE0) >> 5) | ((month & 0xF0) >> 1);
        let blank = DateTime {
            kind: TimeType::G,
            year: 0,
            century: None,
            month: 0,
            day: 0,
            hour: 0,
            minute: 0,
            second: 0,
            invalid: false,
            summer_time: false,
        };
        Some(match bytes.len() {
            2 => DateTime {
                kind: TimeType::G,
                year: year(b(0), b(1)),
                month: b(1) & 0x0F,
                day: b(0) & 0x1F,
                ..blank
            },
            3 => DateTime {
                kind: TimeType::J,
                second: b(0) & 0x3F,
                minute: b(1) & 0x3F,
                hour: b(2) & 0x1F,
                ..blank
            },
            4 => DateTime {
                kind: TimeType::F,
                minute: b(0) & 0x3F,
                invalid: b(0) & 0x80 != 0,
                hour: b(1) & 0x1F,
                century: Some((b(1) >> 5) & 0x03),
                summer_time: b(1) & 0x80 != 0,
                day: b(2) & 0x1F,
                month: b(3) & 0x0F,
                year: year(b(2), b(3)),
                ..blank
            },
            // Type I: the byte layout libmbus decodes (second, minute with IV in bit 7,
            // hour, then day/month/year as type F); SU is bit 6 of the first byte.
            6 => DateTime {
                kind: TimeType::I,
                second: b(0) & 0x3F,
                summer_time: b(0) & 0x40 != 0,
                minute: b(1) & 0x3F,
                invalid: b(1) & 0x80 != 0,
                hour: b(2) & 0x1F,
                day: b(3) & 0x1F,
                month: b(4) & 0x0F,
                year: year(b(3), b(4)),
                ..blank
            },
            _ => return None,
        })
    }

    /// The full year, or `None` for type J. Type F's hundred-year bits count from 1900; with
    /// hundred-year 0 (or no such bits) a year up to 80 means 20xx, as EN 13757-3 recommends
    /// for meters that leave those bits 0.
    pub fn full_year(&self) -> Option<u16> {
        if self.kind == TimeType::J {
            return None;
        }
        let yy = u16::from(self.year);
        Some(match self.century {
            Some(c) if c > 0 => 1900 + 100 * u16::from(c) + yy,
            _ if yy <= 80 => 2000 + yy,
            _ => 1900 + yy,
        })
    }

    /// Encode into `out` (its length selects the type: 2, 3, 4 or 6 bytes).
    pub fn encode(&self, out: &mut [u8]) -> Option<()> {
        let y_lo = (self.year & 0x07) << 5;
        let y_hi = (self.year & 0x78) << 1;
        let bytes: &[u8] = match out.len() {
            2 => &[y_lo | (self.day & 0x1F), y_hi | (self.month & 0x0F)],
            3 => &[self.second & 0x3F, self.minute & 0x3F, self.hour & 0x1F],
            4 => &[
                (self.minute & 0x3F) | if self.invalid { 0x80 } else { 0 },
                (self.hour & 0x1F)
                    | (self.century.unwrap_or(0) & 0x03) << 5
                    | if self.summer_time { 0x80 } else { 0 },
                y_lo | (self.day & 0x1F),
                y_hi | (self.month & 0x0F),
            ],
            6 => &[
                (self.second & 0x3F) | if self.summer_time { 0x40 } else { 0 },
                (self.minute & 0x3F) | if self.invalid { 0x80 } else { 0 },
                self.hour & 0x1F,
                y_lo | (self.day & 0x1F),
                y_hi | (self.month & 0x0F),
                0,
            ],
            _ => return None,
        };
        out.copy_from_slice(bytes);
        Some(())
    }
}

/// A record's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// No data (data field 0x0, or selection for readout 0x8).
    None,
    /// A signed binary integer (type B, 8..64 bits).
    Integer(i64),
    /// A BCD number (type A). With `invalid_digits` a nibble A..E was found (or F below the
    /// top): libmbus-style lenient decoding gave `value` (an A..F nibble in a high half-byte
    /// counts 0, in a low half-byte its hex value), and the record is flagged.
    Bcd {
        /// The decoded value (top nibble F makes it negative).
        value: i64,
        /// A nibble was not a decimal digit.
        invalid_digits: bool,
    },
    /// A BCD number too long for `i64` (LVAR BCD over 18 digits): raw bytes, LSB first.
    LongBcd {
        /// The packed BCD bytes as sent.
        bytes: &'a [u8],
        /// Negative (LVAR 0xD0..0xDF).
        negative: bool,
    },
    /// A 32-bit IEEE 754 real (type H).
    Real(f32),
    /// A time point (types F, G, I, J).
    DateTime(DateTime),
    /// LVAR text as sent: the characters in reverse order (EN 13757-3 sends the last
    /// character first). Use [`Value::text`] for reading order.
    Text(&'a [u8]),
    /// Binary data (LVAR 0xE0..0xF6), as sent.
    Binary(&'a [u8]),
    /// Manufacturer-specific data after DIF 0x0F/0x1F, as sent.
    Manufacturer(&'a [u8]),
}

impl<'a> Value<'a> {
    /// LVAR text in reading order.
    pub fn text(&self) -> Option<impl Iterator<Item = char> + 'a> {
        match *self {
            Value::Text(t) => Some(t.iter().rev().map(|&b| char::from(b))),
            _ => None,
        }
    }

    /// The integer a numeric value carries (integer or BCD).
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Integer(v) | Value::Bcd { value: v, .. } => Some(v),
            _ => None,
        }
    }
}

/// Decode a signed two's complement integer of 1..8 bytes.
pub fn decode_int(bytes: &[u8], order: ByteOrder) -> i64 {
    let n = bytes.len().min(8);
    if n == 0 {
        return 0;
    }
    let mut v: u64 = 0;
    match order {
        ByteOrder::LsbFirst => {
            for &b in bytes.iter().take(n).rev() {
                v = (v << 8) | u64::from(b);
            }
        }
        ByteOrder::MsbFirst => {
            for &b in bytes.iter().take(n) {
                v = (v << 8) | u64::from(b);
            }
        }
    }
    let shift = 64 - 8 * n as u32;
    ((v << shift) as i64) >> shift
}

/// Encode the low `out.len()` bytes of `v`; `None` if `v` does not fit in that many bytes
/// as a signed integer.
pub fn encode_int(v: i64, out: &mut [u8], order: ByteOrder) -> Option<()> {
    let n = out.len();
    if n == 0 || n > 8 {
        return None;
    }
    if n < 8 {
        let bits = 8 * n as u32;
        let min = -(1i64 << (bits - 1));
        let max = (1i64 << (bits - 1)) - 1;
        if v < min || v > max {
            return None;
        }
    }
    let le = v.to_le_bytes();
    for i in 0..n {
        let idx = match order {
            ByteOrder::LsbFirst => i,
            ByteOrder::MsbFirst => n - 1 - i,
        };
        *out.get_mut(idx)? = *le.get(i)?;
    }
    Some(())
}

/// Decode packed BCD (LSB first unless `order` says otherwise), leniently: returns the value
/// and whether every nibble was a decimal digit (a top nibble F is the minus sign).
///
/// Lenient rule (the one libmbus applies, so both agree on field telegrams): a high nibble
/// above 9 counts 0, a low nibble above 9 counts its hex value.
pub fn decode_bcd(bytes: &[u8], order: ByteOrder) -> (i64, bool) {
    // Most significant byte first.
    fn fold<'b>(msb_first: impl Iterator<Item = &'b u8>) -> (i64, bool, u8) {
        let mut v: i64 = 0;
        let mut valid = true;
        let mut top = None;
        for &byte in msb_first {
            let hi = byte >> 4;
            let lo = byte & 0x0F;
            v = v.wrapping_mul(10);
            if hi < 10 {
                v = v.wrapping_add(i64::from(hi));
            } else if !(top.is_none() && hi == 0xF) {
                valid = false;
            }
            if top.is_none() {
                top = Some(hi);
            }
            valid &= lo < 10;
            v = v.wrapping_mul(10).wrapping_add(i64::from(lo));
        }
        (v, valid, top.unwrap_or(0))
    }
    let (v, valid, top) = match order {
        ByteOrder::LsbFirst => fold(bytes.iter().rev()),
        ByteOrder::MsbFirst => fold(bytes.iter()),
    };
    (if top == 0xF { v.wrapping_neg() } else { v }, valid)
}

/// Encode `v` as packed BCD into `out` (LSB first unless `order` says otherwise); a
/// negative value puts F in the top nibble, so it has one digit fewer. `None` if it does not
/// fit.
pub fn encode_bcd(v: i64, out: &mut [u8], order: ByteOrder) -> Option<()> {
    let n = out.len();
    let digits = 2 * n;
    let neg = v < 0;
    let mut rest = v.unsigned_abs();
    let mut nibbles = [0u8; 40];
    for slot in nibbles.iter_mut().take(digits) {
        *slot = (rest % 10) as u8;
        rest /= 10;
    }
    if rest != 0 {
        return None;
    }
    if neg {
        let top = nibbles.get_mut(digits.checked_sub(1)?)?;
        if *top != 0 {
            return None;
        }
        *top = 0xF;
    }
    for i in 0..n {
        let byte = nibbles.get(2 * i).copied()? | nibbles.get(2 * i + 1).copied()? << 4;
        let idx = match order {
            ByteOrder::LsbFirst => i,
            ByteOrder::MsbFirst => n - 1 - i,
        };
        *out.get_mut(idx)? = byte;
    }
    Some(())
}
