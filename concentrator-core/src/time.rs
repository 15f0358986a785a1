//! Time: the monotonic instant/duration pair (milliseconds, from `fugit`, the same types as
//! `rs485-link`) and a plain calendar date-time fed in through [`WallClock`].

use thiserror::Error;

/// A point on the caller's monotonic clock, in milliseconds (same type as `rs485_link::Instant`).
pub type Instant = fugit::TimerInstantU64<1000>;

/// A span of the caller's monotonic clock, in milliseconds (same type as `rs485_link::Duration`).
pub type Duration = fugit::TimerDurationU64<1000>;

/// A calendar date and time of day (local time of the installation), second resolution.
///
/// Plain data: no time zone, no leap seconds. DL/T 645 carries two-digit years, so the range is
/// 2000-01-01 00:00:00 ..= 2099-12-31 23:59:59.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
}

/// Which field of a [`DateTime`] was out of range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DateTimeError {
    /// The year is outside 2000..=2099.
    #[error("year {0} outside 2000..=2099")]
    Year(u16),
    /// The month is outside 1..=12.
    #[error("month {0} outside 1..=12")]
    Month(u8),
    /// The day does not exist in that month.
    #[error("day {0} does not exist in that month")]
    Day(u8),
    /// The hour is outside 0..=23.
    #[error("hour {0} outside 0..=23")]
    Hour(u8),
    /// The minute is outside 0..=59.
    #[error("minute {0} outside 0..=59")]
    Minute(u8),
    /// The second is outside 0..=59.
    #[error("second {0} outside 0..=59")]
    Second(u8),
}

const fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

const fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Seconds in a day.
const DAY: i64 = 86_400;

