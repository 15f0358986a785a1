//! Writing a meter's values into reply bytes, field by field, in the formats the `dlt645`
//! catalogue gives for each DI (the same table the concentrator decodes with).

use concentrator_core::DateTime as Calendar;
use dlt645::Decimal;
use dlt645::catalogue::{Format, Layout, Repeat, TimeFormat};

/// One value a simulated meter knows, before it is written in a field's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sample {
    /// An exact number, rescaled to the field's exponent (truncated, as a meter display does).
    Number(Decimal),
    /// A calendar time, seconds since 2000-01-01 00:00:00.
    Time(i64),
    /// A BCD number read as digits (addresses).
    Digits(u64),
    /// A 2-byte status word (1 byte for the 1997 status word).
    Status(u16),
    /// Not available: the field is sent as all FF (2007 Appendix A).
    Absent,
}

/// A value does not fit the field the catalogue gives for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mismatch;

/// Write `head` (if the layout has one) and the records of `samples` (one sample per field of
/// a record, in field order) as the catalogue lays them out.
pub(crate) fn encode(
    layout: &Layout,
    head: Option<Sample>,
    samples: &[Sample],
    out: &mut Vec<u8>,
) -> Result<(), Mismatch> {
    if let Some(field) = layout.head {
        put(field.format, head.unwrap_or(Sample::Absent), out)?;
    }
    let fields: Vec<Format> = layout.record.iter().flatten().map(|f| f.format).collect();
    if fields.is_empty()
        || !samples.len().is_multiple_of(fields.len())
        || (layout.repeat == Repeat::Once && samples.len() != fields.len())
    {
        return Err(Mismatch);
    }
    for (format, sample) in fields.iter().cycle().zip(samples) {
        put(*format, *sample, out)?;
    }
    Ok(())
}

/// Write one field.
pub(crate) fn put(format: Format, sample: Sample, out: &mut Vec<u8>) -> Result<(), Mismatch> {
    if sample == Sample::Absent {
        out.extend(std::iter::repeat_n(0xFF, format.wire_len()));
        return Ok(());
    }
    match (format, sample) {
        (
            Format::Bcd {
                len,
                exponent,
                signed,
                ..
            },
            Sample::Number(d),
        ) => {
            let m = rescale(d, exponent);
            let digits = 2 * u32::from(len);
            let magnitude = m.unsigned_abs() % 10u64.pow(digits);
            let start = out.len();
            put_bcd(magnitude, len, out);
            if signed {
                // 2007 Appendix A: the sign is bit 7 of the most significant byte, so the top
                // digit must stay below 8.
                let top = out.last_mut().ok_or(Mismatch)?;
                if *top & 0x80 != 0 {
                    return Err(Mismatch);
                }
                if m < 0 {
                    *top |= 0x80;
                }
            } else if m < 0 {
                out.truncate(start);
                return Err(Mismatch);
            }
            Ok(())
        }
        (Format::Digits(len), Sample::Digits(n)) => {
            put_bcd(n % 10u64.pow(2 * u32::from(len)), len, out);
            Ok(())
        }
        (Format::Status { .. }, Sample::Status(w)) => {
            out.extend_from_slice(&w.to_le_bytes());
            Ok(())
        }
        (Format::Status97, Sample::Status(w)) => {
            out.push(u8::try_from(w).map_err(|_| Mismatch)?);
            Ok(())
        }
        (Format::Time(t), Sample::Time(secs)) => put_time(t, secs, out),
        _ => Err(Mismatch),
    }
}

/// `d` as a mantissa at `exponent`, truncated toward zero when `d` is finer.
fn rescale(d: Decimal, exponent: i8) -> i64 {
    let shift = i32::from(d.exponent) - i32::from(exponent);
    if shift >= 0 {
        d.mantissa
            .saturating_mul(10i64.saturating_pow(shift.unsigned_abs()))
    } else {
        d.mantissa / 10i64.saturating_pow(shift.unsigned_abs())
    }
}

