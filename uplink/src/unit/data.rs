//! The catalogue of typed data units: which AFN/Fn in which direction has which layout, its
//! length on the wire, and the typed value.

use super::ack::AckList;
use super::command::RemoteTrip;
use super::cursor::{Reader, Writer, le16_at};
use super::events::Events;
use super::forward::{ForwardReply, ForwardRequest};
use super::list::{Item, List};
use super::params::{CommParams, EventConfig, MasterAddress, MeterEntry};
use super::readings::{Curve, CurveLabel, Energies, ForwardActive, PowerSnapshot, curve_format};
use crate::value::{Date, DateTime, Month};
use crate::{Direction, EmitError, UnitError};

/// The layouts the catalogue knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layout {
    /// No data: confirm/deny (00 F1/F2), resets (01 F1–F4), login/logout/heartbeat (02
    /// F1–F3), parameter queries (0A F1/F3 down), allow close and reporting on/off (05 F2,
    /// F29, F37), class-1 requests (0C F2/F25/F33/F129 down).
    Empty,
    /// 00 F3.
    Acks,
    /// 04 F1 down, 0A F1 up.
    CommParams,
    /// 04 F3 down, 0A F3 up.
    MasterAddress,
    /// 04 F9 down, 0A F9 up.
    EventConfig,
    /// 04 F10 down, 0A F10 up.
    Archive,
    /// 0A F10 down.
    ArchiveQuery,
    /// 05 F1 down.
    RemoteTrip,
    /// 05 F31 down.
    SetTime,
    /// 05 F49/F50 down.
    Port,
    /// 0C F2 up.
    Clock,
    /// 0C F25 up.
    Power,
    /// 0C F33 up.
    Energies,
    /// 0C F129 up.
    ForwardActive,
    /// 0D F161 down.
    DayLabel,
    /// 0D F177 down.
    MonthLabel,
    /// 0D curve Fn down.
    CurveLabel,
    /// 0D F161 up.
    DailyFrozen,
    /// 0D F177 up.
    MonthlyFrozen,
    /// 0D curve Fn up.
    Curve,
    /// 0E F1/F2 down.
    EventQuery,
    /// 0E F1/F2 up.
    Events,
    /// 10 F1 down.
    ForwardRequest,
    /// 10 F1 up.
    ForwardReply,
}

impl Layout {
    /// The layout of `fn_number` of `afn` in a frame going `dir`; `None` when the catalogue
    /// does not know it (the data then stay raw).
    pub fn of(afn: u8, dir: Direction, fn_number: u16) -> Option<Self> {
        use Direction::{Down, Up};
        Some(match (afn, dir, fn_number) {
            (0x00, _, 1 | 2) => Self::Empty,
            (0x00, _, 3) => Self::Acks,
            (0x01, Down, 1..=4) => Self::Empty,
            (0x02, _, 1..=3) => Self::Empty,
            (0x04, Down, 1) | (0x0A, Up, 1) => Self::CommParams,
            (0x04, Down, 3) | (0x0A, Up, 3) => Self::MasterAddress,
            (0x04, Down, 9) | (0x0A, Up, 9) => Self::EventConfig,
            (0x04, Down, 10) | (0x0A, Up, 10) => Self::Archive,
            (0x0A, Down, 1 | 3 | 9) => Self::Empty,
            (0x0A, Down, 10) => Self::ArchiveQuery,
            (0x05, Down, 1) => Self::RemoteTrip,
            (0x05, Down, 2 | 29 | 37) => Self::Empty,
            (0x05, Down, 31) => Self::SetTime,
            (0x05, Down, 49 | 50) => Self::Port,
            (0x0C, Down, 2 | 25 | 33 | 129) => Self::Empty,
            (0x0C, Up, 2) => Self::Clock,
            (0x0C, Up, 25) => Self::Power,
            (0x0C, Up, 33) => Self::Energies,
            (0x0C, Up, 129) => Self::ForwardActive,
            (0x0D, Down, 161) => Self::DayLabel,
            (0x0D, Down, 177) => Self::MonthLabel,
            (0x0D, Up, 161) => Self::DailyFrozen,
            (0x0D, Up, 177) => Self::MonthlyFrozen,
            (0x0D, Down, f) if curve_format(f).is_some() => Self::CurveLabel,
            (0x0D, Up, f) if curve_format(f).is_some() => Self::Curve,
            (0x0E, Down, 1 | 2) => Self::EventQuery,
            (0x0E, Up, 1 | 2) => Self::Events,
            (0x10, Down, 1) => Self::ForwardRequest,
            (0x10, Up, 1) => Self::ForwardReply,
            _ => return None,
        })
    }

