//! The wall clock of the session and the time-label (Tp) check (notes §2.3: the receiver
//! drops a frame whose Tp has expired, LM `bmt_tp_timeout`).
//!
//! Tp gives the send time as ss mm hh DD only (A.16), without month or year. The send time
//! is taken in the month, among the two before, the current and the next one, that puts it
//! nearest to the terminal's time: a label of the 31st read on the 1st was sent the month
//! before, a label of the 1st read on the 31st at 23:59 comes from a master whose clock is
//! ahead. A day the month does not have (31 in April) is not a candidate, so a label of the
//! 31st read on 1 March is January's (29 days late), not a month early.

use crate::Tp;
use crate::value::DateTime;

/// Days from 2000-01-01 to `year`-`month`-`day` (proleptic Gregorian calendar; the usual
/// era-of-400-years count).
fn days(year: i64, month: u8, day: u8) -> i64 {
    let (y, m) = if month <= 2 {
        (year - 1, i64::from(month) + 9)
    } else {
        (year, i64::from(month) - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    // 730_425 days from 0000-03-01 to 2000-01-01.
    era * 146_097 + doe - 730_425
}

fn leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn month_len(year: i64, month: u8) -> u8 {
    match month {
        2 if leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Seconds since 2000-01-01 00:00:00 of a calendar time (`year` is the full year).
fn seconds(year: i64, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> i64 {
    days(year, month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second)
}

/// The calendar time (full year, month, day, hour, minute, second) of `s` seconds since
/// 2000-01-01.
fn calendar(s: i64) -> (i64, u8, u8, u8, u8, u8) {
    let (d, rest) = (s.div_euclid(86_400), s.rem_euclid(86_400));
    let mut year = 2000 + d.div_euclid(365);
    while days(year, 1, 1) > d {
        year -= 1;
    }
    while days(year + 1, 1, 1) <= d {
        year += 1;
    }
    let mut month = 1u8;
    while month < 12 && days(year, month + 1, 1) <= d {
        month += 1;
    }
    let day = (d - days(year, month, 1)) as u8 + 1;
    let (h, m, sec) = (rest / 3600, rest % 3600 / 60, rest % 60);
    (year, month, day, h as u8, m as u8, sec as u8)
}

/// The terminal's calendar time as seconds since 2000-01-01 (`None` for an invalid time).
pub(crate) fn wall_seconds(t: &DateTime) -> Option<i64> {
    let year = 2000 + i64::from(t.year);
    let ok = (1..=12).contains(&t.month)
        && t.day >= 1
        && t.day <= month_len(year, t.month)
        && t.hour < 24
        && t.minute < 60
        && t.second < 60;
    ok.then(|| seconds(year, t.month, t.day, t.hour, t.minute, t.second))
}

/// How many seconds before `now` (seconds since 2000) the frame labelled `tp` was sent;
/// negative when the master's clock is ahead of the terminal's.
pub fn tp_age(tp: &Tp, now: i64) -> i64 {
    let (year, month, ..) = calendar(now);
    // Months as a count from year 0: two back, this one and the next.
    let here = year * 12 + i64::from(month) - 1;
    let months = [here - 2, here - 1, here, here + 1]
        .map(|n| (n.div_euclid(12), (n.rem_euclid(12) + 1) as u8));
    months
        .iter()
        .filter(|&&(y, m)| tp.day <= month_len(y, m))
        .map(|&(y, m)| now - seconds(y, m, tp.day, tp.hour, tp.minute, tp.second))
        .min_by_key(|age| age.abs())
        // Any two consecutive months include one of 31 days, so a parsed Tp (day 1–31)
        // always has a candidate; a hand-made day above 31 counts as late.
        .unwrap_or(i64::MAX)
}

/// Whether the frame labelled `tp` has expired at `now` (seconds since 2000): older than
/// its allowed delay in minutes; a delay of 0 means no limit (notes §2.3).
pub fn tp_expired(tp: &Tp, now: i64) -> bool {
    tp_late(tp, now).is_some()
}

/// The age in seconds of the frame labelled `tp` at `now` when it has expired
/// ([`tp_expired`]), `None` while it has not.
pub(super) fn tp_late(tp: &Tp, now: i64) -> Option<i64> {
    if tp.delay == 0 {
        return None;
    }
    Some(tp_age(tp, now)).filter(|age| *age > i64::from(tp.delay) * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i64, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> i64 {
        seconds(y, mo, d, h, mi, s)
    }

    fn tp(day: u8, hour: u8, minute: u8, second: u8, delay: u8) -> Tp {
        Tp {
            pfc: 0,
            second,
            minute,
            hour,
            day,
            delay,
        }
    }

    #[test]
    fn calendar_round_trips_and_knows_leap_years() {
        assert_eq!(days(2000, 1, 1), 0);
        assert_eq!(days(2000, 3, 1), 60); // 2000 is a leap year (divisible by 400)
        assert_eq!(days(2100, 3, 1) - days(2100, 2, 28), 1); // 2100 is not
        assert_eq!(days(1999, 12, 31), -1);
        for s in [
            0,
            59,
            86_399,
            86_400,
            5_097_600,
            817_776_000,
            -1,
            4_102_444_800,
        ] {
            let (y, mo, d, h, mi, se) = calendar(s);
            assert_eq!(at(y, mo, d, h, mi, se), s, "{s}");
        }
        assert_eq!(
            calendar(at(2024, 2, 29, 23, 59, 59)),
            (2024, 2, 29, 23, 59, 59)
        );
    }

    #[test]
    fn age_within_the_month_and_across_month_ends() {
        let now = at(2026, 12, 5, 3, 50, 0);
        assert_eq!(tp_age(&tp(5, 3, 45, 0, 0), now), 300);
        assert_eq!(tp_age(&tp(5, 3, 51, 0, 0), now), -60);
        // The 30th read on the 5th: sent in November, 5 days before.
        let now = at(2026, 12, 1, 0, 1, 0);
        assert_eq!(tp_age(&tp(30, 0, 1, 0, 0), now), 86_400);
        // 31 December read on 1 January: the year before.
        let now = at(2027, 1, 1, 0, 0, 30);
        assert_eq!(tp_age(&tp(31, 23, 59, 30, 0), now), 60);
        // The master one minute ahead across the month end.
        let now = at(2026, 11, 30, 23, 59, 30);
        assert_eq!(tp_age(&tp(1, 0, 0, 30, 0), now), -60);
        // 31 read in March: February has no 31st, January's is 29 days back.
        let now = at(2026, 3, 1, 0, 0, 0);
        assert_eq!(tp_age(&tp(31, 0, 0, 0, 0), now), 29 * 86_400);
    }

    #[test]
    fn expiry_follows_the_delay_and_zero_means_no_limit() {
        let now = at(2026, 12, 5, 3, 50, 0);
        assert!(!tp_expired(&tp(5, 3, 45, 0, 5), now)); // exactly 5 min: not yet
        assert!(tp_expired(&tp(5, 3, 44, 59, 5), now));
        assert!(!tp_expired(&tp(5, 3, 40, 0, 0), now)); // delay 0: no limit
        assert!(!tp_expired(&tp(5, 4, 50, 0, 1), now)); // from the future: not late
        assert!(tp_expired(&tp(4, 3, 50, 0, 255), now)); // a day old, 255 min allowed
    }

    #[test]
    fn invalid_wall_times_are_refused() {
        let t = |month, day, hour| DateTime {
            year: 26,
            month,
            day,
            hour,
            minute: 0,
            second: 0,
            weekday: 0,
        };
        assert_eq!(wall_seconds(&t(12, 5, 3)), Some(at(2026, 12, 5, 3, 0, 0)));
        assert_eq!(wall_seconds(&t(2, 29, 0)), None); // 2026 is no leap year
        assert_eq!(wall_seconds(&t(13, 1, 0)), None);
        assert_eq!(wall_seconds(&t(1, 1, 24)), None);
    }
}