/// `n` as `len` bytes of packed BCD, lowest pair of digits first.
pub(crate) fn put_bcd(mut n: u64, len: u8, out: &mut Vec<u8>) {
    for _ in 0..len {
        out.push(bcd((n % 100) as u8));
        n /= 100;
    }
}

/// Two BCD digits of `v` (< 100).
pub(crate) fn bcd(v: u8) -> u8 {
    ((v / 10) << 4) | (v % 10)
}

/// A calendar field: the fields as the standard writes them, reversed on the wire.
fn put_time(format: TimeFormat, secs: i64, out: &mut Vec<u8>) -> Result<(), Mismatch> {
    let t = Calendar::from_seconds_since_2000(secs).ok_or(Mismatch)?;
    let yy = (t.year() - 2000) as u8;
    let written: Vec<u8> = match format {
        TimeFormat::YYMMDDWW => vec![yy, t.month(), t.day(), t.weekday()],
        TimeFormat::Hhmmss => vec![t.hour(), t.minute(), t.second()],
        TimeFormat::YYMMDDWWhhmmss => vec![
            yy,
            t.month(),
            t.day(),
            t.weekday(),
            t.hour(),
            t.minute(),
            t.second(),
        ],
        TimeFormat::YYMMDDhhmmss => {
            vec![yy, t.month(), t.day(), t.hour(), t.minute(), t.second()]
        }
        TimeFormat::YYMMDDhhmm => vec![yy, t.month(), t.day(), t.hour(), t.minute()],
        TimeFormat::MMDDhhmm => vec![t.month(), t.day(), t.hour(), t.minute()],
        TimeFormat::DDhh => vec![t.day(), t.hour()],
    };
    out.extend(written.iter().rev().map(|v| bcd(*v)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dlt645::catalogue::lookup;
    use dlt645::{Di, Payload, Unit, Value, catalogue};

    #[test]
    fn energy_as_in_vector_v05() {
        // frames.tsv V05: 0.26 kWh is `26 00 00 00` (plain).
        let layout = lookup(Di(0x0001_0000)).unwrap();
        let mut out = Vec::new();
        let v = Decimal {
            mantissa: 260_000,
            exponent: -6,
        };
        encode(&layout, None, &[Sample::Number(v)], &mut out).unwrap();
        assert_eq!(out, [0x26, 0, 0, 0]);
    }

    #[test]
    fn signed_current_round_trips_through_the_catalogue() {
        let mut out = Vec::new();
        let layout = lookup(Di(0x0202_0100)).unwrap();
        let v = Decimal {
            mantissa: -1234,
            exponent: -3,
        };
        encode(&layout, None, &[Sample::Number(v)], &mut out).unwrap();
        let item = catalogue::decode(Di(0x0202_0100), Payload::Plain(&out), false)
            .next()
            .unwrap();
        let Value::Number(q) = item.value else {
            panic!("{item:?}")
        };
        assert_eq!((q.value, q.unit), (v, Unit::Ampere));
    }

    #[test]
    fn date_as_in_vector_v15() {
        // frames.tsv V15: 2016-01-11, weekday 1 is `01 11 01 16` on the wire (plain).
        let secs = Calendar::new(2016, 1, 11, 0, 0, 0)
            .unwrap()
            .seconds_since_2000();
        let mut out = Vec::new();
        put(
            Format::Time(TimeFormat::YYMMDDWW),
            Sample::Time(secs),
            &mut out,
        )
        .unwrap();
        assert_eq!(out, [0x01, 0x11, 0x01, 0x16]);
    }

    #[test]
    fn absent_is_all_ff_and_wrong_kinds_are_refused() {
        let mut out = Vec::new();
        let f = Format::Time(TimeFormat::YYMMDDhhmm);
        put(f, Sample::Absent, &mut out).unwrap();
        assert_eq!(out, [0xFF; 5]);
        assert_eq!(put(f, Sample::Digits(1), &mut out), Err(Mismatch));
        let unsigned = lookup(Di(0x0001_0000)).unwrap().record[0].unwrap().format;
        let negative = Sample::Number(Decimal {
            mantissa: -1,
            exponent: -2,
        });
        assert_eq!(put(unsigned, negative, &mut out), Err(Mismatch));
    }
}
