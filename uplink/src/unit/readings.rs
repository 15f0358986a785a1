//! Class-1 and class-2 readings: AFN 0C F25, F33, F129; AFN 0D F161, F177 and the curves
//! with their time labels Td_d, Td_m, Td_c (notes §2.5).

use super::cursor::{Reader, Writer};
use super::list::Values;
use crate::value::{A5, A7, A9, A11, A13, A14, A25, Format, MinuteTime, Quantity, Unit};
use crate::{EmitError, UnitError};

/// AFN 0C F25: present three-phase and total active/reactive power, power factor, voltages,
/// currents, zero-sequence current and apparent power (67 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PowerSnapshot {
    /// Meter reading time (A.15).
    pub time: Option<MinuteTime>,
    /// Active power total, A, B, C (A.9, kW).
    pub active: [Option<Quantity>; 4],
    /// Reactive power total, A, B, C (A.9, kvar).
    pub reactive: [Option<Quantity>; 4],
    /// Power factor total, A, B, C (A.5, %).
    pub power_factor: [Option<Quantity>; 4],
    /// Voltage A, B, C (A.7, V).
    pub voltage: [Option<Quantity>; 3],
    /// Current A, B, C (A.25, A).
    pub current: [Option<Quantity>; 3],
    /// Zero-sequence current (A.25, A).
    pub zero_current: Option<Quantity>,
    /// Apparent power total, A, B, C (A.9, kVA).
    pub apparent: [Option<Quantity>; 4],
}

fn read_n<const N: usize>(
    r: &mut Reader<'_>,
    f: Format,
    u: Unit,
) -> Result<[Option<Quantity>; N], UnitError> {
    let mut out = [None; N];
    for v in &mut out {
        *v = r.quantity(f, u)?;
    }
    Ok(out)
}

fn write_n(
    w: &mut Writer<'_>,
    f: Format,
    u: Unit,
    vs: &[Option<Quantity>],
) -> Result<(), EmitError> {
    vs.iter().try_for_each(|v| w.quantity(f, u, *v))
}

impl PowerSnapshot {
    /// Bytes on the wire.
    pub const LEN: usize = 67;

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, UnitError> {
        Ok(Self {
            time: r.minute_time()?,
            active: read_n(r, A9, Unit::KiloWatt)?,
            reactive: read_n(r, A9, Unit::KiloVar)?,
            power_factor: read_n(r, A5, Unit::Percent)?,
            voltage: read_n(r, A7, Unit::Volt)?,
            current: read_n(r, A25, Unit::Ampere)?,
            zero_current: r.quantity(A25, Unit::Ampere)?,
            apparent: read_n(r, A9, Unit::KiloVoltAmpere)?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        w.minute_time(self.time)?;
        write_n(w, A9, Unit::KiloWatt, &self.active)?;
        write_n(w, A9, Unit::KiloVar, &self.reactive)?;
        write_n(w, A5, Unit::Percent, &self.power_factor)?;
        write_n(w, A7, Unit::Volt, &self.voltage)?;
        write_n(w, A25, Unit::Ampere, &self.current)?;
        w.quantity(A25, Unit::Ampere, self.zero_current)?;
        write_n(w, A9, Unit::KiloVoltAmpere, &self.apparent)
    }
}

/// Tariff registers: reading time, M, then total and tariffs 1–M (A.14, kWh) — the body of
/// AFN 0C F129 and of the frozen readings AFN 0D F161/F177.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardActive<'a> {
    /// Meter reading time (A.15).
    pub time: Option<MinuteTime>,
    /// Total then tariff 1–M; M = `values.len() − 1`.
    pub values: Values<'a>,
}

impl<'a> ForwardActive<'a> {
    /// Length on the wire for `m` tariffs.
    pub fn wire_len(m: u8) -> usize {
        6 + A14.len * (usize::from(m) + 1)
    }

    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, UnitError> {
        let time = r.minute_time()?;
        let m = usize::from(r.u8()?);
        Ok(Self {
            time,
            values: Values::read(r, A14, Unit::KiloWattHour, m + 1)?,
        })
    }

    /// M, the tariff count written: one less than the values.
    pub(crate) fn tariffs(values: &Values<'_>) -> Result<u8, EmitError> {
        values
            .len()
            .checked_sub(1)
            .and_then(|m| u8::try_from(m).ok())
            .ok_or(EmitError::FieldOverflow)
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        if self.values.format != A14 || self.values.unit != Unit::KiloWattHour {
            return Err(EmitError::Value);
        }
        w.minute_time(self.time)?;
        w.u8(Self::tariffs(&self.values)?)?;
        self.values.write(w)
    }

    pub(crate) fn len(&self) -> usize {
        6 + A14.len * self.values.len()
    }
}

/// AFN 0C F33: present forward active (A.14, kWh), forward reactive, quadrant I and IV
/// reactive (A.11, kvarh) readings, total and tariffs 1–M.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Energies<'a> {
    /// Meter reading time (A.15).
    pub time: Option<MinuteTime>,
    /// Forward active, total then tariffs.
    pub forward_active: Values<'a>,
    /// Forward reactive.
    pub forward_reactive: Values<'a>,
    /// Quadrant I reactive.
    pub reactive_q1: Values<'a>,
    /// Quadrant IV reactive.
    pub reactive_q4: Values<'a>,
}