/// Days of a common year before the first of each month.
const DAYS_BEFORE_MONTH: [u16; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

impl DateTime {
    /// The earliest representable date-time, 2000-01-01 00:00:00.
    pub const MIN: DateTime = DateTime {
        year: 2000,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
    };

    /// Builds a date-time, checking every field.
    pub const fn new(
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    ) -> Result<Self, DateTimeError> {
        if year < 2000 || year > 2099 {
            return Err(DateTimeError::Year(year));
        }
        if month < 1 || month > 12 {
            return Err(DateTimeError::Month(month));
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(DateTimeError::Day(day));
        }
        if hour > 23 {
            return Err(DateTimeError::Hour(hour));
        }
        if minute > 59 {
            return Err(DateTimeError::Minute(minute));
        }
        if second > 59 {
            return Err(DateTimeError::Second(second));
        }
        Ok(DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
        })
    }

    /// The year (2000..=2099).
    pub const fn year(&self) -> u16 {
        self.year
    }
    /// The month (1..=12).
    pub const fn month(&self) -> u8 {
        self.month
    }
    /// The day of the month (1..=31).
    pub const fn day(&self) -> u8 {
        self.day
    }
    /// The hour (0..=23).
    pub const fn hour(&self) -> u8 {
        self.hour
    }
    /// The minute (0..=59).
    pub const fn minute(&self) -> u8 {
        self.minute
    }
    /// The second (0..=59).
    pub const fn second(&self) -> u8 {
        self.second
    }

    /// Days since 2000-01-01 (a Saturday).
    pub fn days_since_2000(&self) -> i64 {
        let years = i64::from(self.year) - 2000;
        // Leap years before this one since 2000 (2000 is leap, 2100 is outside the range).
        let leaps = (years + 3) / 4;
        let before_month = DAYS_BEFORE_MONTH
            .get(usize::from(self.month.saturating_sub(1)))
            .copied()
            .unwrap_or(0);
        let feb29 = i64::from(is_leap(self.year) && self.month > 2);
        years * 365 + leaps + i64::from(before_month) + feb29 + i64::from(self.day) - 1
    }

    /// Seconds since 2000-01-01 00:00:00.
    pub fn seconds_since_2000(&self) -> i64 {
        self.days_since_2000() * DAY
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// The date-time `secs` seconds after 2000-01-01 00:00:00, or `None` outside the range.
    pub fn from_seconds_since_2000(secs: i64) -> Option<Self> {
        if secs < 0 {
            return None;
        }
        let days = secs / DAY;
        let rem = secs % DAY;
        // Four-year cycles of 1461 days, each starting with a leap year (2000, 2004, ..).
        let cycle = days / 1461;
        let in_cycle = days % 1461;
        let (year_in_cycle, mut day_of_year) = if in_cycle < 366 {
            (0, in_cycle)
        } else {
            (1 + (in_cycle - 366) / 365, (in_cycle - 366) % 365)
        };
        let year = 2000 + cycle * 4 + year_in_cycle;
        if year > 2099 {
            return None;
        }
        // `year` is within 2000..=2099 here.
        let year = year as u16;
        let mut month = 1u8;
        while month < 12 {
            let len = i64::from(days_in_month(year, month));
            if day_of_year < len {
                break;
            }
            day_of_year -= len;
            month += 1;
        }
        // Each component is below its bound by construction, so the narrowing casts are exact.
        DateTime::new(
            year,
            month,
            (day_of_year + 1) as u8,
            (rem / 3600) as u8,
            (rem % 3600 / 60) as u8,
            (rem % 60) as u8,
        )
        .ok()
    }

    /// This date-time moved by `secs` seconds (either way), or `None` outside the range.
    pub fn add_seconds(&self, secs: i64) -> Option<Self> {
        Self::from_seconds_since_2000(self.seconds_since_2000().checked_add(secs)?)
    }

    /// Day of the week, 0 = Sunday .. 6 = Saturday (the DL/T 645 `WW` field).
    pub fn weekday(&self) -> u8 {
        // 2000-01-01 was a Saturday (6).
        ((self.days_since_2000() + 6) % 7) as u8
    }

    /// Minutes since midnight.
    pub const fn minute_of_day(&self) -> u16 {
        self.hour as u16 * 60 + self.minute as u16
    }
}

impl core::fmt::Display for DateTime {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// The installation's calendar clock, as the engine sees it.
///
/// The engine asks it for the wall-clock time that goes with a monotonic instant it was given;
/// schedules (midnight, quarter hours, first of the month) and clock sync use the answer.
pub trait WallClock {
    /// The calendar time at monotonic instant `now`.
    fn now(&self, now: Instant) -> DateTime;
}

/// A wall clock that is a fixed calendar time at monotonic instant 0 and runs with the monotonic
/// clock: what a simulation or a concentrator with a synchronised clock uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetClock {
    /// The calendar time at monotonic instant 0.
    pub epoch: DateTime,
}

impl WallClock for OffsetClock {
    fn now(&self, now: Instant) -> DateTime {
        let secs = i64::try_from(now.duration_since_epoch().to_secs()).unwrap_or(i64::MAX);
        self.epoch.add_seconds(secs).unwrap_or(DateTime {
            year: 2099,
            month: 12,
            day: 31,
            hour: 23,
            minute: 59,
            second: 59,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_weekday() {
        let d = DateTime::new(2016, 1, 11, 21, 53, 55).unwrap();
        // Vector V15 of shared/vectors/dlt645/frames.tsv: 2016-01-11 is weekday 1 (Monday).
        assert_eq!(d.weekday(), 1);
        let s = d.seconds_since_2000();
        assert_eq!(DateTime::from_seconds_since_2000(s), Some(d));
        assert_eq!(
            DateTime::new(2024, 2, 28, 23, 59, 59)
                .unwrap()
                .add_seconds(1),
            Some(DateTime::new(2024, 2, 29, 0, 0, 0).unwrap())
        );
        assert_eq!(
            DateTime::new(2023, 2, 29, 0, 0, 0),
            Err(DateTimeError::Day(29))
        );
        assert_eq!(
            DateTime::new(2100, 1, 1, 0, 0, 0),
            Err(DateTimeError::Year(2100))
        );
    }

    proptest::proptest! {
        #[test]
        fn seconds_round_trip_and_ordering(a in 0i64..3_155_760_000, b in 0i64..3_155_760_000) {
            let da = DateTime::from_seconds_since_2000(a).unwrap();
            let db = DateTime::from_seconds_since_2000(b).unwrap();
            proptest::prop_assert_eq!(da.seconds_since_2000(), a);
            // The derived field order is calendar order.
            proptest::prop_assert_eq!(da.cmp(&db), a.cmp(&b));
            proptest::prop_assert_eq!(da.add_seconds(b - a), Some(db));
        }

        #[test]
        fn new_accepts_exactly_the_valid_fields(
            y in 1990u16..2110, mo in 0u8..14, d in 0u8..33, h in 0u8..26, mi in 0u8..62, s in 0u8..62
        ) {
            let ok = (2000..=2099).contains(&y) && (1..=12).contains(&mo)
                && d >= 1 && d <= days_in_month(y, mo) && h < 24 && mi < 60 && s < 60;
            proptest::prop_assert_eq!(DateTime::new(y, mo, d, h, mi, s).is_ok(), ok);
        }
    }

    #[test]
    fn every_day_of_the_century_round_trips() {
        let mut expected = DateTime::MIN;
        for day in 0..36_525i64 {
            let d = DateTime::from_seconds_since_2000(day * DAY + 3661).unwrap();
            assert_eq!(
                (d.year, d.month, d.day),
                (expected.year, expected.month, expected.day)
            );
            assert_eq!((d.hour, d.minute, d.second), (1, 1, 1));
            assert_eq!(d.days_since_2000(), day);
            // The next calendar day, counted the slow way.
            expected = if expected.day < days_in_month(expected.year, expected.month) {
                DateTime {
                    day: expected.day + 1,
                    ..expected
                }
            } else if expected.month < 12 {
                DateTime {
                    month: expected.month + 1,
                    day: 1,
                    ..expected
                }
            } else {
                DateTime {
                    year: expected.year + 1,
                    month: 1,
                    day: 1,
                    ..expected
                }
            };
        }
        assert_eq!(DateTime::from_seconds_since_2000(36_525 * DAY), None);
    }
}
