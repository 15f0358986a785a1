//! BCD dates and date-times inside data units.

use super::codec::{Reader, Writer};
use crate::{EmitError, Error, UnitError};

/// A BCD date `DD MM YY` (version dates, protocol dates), year within the century.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Date {
    /// Year 0–99 (20YY).
    pub year: u8,
    /// Month 1–12.
    pub month: u8,
    /// Day 1–31.
    pub day: u8,
}

impl Date {
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        let at = r.pos();
        let day = r.bcd()?;
        let month = r.bcd()?;
        let year = r.bcd()?;
        // An all-zero date means "not set" in vendor fields; anything else must be a date.
        if (day, month, year) != (0, 0, 0) && !(1..=31).contains(&day) {
            return Err(r.err_at(at, UnitError::Value));
        }
        if (day, month, year) != (0, 0, 0) && !(1..=12).contains(&month) {
            return Err(r.err_at(at + 1, UnitError::Value));
        }
        Ok(Self { year, month, day })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        let unset = (self.day, self.month, self.year) == (0, 0, 0);
        if !unset && (!(1..=31).contains(&self.day) || !(1..=12).contains(&self.month)) {
            return Err(EmitError::Value);
        }
        w.bcd(self.day)?;
        w.bcd(self.month)?;
        w.bcd(self.year)
    }
}

/// A BCD date-time `ss mm hh DD MM YY` (AFN 11 F5 start time, AFN 14 F2 clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DateTime {
    /// Year 0–99 (20YY).
    pub year: u8,
    /// Month 1–12.
    pub month: u8,
    /// Day 1–31.
    pub day: u8,
    /// Hour 0–23.
    pub hour: u8,
    /// Minute 0–59.
    pub minute: u8,
    /// Second 0–59.
    pub second: u8,
}

impl DateTime {
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        let at = r.pos();
        let second = r.bcd()?;
        let minute = r.bcd()?;
        let hour = r.bcd()?;
        let day = r.bcd()?;
        let month = r.bcd()?;
        let year = r.bcd()?;
        let checks = [
            (second <= 59, 0),
            (minute <= 59, 1),
            (hour <= 23, 2),
            ((1..=31).contains(&day), 3),
            ((1..=12).contains(&month), 4),
        ];
        for (ok, i) in checks {
            if !ok {
                return Err(r.err_at(at + i, UnitError::Value));
            }
        }
        Ok(Self {
            year,
            month,
            day,
            hour,
            minute,
            second,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        if self.second > 59
            || self.minute > 59
            || self.hour > 23
            || !(1..=31).contains(&self.day)
            || !(1..=12).contains(&self.month)
        {
            return Err(EmitError::Value);
        }
        for v in [
            self.second,
            self.minute,
            self.hour,
            self.day,
            self.month,
            self.year,
        ] {
            w.bcd(v)?;
        }
        Ok(())
    }
}