    /// The length of the unit at the front of `rest` (the rest of the data units). A result
    /// beyond `rest.len()` means the unit is truncated.
    pub fn wire_len(self, rest: &[u8], fn_number: u16) -> usize {
        let byte = |i: usize| rest.get(i).copied();
        let count16 = |i: usize| le16_at(rest, i);
        match self {
            Self::Empty => 0,
            Self::Acks => rest.len().max(1),
            Self::CommParams => CommParams::LEN,
            Self::MasterAddress => MasterAddress::LEN,
            Self::EventConfig => EventConfig::LEN,
            Self::Archive => count16(0).map_or(2, |n| 2 + n * MeterEntry::LEN),
            Self::ArchiveQuery => count16(0).map_or(2, |n| 2 + n * 2),
            Self::RemoteTrip | Self::Port => 1,
            Self::SetTime | Self::Clock => DateTime::LEN,
            Self::Power => PowerSnapshot::LEN,
            Self::Energies => byte(5).map_or(6, Energies::wire_len),
            Self::ForwardActive => byte(5).map_or(6, ForwardActive::wire_len),
            Self::DayLabel => Date::LEN,
            Self::MonthLabel => Month::LEN,
            Self::CurveLabel => CurveLabel::LEN,
            Self::DailyFrozen => byte(8).map_or(9, |m| Date::LEN + ForwardActive::wire_len(m)),
            Self::MonthlyFrozen => byte(7).map_or(8, |m| Month::LEN + ForwardActive::wire_len(m)),
            Self::Curve => {
                let size = curve_format(fn_number).map_or(0, |(f, _)| f.len);
                byte(6).map_or(CurveLabel::LEN, |n| CurveLabel::LEN + size * usize::from(n))
            }
            Self::EventQuery => 2,
            Self::Events => Events::wire_len(rest),
            Self::ForwardRequest => ForwardRequest::wire_len(rest),
            Self::ForwardReply => ForwardReply::wire_len(rest),
        }
    }
}