impl<'a> Energies<'a> {
    /// Length on the wire for `m` tariffs.
    pub fn wire_len(m: u8) -> usize {
        6 + (A14.len + 3 * A11.len) * (usize::from(m) + 1)
    }

    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, UnitError> {
        let time = r.minute_time()?;
        let n = usize::from(r.u8()?) + 1;
        Ok(Self {
            time,
            forward_active: Values::read(r, A14, Unit::KiloWattHour, n)?,
            forward_reactive: Values::read(r, A11, Unit::KiloVarHour, n)?,
            reactive_q1: Values::read(r, A11, Unit::KiloVarHour, n)?,
            reactive_q4: Values::read(r, A11, Unit::KiloVarHour, n)?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        let n = self.forward_active.len();
        let kinds = [
            (&self.forward_active, A14, Unit::KiloWattHour),
            (&self.forward_reactive, A11, Unit::KiloVarHour),
            (&self.reactive_q1, A11, Unit::KiloVarHour),
            (&self.reactive_q4, A11, Unit::KiloVarHour),
        ];
        if kinds
            .iter()
            .any(|(v, f, u)| v.len() != n || v.format != *f || v.unit != *u)
        {
            return Err(EmitError::Value);
        }
        w.minute_time(self.time)?;
        w.u8(ForwardActive::tariffs(&self.forward_active)?)?;
        kinds.iter().try_for_each(|(v, _, _)| v.write(w))
    }

    pub(crate) fn len(&self) -> usize {
        6 + (A14.len + 3 * A11.len) * self.forward_active.len()
    }
}

/// Td_c, the curve time label: start (A.15), density, point count (notes §2.5; PEP's AFN 0D
/// F81 reply `00 00 16 08 10 03 18` = 2010-08-16 00:00, 60 minutes, 24 points).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CurveLabel {
    /// Time of the first point.
    pub start: MinuteTime,
    /// Density code: 1 = 15 min, 2 = 30 min, 3 = 60 min (others kept as found).
    pub density: u8,
    /// Number of points.
    pub points: u8,
}

impl CurveLabel {
    /// Bytes on the wire.
    pub const LEN: usize = 7;

    /// Minutes between points for the density codes the sources agree on (1, 2, 3); the
    /// 254/255 codes for 5/1 minutes are unverified (notes §2.5), so `None`.
    pub fn interval_minutes(&self) -> Option<u16> {
        match self.density {
            1 => Some(15),
            2 => Some(30),
            3 => Some(60),
            _ => None,
        }
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, UnitError> {
        Ok(Self {
            start: r.with(MinuteTime::LEN, MinuteTime::decode)?,
            density: r.u8()?,
            points: r.u8()?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        w.put(&self.start.encode()?)?;
        w.put(&[self.density, self.points])
    }
}

/// The data format and unit of the curve Fn of AFN 0D: F81–F88 power (A.9), F89–F91 voltage
/// (A.7), F92–F95 current (A.25), F97–F100 energy amounts (A.13), F101–F104 energy readings
/// (A.11), F105–F108 power factor (A.5). Other Fn are not curves we type.
pub fn curve_format(fn_number: u16) -> Option<(Format, Unit)> {
    Some(match fn_number {
        81..=84 => (A9, Unit::KiloWatt),
        85..=88 => (A9, Unit::KiloVar),
        89..=91 => (A7, Unit::Volt),
        92..=95 => (A25, Unit::Ampere),
        97 | 99 => (A13, Unit::KiloWattHour),
        98 | 100 => (A13, Unit::KiloVarHour),
        101 | 103 => (A11, Unit::KiloWattHour),
        102 | 104 => (A11, Unit::KiloVarHour),
        105..=108 => (A5, Unit::Percent),
        _ => return None,
    })
}

/// An AFN 0D curve reply: the label, then `points` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Curve<'a> {
    /// Td_c.
    pub label: CurveLabel,
    /// The points, oldest first.
    pub values: Values<'a>,
}

impl<'a> Curve<'a> {
    pub(crate) fn read(r: &mut Reader<'a>, fn_number: u16) -> Result<Self, UnitError> {
        let (f, u) = curve_format(fn_number).ok_or(UnitError::Range { offset: 0 })?;
        let label = CurveLabel::read(r)?;
        Ok(Self {
            label,
            values: Values::read(r, f, u, usize::from(label.points))?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        if self.values.len() != usize::from(self.label.points) {
            return Err(EmitError::FieldOverflow);
        }
        self.label.write(w)?;
        self.values.write(w)
    }

    pub(crate) fn len(&self) -> usize {
        CurveLabel::LEN + self.values.format.len * self.values.len()
    }
}
