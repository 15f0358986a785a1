//! AFN 0E F1/F2 event data: pointers, then records {ERC, Le, data} (notes §2.6), with the ERC
//! records a concentrator raises typed: ERC12, ERC13, ERC14, ERC31, ERC33.

use super::cursor::{Reader, Writer};
use crate::value::{A11, A14, MinuteTime, Quantity, Unit};
use crate::{EmitError, UnitError};

/// A measuring point with the start/stop flag, as ERC records carry it: D0–D11 pn, D15 1 =
/// the event starts, 0 = it ends (D12–D14 kept as found).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PointFlag(pub u16);

impl PointFlag {
    /// The measuring point.
    pub fn point(self) -> u16 {
        self.0 & 0x0FFF
    }

    /// The event starts (D15 = 1) rather than ends.
    pub fn starts(self) -> bool {
        self.0 & 0x8000 != 0
    }
}

/// ERC12, meter time out of tolerance (Le 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MeterClock {
    /// When it happened.
    pub time: MinuteTime,
    /// The point, start/stop.
    pub point: PointFlag,
}

/// ERC13, meter fault information (Le 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MeterFault {
    /// When it happened.
    pub time: MinuteTime,
    /// The point, start/stop.
    pub point: PointFlag,
    /// Fault flags: D0 programming or demand-reset count changed, D1 phase-break count
    /// changed, D2 loss-of-voltage count changed, D3 power-off count changed, D4 battery low.
    pub flags: u8,
}

/// ERC14, terminal power off / power on (Le 10; vector U08).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PowerOffOn {
    /// Power-off time.
    pub off: Option<MinuteTime>,
    /// Power-on time (`None`: still off when recorded).
    pub on: Option<MinuteTime>,
}

/// ERC31, RS-485 reading failure (Le 21).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReadingFailure {
    /// When it happened.
    pub time: MinuteTime,
    /// The point, start/stop.
    pub point: PointFlag,
    /// Time of the last successful reading.
    pub last_success: Option<MinuteTime>,
    /// Forward active total at that reading (A.14, kWh).
    pub forward_active: Option<Quantity>,
    /// Forward reactive total at that reading (A.11, kvarh).
    pub forward_reactive: Option<Quantity>,
}

/// ERC33, meter status-word change (Le 35).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusChange {
    /// When it happened.
    pub time: MinuteTime,
    /// The point (D0–D11) as found.
    pub point: PointFlag,
    /// Changed bits of the 7 status words.
    pub changed: [u8; 14],
    /// The 7 status words now.
    pub status: [u8; 14],
}

/// The body of one event record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Erc<'a> {
    /// ERC12.
    MeterClock(MeterClock),
    /// ERC13.
    MeterFault(MeterFault),
    /// ERC14.
    PowerOffOn(PowerOffOn),
    /// ERC31.
    ReadingFailure(ReadingFailure),
    /// ERC33.
    StatusChange(StatusChange),
    /// Any other ERC, or a typed ERC whose Le is not the length we know: the Le bytes.
    Raw(&'a [u8]),
}

/// One event record {ERC, Le, data}.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventRecord<'a> {
    /// The event code.
    pub erc: u8,
    /// Its data.
    pub body: Erc<'a>,
}

fn time(r: &mut Reader<'_>) -> Result<MinuteTime, UnitError> {
    r.with(MinuteTime::LEN, MinuteTime::decode)
}

impl<'a> EventRecord<'a> {
    /// Decodes the Le bytes of an ERC; a known ERC with another Le stays raw (2013 terminals
    /// add fields some ERCs did not have in 2009; never guess them).
    fn decode(erc: u8, data: &'a [u8]) -> Result<Self, UnitError> {
        let mut r = Reader::new(data);
        let body = match (erc, data.len()) {
            (12, 7) => Erc::MeterClock(MeterClock {
                time: time(&mut r)?,
                point: PointFlag(r.u16()?),
            }),
            (13, 8) => Erc::MeterFault(MeterFault {
                time: time(&mut r)?,
                point: PointFlag(r.u16()?),
                flags: r.u8()?,
            }),
            (14, 10) => Erc::PowerOffOn(PowerOffOn {
                off: r.minute_time()?,
                on: r.minute_time()?,
            }),
            (31, 21) => Erc::ReadingFailure(ReadingFailure {
                time: time(&mut r)?,
                point: PointFlag(r.u16()?),
                last_success: r.minute_time()?,
                forward_active: r.quantity(A14, Unit::KiloWattHour)?,
                forward_reactive: r.quantity(A11, Unit::KiloVarHour)?,
            }),
            (33, 35) => Erc::StatusChange(StatusChange {
                time: time(&mut r)?,
                point: PointFlag(r.u16()?),
                changed: r.array()?,
                status: r.array()?,
            }),
            _ => Erc::Raw(r.rest()),
        };
        r.finish()?;
        Ok(Self { erc, body })
    }

    /// Reads one record from its ERC code and its Le data bytes (how a store keeps it): the
    /// typed body for a known ERC with its Le, raw otherwise.
    pub fn from_data(erc: u8, data: &'a [u8]) -> Result<Self, UnitError> {
        Self::decode(erc, data)
    }