/// A typed data unit: the value of one (pn, Fn) in a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Data<'a> {
    /// A unit without data.
    Empty,
    /// 00 F3: per-unit confirm/deny.
    Acks(AckList<'a>),
    /// 04/0A F1: uplink communication parameters.
    CommParams(CommParams),
    /// 04/0A F3: master station addresses and APN.
    MasterAddress(MasterAddress),
    /// 04/0A F9: event record configuration.
    EventConfig(EventConfig),
    /// 04/0A F10: meter archive entries.
    Archive(List<'a, MeterEntry>),
    /// 0A F10 query: meter serials.
    ArchiveQuery(List<'a, u16>),
    /// 05 F1: remote trip.
    RemoteTrip(RemoteTrip),
    /// 05 F31: set the terminal's clock (A.1).
    SetTime(DateTime),
    /// 05 F49/F50: the port to pause or resume.
    Port(u8),
    /// 0C F2: the terminal's clock (A.1), `None` for "no data".
    Clock(Option<DateTime>),
    /// 0C F25: power, voltage, current snapshot.
    Power(PowerSnapshot),
    /// 0C F33: present energy readings.
    Energies(Energies<'a>),
    /// 0C F129: present forward active readings.
    ForwardActive(ForwardActive<'a>),
    /// 0D F161 request: Td_d.
    DayLabel(Date),
    /// 0D F177 request: Td_m.
    MonthLabel(Month),
    /// 0D curve request: Td_c.
    CurveLabel(CurveLabel),
    /// 0D F161 reply: Td_d and the daily-frozen forward active readings.
    DailyFrozen(Date, ForwardActive<'a>),
    /// 0D F177 reply: Td_m and the monthly-frozen forward active readings.
    MonthlyFrozen(Month, ForwardActive<'a>),
    /// 0D curve reply.
    Curve(Curve<'a>),
    /// 0E F1/F2 request: start and end pointers.
    EventQuery {
        /// Start pointer.
        pm: u8,
        /// End pointer (exclusive).
        pn: u8,
    },
    /// 0E F1/F2 reply.
    Events(Events<'a>),
    /// 10 F1 request.
    ForwardRequest(ForwardRequest<'a>),
    /// 10 F1 reply.
    ForwardReply(ForwardReply<'a>),
}

impl<'a> Data<'a> {
    /// Decodes exactly `bytes` as `layout` (for the curve layouts, `fn_number` picks the
    /// format). Error offsets are inside `bytes`.
    pub fn parse(layout: Layout, fn_number: u16, bytes: &'a [u8]) -> Result<Self, UnitError> {
        let mut r = Reader::new(bytes);
        let d = match layout {
            Layout::Empty => Self::Empty,
            Layout::Acks => Self::Acks(AckList::read(&mut r)?),
            Layout::CommParams => Self::CommParams(CommParams::read(&mut r)?),
            Layout::MasterAddress => Self::MasterAddress(MasterAddress::read(&mut r)?),
            Layout::EventConfig => Self::EventConfig(EventConfig::read(&mut r)?),
            Layout::Archive => {
                let n = usize::from(r.u16()?);
                Self::Archive(List::read(&mut r, n)?)
            }
            Layout::ArchiveQuery => {
                let n = usize::from(r.u16()?);
                Self::ArchiveQuery(List::read(&mut r, n)?)
            }
            Layout::RemoteTrip => Self::RemoteTrip(RemoteTrip::from_byte(r.u8()?)),
            Layout::SetTime => Self::SetTime(r.date_time()?.ok_or(UnitError::Range { offset: 0 })?),
            Layout::Port => Self::Port(r.u8()?),
            Layout::Clock => Self::Clock(r.date_time()?),
            Layout::Power => Self::Power(PowerSnapshot::read(&mut r)?),
            Layout::Energies => Self::Energies(Energies::read(&mut r)?),
            Layout::ForwardActive => Self::ForwardActive(ForwardActive::read(&mut r)?),
            Layout::DayLabel => Self::DayLabel(r.with(Date::LEN, Date::decode)?),
            Layout::MonthLabel => Self::MonthLabel(r.with(Month::LEN, Month::decode)?),
            Layout::CurveLabel => Self::CurveLabel(CurveLabel::read(&mut r)?),
            Layout::DailyFrozen => {
                let td = r.with(Date::LEN, Date::decode)?;
                Self::DailyFrozen(td, ForwardActive::read(&mut r)?)
            }
            Layout::MonthlyFrozen => {
                let td = r.with(Month::LEN, Month::decode)?;
                Self::MonthlyFrozen(td, ForwardActive::read(&mut r)?)
            }
            Layout::Curve => Self::Curve(Curve::read(&mut r, fn_number)?),
            Layout::EventQuery => {
                let [pm, pn] = r.array()?;
                Self::EventQuery { pm, pn }
            }
            Layout::Events => Self::Events(Events::read(&mut r)?),
            Layout::ForwardRequest => Self::ForwardRequest(ForwardRequest::read(&mut r)?),
            Layout::ForwardReply => Self::ForwardReply(ForwardReply::read(&mut r)?),
        };
        r.finish()?;
        Ok(d)
    }

    /// The bytes [`emit`](Self::emit) writes.
    pub fn buffer_len(&self) -> usize {
        match self {
            Self::Empty => 0,
            Self::Acks(a) => 1 + a.entries.len() * 5,
            Self::CommParams(_) => CommParams::LEN,
            Self::MasterAddress(_) => MasterAddress::LEN,
            Self::EventConfig(_) => EventConfig::LEN,
            Self::Archive(l) => 2 + l.len() * MeterEntry::LEN,
            Self::ArchiveQuery(l) => 2 + l.len() * <u16 as Item>::LEN,
            Self::RemoteTrip(_) | Self::Port(_) => 1,
            Self::SetTime(_) | Self::Clock(_) => DateTime::LEN,
            Self::Power(_) => PowerSnapshot::LEN,
            Self::Energies(e) => e.len(),
            Self::ForwardActive(f) => f.len(),
            Self::DayLabel(_) => Date::LEN,
            Self::MonthLabel(_) => Month::LEN,
            Self::CurveLabel(_) => CurveLabel::LEN,
            Self::DailyFrozen(_, f) => Date::LEN + f.len(),
            Self::MonthlyFrozen(_, f) => Month::LEN + f.len(),
            Self::Curve(c) => c.len(),
            Self::EventQuery { .. } => 2,
            Self::Events(e) => e.len(),
            Self::ForwardRequest(f) => 6 + f.frame.len(),
            Self::ForwardReply(f) => 3 + f.frame.len(),
        }
    }

    /// Writes the data into `out`; returns its length.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, EmitError> {
        let mut w = Writer::new(out);
        match self {
            Self::Empty => {}
            Self::Acks(a) => a.write(&mut w)?,
            Self::CommParams(p) => p.write(&mut w)?,
            Self::MasterAddress(m) => m.write(&mut w)?,
            Self::EventConfig(c) => c.write(&mut w)?,
            Self::Archive(l) => {
                w.count16(l.len())?;
                l.write(&mut w)?;
            }
            Self::ArchiveQuery(l) => {
                w.count16(l.len())?;
                l.write(&mut w)?;
            }
            Self::RemoteTrip(t) => w.u8(t.to_byte().ok_or(EmitError::Range)?)?,
            Self::SetTime(t) => w.put(&t.encode()?)?,
            Self::Port(p) => w.u8(*p)?,
            Self::Clock(t) => w.date_time(*t)?,
            Self::Power(p) => p.write(&mut w)?,
            Self::Energies(e) => e.write(&mut w)?,
            Self::ForwardActive(f) => f.write(&mut w)?,
            Self::DayLabel(d) => w.put(&d.encode()?)?,
            Self::MonthLabel(m) => w.put(&m.encode()?)?,
            Self::CurveLabel(c) => c.write(&mut w)?,
            Self::DailyFrozen(d, f) => {
                w.put(&d.encode()?)?;
                f.write(&mut w)?;
            }
            Self::MonthlyFrozen(m, f) => {
                w.put(&m.encode()?)?;
                f.write(&mut w)?;
            }
            Self::Curve(c) => c.write(&mut w)?,
            Self::EventQuery { pm, pn } => w.put(&[*pm, *pn])?,
            Self::Events(e) => e.write(&mut w)?,
            Self::ForwardRequest(f) => f.write(&mut w)?,
            Self::ForwardReply(f) => f.write(&mut w)?,
        }
        Ok(w.pos())
    }
}
