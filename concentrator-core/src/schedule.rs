//! When scheduled rounds are due, from the wall clock.

use crate::event::Task;
use crate::time::DateTime;

/// The reading schedule. Times are minutes after local midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Schedule {
    /// Load-curve period in minutes (15, 30 or 60; 0 = off). Rounds start on the period's
    /// boundaries (hh:00, hh:15 ..).
    pub curve_period_min: u16,
    /// When the daily frozen round starts. Meters freeze at midnight; a few minutes later the
    /// freeze is surely done, so the default is 00:05.
    pub daily_at_min: Option<u16>,
    /// When the monthly round starts on the first of the month (default 00:10).
    pub monthly_at_min: Option<u16>,
    /// When the daily clock sync starts. Meters refuse a broadcast within 00:00 ± 5 min
    /// (notes §1.15), so the default is 02:00.
    pub clock_sync_at_min: Option<u16>,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            curve_period_min: 15,
            daily_at_min: Some(5),
            monthly_at_min: Some(10),
            clock_sync_at_min: Some(120),
        }
    }
}

impl Schedule {
    /// No scheduled work at all (rounds only on command).
    pub const OFF: Schedule = Schedule {
        curve_period_min: 0,
        daily_at_min: None,
        monthly_at_min: None,
        clock_sync_at_min: None,
    };

    /// The tasks whose start falls in the minutes `(last, now]` (minutes since 2000-01-01),
    /// in priority order: clock sync, daily, monthly, load curve.
    pub(crate) fn due(&self, last: i64, now: i64) -> heapless::Vec<Task, 4> {
        let mut out = heapless::Vec::new();
        if now <= last {
            return out;
        }
        let crossed = |offset: i64, period: i64| {
            period > 0 && (now - offset).div_euclid(period) > (last - offset).div_euclid(period)
        };
        if let Some(at) = self.clock_sync_at_min
            && crossed(i64::from(at), 1440)
        {
            let _ = out.push(Task::ClockSync);
        }
        if let Some(at) = self.daily_at_min
            && crossed(i64::from(at), 1440)
        {
            let _ = out.push(Task::DailyFrozen);
        }
        if let Some(at) = self.monthly_at_min {
            let month = |m: i64| {
                DateTime::from_seconds_since_2000((m - i64::from(at)) * 60)
                    .map(|d| (d.year(), d.month()))
            };
            if month(now) != month(last) && month(now).is_some() && month(last).is_some() {
                let _ = out.push(Task::Monthly);
            }
        }
        if crossed(0, i64::from(self.curve_period_min)) {
            let _ = out.push(Task::LoadCurve);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minute(d: DateTime) -> i64 {
        d.seconds_since_2000() / 60
    }

    #[test]
    fn due_boundaries() {
        let s = Schedule::default();
        let t = |h, m| minute(DateTime::new(2026, 3, 1, h, m, 0).unwrap());
        let prev_day = minute(DateTime::new(2026, 2, 28, 23, 59, 0).unwrap());
        assert!(s.due(prev_day, t(0, 0)).contains(&Task::LoadCurve));
        assert!(!s.due(prev_day, t(0, 0)).contains(&Task::DailyFrozen));
        assert!(s.due(t(0, 4), t(0, 5)).contains(&Task::DailyFrozen));
        assert!(s.due(t(0, 9), t(0, 10)).contains(&Task::Monthly));
        assert!(!s.due(t(0, 10), t(0, 11)).contains(&Task::Monthly));
        assert!(s.due(t(1, 59), t(2, 0)).contains(&Task::ClockSync));
        assert!(s.due(t(0, 11), t(0, 14)).is_empty());
        assert_eq!(
            s.due(t(0, 1), t(0, 14)).as_slice(),
            &[Task::DailyFrozen, Task::Monthly]
        );
        assert_eq!(s.due(t(0, 14), t(0, 15)).as_slice(), &[Task::LoadCurve]);
    }
}