    /// Writes the record as on the wire, {ERC, Le, data}; returns its length (2 + Le).
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, EmitError> {
        let mut w = Writer::new(out);
        self.write(&mut w)?;
        Ok(w.pos())
    }

    /// Le, the data length.
    pub fn data_len(&self) -> usize {
        match self.body {
            Erc::MeterClock(_) => 7,
            Erc::MeterFault(_) => 8,
            Erc::PowerOffOn(_) => 10,
            Erc::ReadingFailure(_) => 21,
            Erc::StatusChange(_) => 35,
            Erc::Raw(b) => b.len(),
        }
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        let expected = match self.body {
            Erc::MeterClock(_) => Some(12),
            Erc::MeterFault(_) => Some(13),
            Erc::PowerOffOn(_) => Some(14),
            Erc::ReadingFailure(_) => Some(31),
            Erc::StatusChange(_) => Some(33),
            Erc::Raw(_) => None,
        };
        if expected.is_some_and(|e| e != self.erc) {
            return Err(EmitError::Range);
        }
        let le = u8::try_from(self.data_len()).map_err(|_| EmitError::FieldOverflow)?;
        w.put(&[self.erc, le])?;
        match self.body {
            Erc::MeterClock(e) => {
                w.put(&e.time.encode()?)?;
                w.u16(e.point.0)
            }
            Erc::MeterFault(e) => {
                w.put(&e.time.encode()?)?;
                w.u16(e.point.0)?;
                w.u8(e.flags)
            }
            Erc::PowerOffOn(e) => {
                w.minute_time(e.off)?;
                w.minute_time(e.on)
            }
            Erc::ReadingFailure(e) => {
                w.put(&e.time.encode()?)?;
                w.u16(e.point.0)?;
                w.minute_time(e.last_success)?;
                w.quantity(A14, Unit::KiloWattHour, e.forward_active)?;
                w.quantity(A11, Unit::KiloVarHour, e.forward_reactive)
            }
            Erc::StatusChange(e) => {
                w.put(&e.time.encode()?)?;
                w.u16(e.point.0)?;
                w.put(&e.changed)?;
                w.put(&e.status)
            }
            Erc::Raw(b) => w.put(b),
        }
    }
}

/// Event records, from the wire or from the caller.
#[derive(Debug, Clone, Copy)]
pub enum Records<'a> {
    /// Checked records as received.
    Wire(&'a [u8]),
    /// Records to send.
    Items(&'a [EventRecord<'a>]),
}

impl<'a> Records<'a> {
    /// The records in order.
    pub fn iter(&self) -> impl Iterator<Item = EventRecord<'a>> + 'a {
        let (mut wire, items): (&'a [u8], &'a [EventRecord<'a>]) = match *self {
            Self::Wire(b) => (b, &[]),
            Self::Items(s) => (&[], s),
        };
        core::iter::from_fn(move || {
            let (&erc, rest) = wire.split_first()?;
            let (&le, rest) = rest.split_first()?;
            let data = rest.get(..usize::from(le))?;
            wire = rest.get(usize::from(le)..)?;
            EventRecord::decode(erc, data).ok()
        })
        .chain(items.iter().copied())
    }

    /// How many records.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// No records.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

impl PartialEq for Records<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Records<'_> {}

/// AFN 0E F1/F2 reply: event counters, pointers, and the records pm..pn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Events<'a> {
    /// EC1, important-event counter.
    pub ec1: u8,
    /// EC2, general-event counter.
    pub ec2: u8,
    /// Start pointer.
    pub pm: u8,
    /// End pointer (exclusive); the frame carries `pn − pm` (mod 256) records.
    pub pn: u8,
    /// The records.
    pub records: Records<'a>,
}

impl<'a> Events<'a> {
    /// Walks the record lengths: the length of the whole unit at `rest`; when the records run
    /// past the end, a length beyond `rest` (the caller reports the truncation).
    pub(crate) fn wire_len(rest: &[u8]) -> usize {
        let (Some(&pm), Some(&pn)) = (rest.get(2), rest.get(3)) else {
            return 4;
        };
        let mut at = 4;
        for _ in 0..pn.wrapping_sub(pm) {
            match rest.get(at + 1) {
                Some(&le) => at += 2 + usize::from(le),
                None => return at + 2,
            }
        }
        at
    }

    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, UnitError> {
        let [ec1, ec2, pm, pn] = r.array()?;
        let start = r.pos();
        for _ in 0..pn.wrapping_sub(pm) {
            let at = r.pos();
            let erc = r.u8()?;
            let le = r.u8()?;
            let data = r.take(usize::from(le))?;
            EventRecord::decode(erc, data).map_err(|e| e.shifted(at + 2))?;
        }
        let bytes = r.since(start);
        Ok(Self {
            ec1,
            ec2,
            pm,
            pn,
            records: Records::Wire(bytes),
        })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        if self.records.len() != usize::from(self.pn.wrapping_sub(self.pm)) {
            return Err(EmitError::FieldOverflow);
        }
        w.put(&[self.ec1, self.ec2, self.pm, self.pn])?;
        self.records.iter().try_for_each(|rec| rec.write(w))
    }

    pub(crate) fn len(&self) -> usize {
        4 + self.records.iter().map(|r| 2 + r.data_len()).sum::<usize>()
    }
}
