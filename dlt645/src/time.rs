//! Calendar fields carried in commands and values (BCD, sent lowest field first).

use core::fmt;

use crate::bcd;
use crate::{Error, Payload};

/// Read `N` BCD bytes from `p` at `at`; error offsets start at `base + at`.
#[inline]
pub(crate) fn bcd_fields<const N: usize>(
    p: &Payload<'_>,
    at: usize,
    base: usize,
) -> Result<[u8; N], Error> {
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        let b = p.get(at + i).ok_or(Error::Truncated { needed: N - i })?;
        *o = bcd::decode(b).ok_or(Error::BadBcd {
            offset: base + at + i,
            found: b,
        })?;
    }
    Ok(out)
}

#[inline]
pub(crate) fn enc(v: u8, field: &'static str) -> Result<u8, Error> {
    bcd::encode(v).ok_or(Error::BadField { field })
}

#[inline]
fn year2(year: u16) -> Result<u8, Error> {
    if (2000..=2099).contains(&year) {
        Ok((year - 2000) as u8)
    } else {
        Err(Error::BadField { field: "year" })
    }
}

/// A date and time to the second: broadcast time (0x08) and the switch deadline (0x1C).
///
/// Wire order `ss mm hh DD MM YY` (written YYMMDDhhmmss in the standard, low field first on
/// the wire). Years are 2000..=2099. Fields are kept as read, not range-checked, so parsing
/// is lossless; emitting needs each field to fit two BCD digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateTime {
    /// Year, 2000..=2099.
    pub year: u16,
    /// Month 1..=12.
    pub month: u8,
    /// Day 1..=31.
    pub day: u8,
    /// Hour 0..=23.
    pub hour: u8,
    /// Minute 0..=59.
    pub minute: u8,
    /// Second 0..=59.
    pub second: u8,
}

impl DateTime {
    #[inline]
    pub(crate) fn parse(p: &Payload<'_>, at: usize, base: usize) -> Result<DateTime, Error> {
        let [ss, mm, hh, dd, mo, yy] = bcd_fields::<6>(p, at, base)?;
        Ok(DateTime {
            year: 2000 + u16::from(yy),
            month: mo,
            day: dd,
            hour: hh,
            minute: mm,
            second: ss,
        })
    }

    #[inline]
    pub(crate) fn wire(&self) -> Result<[u8; 6], Error> {
        Ok([
            enc(self.second, "second")?,
            enc(self.minute, "minute")?,
            enc(self.hour, "hour")?,
            enc(self.day, "day")?,
            enc(self.month, "month")?,
            enc(year2(self.year)?, "year")?,
        ])
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// A date and time to the minute: the start of a load-curve read (0x11, L = 10).
///
/// Wire order `mm hh DD MM YY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MinuteTime {
    /// Year, 2000..=2099.
    pub year: u16,
    /// Month 1..=12.
    pub month: u8,
    /// Day 1..=31.
    pub day: u8,
    /// Hour 0..=23.
    pub hour: u8,
    /// Minute 0..=59.
    pub minute: u8,
}

impl MinuteTime {
    #[inline]
    pub(crate) fn parse(p: &Payload<'_>, at: usize, base: usize) -> Result<MinuteTime, Error> {
        let [mm, hh, dd, mo, yy] = bcd_fields::<5>(p, at, base)?;
        Ok(MinuteTime {
            year: 2000 + u16::from(yy),
            month: mo,
            day: dd,
            hour: hh,
            minute: mm,
        })
    }

    #[inline]
    pub(crate) fn wire(&self) -> Result<[u8; 5], Error> {
        Ok([
            enc(self.minute, "minute")?,
            enc(self.hour, "hour")?,
            enc(self.day, "day")?,
            enc(self.month, "month")?,
            enc(year2(self.year)?, "year")?,
        ])
    }
}

impl fmt::Display for MinuteTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute
        )
    }
}

/// When to freeze (0x16): `mm hh DD MM`, where 99 in a field is the wildcard
/// (2007 §5.9: 99DDhhmm monthly, 9999hhmm daily, 999999mm hourly, 99999999 immediately).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FreezeTime {
    /// Month, or 99 for every month.
    pub month: u8,
    /// Day, or 99 for every day.
    pub day: u8,
    /// Hour, or 99 for every hour.
    pub hour: u8,
    /// Minute, or 99 (with all others 99: freeze now).
    pub minute: u8,
}

impl FreezeTime {
    /// The wildcard value of a field.
    pub const ANY: u8 = 99;
    /// Freeze immediately (99999999).
    pub const NOW: FreezeTime = FreezeTime {
        month: 99,
        day: 99,
        hour: 99,
        minute: 99,
    };

    #[inline]
    pub(crate) fn parse(p: &Payload<'_>, at: usize, base: usize) -> Result<FreezeTime, Error> {
        let [mm, hh, dd, mo] = bcd_fields::<4>(p, at, base)?;
        Ok(FreezeTime {
            month: mo,
            day: dd,
            hour: hh,
            minute: mm,
        })
    }

    #[inline]
    pub(crate) fn wire(&self) -> Result<[u8; 4], Error> {
        Ok([
            enc(self.minute, "minute")?,
            enc(self.hour, "hour")?,
            enc(self.day, "day")?,
            enc(self.month, "month")?,
        ])
    }
}

/// A calendar value read from a meter; only the fields its format carries are set.
///
/// Displayed as `YYYY-MM-DD`, then ` weekday N` when a weekday is present, then
/// `hh:mm[:ss]`; a month/day without year shows `MM-DD`, a day with hour `DD hh`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Timestamp {
    /// Year (2000 + YY).
    pub year: Option<u16>,
    /// Month.
    pub month: Option<u8>,
    /// Day of month.
    pub day: Option<u8>,
    /// Weekday, 0 = Sunday.
    pub weekday: Option<u8>,
    /// Hour.
    pub hour: Option<u8>,
    /// Minute.
    pub minute: Option<u8>,
    /// Second.
    pub second: Option<u8>,
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        match (self.year, self.month, self.day) {
            (Some(y), Some(m), Some(d)) => {
                write!(f, "{y:04}-{m:02}-{d:02}")?;
                sep = " ";
            }
            (None, Some(m), Some(d)) => {
                write!(f, "{m:02}-{d:02}")?;
                sep = " ";
            }
            (None, None, Some(d)) => {
                write!(f, "day {d:02}")?;
                sep = " ";
            }
            _ => {}
        }
        if let Some(w) = self.weekday {
            write!(f, "{sep}weekday {w}")?;
            sep = " ";
        }
        match (self.hour, self.minute, self.second) {
            (Some(h), Some(m), Some(s)) => write!(f, "{sep}{h:02}:{m:02}:{s:02}"),
            (Some(h), Some(m), None) => write!(f, "{sep}{h:02}:{m:02}"),
            (Some(h), None, None) => write!(f, "{sep}{h:02}h"),
            _ => Ok(()),
        }
    }
}
