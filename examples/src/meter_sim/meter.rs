//! One simulated meter: its registers as functions of simulated time, its clock, relay,
//! passwords and the state of a follow-up read.

use std::collections::{BTreeMap, VecDeque};

use concentrator_core::DateTime as Calendar;
use dlt645::catalogue::{self, Format, TimeFormat, lookup, lookup97};
use dlt645::{
    Address, Decimal, Di, Di97, Err1997, Err2007, Password, Payload, Status3, SwitchAction,
    SwitchError, Timestamp, Value,
};

use super::config::{Fault, MeterConfig};
use super::encode::{Mismatch, Sample, encode};

/// The most DATA bytes of a read reply (DL/T 645-2007 §4.5, `dlt645::MAX_READ_LEN`).
const MAX_DATA: usize = dlt645::MAX_READ_LEN;
/// A day in seconds.
const DAY: i64 = 86_400;

/// A stretch of constant load: from `at_ms` (simulated), with `energy_mwh` on the register
/// at its start.
#[derive(Debug, Clone, Copy)]
struct Segment {
    at_ms: i64,
    energy_mwh: i64,
    power_w: u32,
}

/// A load-curve read in progress (0x11 with the follow-up flag, then 0x12 frames).
#[derive(Debug, Clone)]
struct Curve {
    di: Di,
    /// Parts not sent yet.
    parts: VecDeque<Vec<u8>>,
    /// The SEQ the next 0x12 should carry.
    next_seq: u8,
    /// The part sent last with its SEQ and follow flag, sent again if the master repeats.
    last: Option<(u8, Vec<u8>, bool)>,
}

/// A read reply's data and its follow-up flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    /// The value bytes (after the DI).
    pub(crate) data: Vec<u8>,
    /// More frames follow (D5).
    pub(crate) follow: bool,
}

/// The simulated meter.
#[derive(Debug, Clone)]
pub(crate) struct Meter {
    pub(crate) cfg: MeterConfig,
    pub(crate) address: Address,
    password: Password,
    segments: Vec<Segment>,
    start_s: i64,
    clock_adjust_s: i64,
    relay_open: bool,
    trip_commanded: bool,
    protect: bool,
    alarm: bool,
    /// Requests addressed to this meter so far (for [`Fault::EveryNth`]).
    pub(crate) requests: u32,
    curve: Option<Curve>,
    /// Parameters written with 0x14 that the meter does not compute, read back as written.
    stored: BTreeMap<u32, Vec<u8>>,
}

impl Meter {
    pub(crate) fn new(cfg: MeterConfig, start_s: i64) -> Self {
        let power = if cfg.relay_open { 0 } else { cfg.power_w };
        Self {
            address: cfg.address,
            password: cfg.password,
            segments: vec![Segment {
                at_ms: 0,
                energy_mwh: i64::try_from(cfg.energy_wh)
                    .unwrap_or(i64::MAX / 4)
                    .saturating_mul(1000),
                power_w: power,
            }],
            start_s,
            clock_adjust_s: 0,
            relay_open: cfg.relay_open,
            trip_commanded: cfg.relay_open,
            protect: false,
            alarm: false,
            requests: 0,
            curve: None,
            stored: BTreeMap::new(),
            cfg,
        }
    }

    /// Is the relay open?
    pub(crate) fn relay_open(&self) -> bool {
        self.relay_open
    }

    fn drift(&self) -> (i64, i64) {
        self.cfg
            .faults
            .iter()
            .find_map(|f| match f {
                Fault::ClockDrift {
                    offset_s,
                    per_hour_s,
                } => Some((*offset_s, *per_hour_s)),
                _ => None,
            })
            .unwrap_or((0, 0))
    }

    /// The meter's calendar clock at simulated `ms`, seconds since 2000.
    pub(crate) fn clock_s(&self, ms: i64) -> i64 {
        let (offset, per_hour) = self.drift();
        self.start_s
            + ms.div_euclid(1000)
            + self.clock_adjust_s
            + offset
            + per_hour * ms / 3_600_000
    }

    /// Set the clock to `t` (seconds since 2000) at simulated `ms`.
    pub(crate) fn set_clock(&mut self, ms: i64, t: i64) {
        self.clock_adjust_s += t - self.clock_s(ms);
    }

    /// The simulated instant at which the meter's clock showed (or will show) `t`.
    fn ms_of(&self, now_ms: i64, t: i64) -> i64 {
        now_ms - (self.clock_s(now_ms) - t) * 1000
    }

    fn segment_at(&self, ms: i64) -> Option<&Segment> {
        self.segments.iter().rev().find(|s| s.at_ms <= ms)
    }

    /// The load at simulated `ms`, W (before the start: the first segment's).
    fn power_at(&self, ms: i64) -> u32 {
        self.segment_at(ms)
            .or(self.segments.first())
            .map_or(0, |s| s.power_w)
    }

    /// The forward active energy register at simulated `ms`, mWh (1 W over 3600 ms is 1 mWh).
    fn energy_mwh_at(&self, ms: i64) -> i64 {
        match self.segment_at(ms) {
            Some(s) => s.energy_mwh + i64::from(s.power_w) * (ms - s.at_ms) / 3600,
            None => self.segments.first().map_or(0, |s| {
                (s.energy_mwh - i64::from(s.power_w) * (s.at_ms - ms) / 3600).max(0)
            }),
        }
    }

    /// Start a new stretch of load at `ms`.
    fn set_load(&mut self, ms: i64, energy_mwh: i64, power_w: u32) {
        self.segments.retain(|s| s.at_ms < ms);
        self.segments.push(Segment {
            at_ms: ms,
            energy_mwh,
            power_w,
        });
    }

    fn set_relay(&mut self, ms: i64, open: bool) {
        if open != self.relay_open {
            let e = self.energy_mwh_at(ms);
            self.relay_open = open;
            self.set_load(ms, e, if open { 0 } else { self.cfg.power_w });
        }
    }

    /// Running status word `n` (only word 3, relay state, is simulated; the others read 0).
    fn status_word(&self, n: u8) -> u16 {
        if n != 3 {
            return 0;
        }
        let mut s = Status3::empty();
        s.set(Status3::RELAY_OPEN, self.relay_open);
        s.set(Status3::RELAY_COMMAND_TRIP, self.trip_commanded);
        s.set(Status3::PRE_TRIP_ALARM, self.alarm);
        s.bits()
    }

    fn password_ok(&self, p: Password) -> bool {
        p == self.password
    }

    // ---- registers ----

    /// Per-phase voltage, 0.1 V.
    fn voltage(&self, phase: usize) -> i64 {
        let v = i64::from(self.cfg.voltage_dv);
        match phase {
            1 => v + 3,
            2 => v - 2,
            _ => v,
        }
    }

    /// Per-phase active power at `ms`, W (the first phase takes the remainder).
    fn phase_power(&self, ms: i64, phase: usize) -> i64 {
        let p = i64::from(self.power_at(ms));
        p / 3 + if phase == 0 { p % 3 } else { 0 }
    }

    fn pf(&self) -> i64 {
        i64::from(self.cfg.power_factor_milli.clamp(1, 1000))
    }

    /// Per-phase current at `ms`, mA: I = P / (U · PF).
    fn current_ma(&self, ms: i64, phase: usize) -> i64 {
        self.phase_power(ms, phase) * 10_000_000 / (self.voltage(phase).max(1) * self.pf())
    }

    /// Reactive power, var: Q = P · sin φ / cos φ.
    fn reactive(&self, p: i64) -> i64 {
        let pf = self.pf();
        p * isqrt(1_000_000 - pf * pf) / pf
    }

    /// Apparent power, VA: S = P / cos φ.
    fn apparent(&self, p: i64) -> i64 {
        p * 1000 / self.pf()
    }

    /// A value of one quantity (`kind`: 1 voltage .. 6 PF as in DI2 of 02xxxxxx) for total
    /// (`None`) or one phase.
    fn variable(&self, ms: i64, kind: u8, phase: Option<usize>) -> Option<Decimal> {
        let total = i64::from(self.power_at(ms));
        let d = |mantissa: i64, exponent: i8| Decimal { mantissa, exponent };
        Some(match (kind, phase) {
            (1, Some(p)) => d(self.voltage(p), -1),
            (2, Some(p)) => d(self.current_ma(ms, p), -3),
            (3, Some(p)) => d(self.phase_power(ms, p), -3),
            (3, None) => d(total, -3),
            (4, Some(p)) => d(self.reactive(self.phase_power(ms, p)), -3),
            (4, None) => d(self.reactive(total), -3),
            (5, Some(p)) => d(self.apparent(self.phase_power(ms, p)), -3),
            (5, None) => d(self.apparent(total), -3),
            (6, _) => d(self.pf(), -3),
            _ => return None,
        })
    }

    /// Forward (`kind` 1), reverse (2) or combined (0) active energy at `ms`, split over
    /// `tariff` 0 (total) or 1..=4 (the total is divided evenly, the first tariff taking the
    /// remainder).
    fn energy(&self, ms: i64, kind: u8, tariff: u8) -> Option<Decimal> {
        let fwd = self.energy_mwh_at(ms);
        let rev = i64::try_from(self.cfg.reverse_energy_wh).ok()? * 1000;
        let total = match kind {
            0 => fwd - rev,
            1 => fwd,
            2 => rev,
            _ => return None,
        };
        let part = match tariff {
            0 => total,
            1 => total / 4 + total % 4,
            2..=4 => total / 4,
            _ => return None,
        };
        Some(Decimal {
            mantissa: part,
            exponent: -6,
        })
    }

    /// Energy samples for DI1 = `tariff` (FF: total and tariffs 1..4).
    fn energies(&self, ms: i64, kind: u8, tariff: u8) -> Option<Vec<Sample>> {
        let tariffs: Vec<u8> = if tariff == 0xFF {
            (0..=4).collect()
        } else {
            vec![tariff]
        };
        tariffs
            .into_iter()
            .map(|t| self.energy(ms, kind, t).map(Sample::Number))
            .collect()
    }

    /// Midnight of the meter's day `days_ago` days before today, seconds since 2000.
    fn midnight(&self, now_ms: i64, days_ago: i64) -> i64 {
        self.clock_s(now_ms).div_euclid(DAY) * DAY - days_ago * DAY
    }

    /// 00:00 on the first of the month `months_ago` months back (the default settlement day).
    fn settlement(&self, now_ms: i64, months_ago: i64) -> Option<i64> {
        let now = Calendar::from_seconds_since_2000(self.clock_s(now_ms))?;
        let index = i64::from(now.year()) * 12 + i64::from(now.month()) - 1 - months_ago;
        let year = u16::try_from(index.div_euclid(12)).ok()?;
        let month = u8::try_from(index.rem_euclid(12) + 1).ok()?;
        Calendar::new(year, month, 1, 0, 0, 0)
            .ok()
            .map(|t| t.seconds_since_2000())
    }

    /// The value bytes of a 2007 read of `di` at simulated `ms`.
    pub(crate) fn read(&self, di: Di, ms: i64) -> Result<Vec<u8>, Err2007> {
        let (d3, d2, d1, d0) = (di.di3(), di.di2(), di.di1(), di.di0());
        let no_data = Err2007::NO_DATA;
        let mut head = None;
        let samples: Vec<Sample> = match d3 {
            // 00 kk tt ss: energies; totals of combined/forward/reverse active, settlement
            // months 0..12 (2007 Appendix A.1).
            0x00 if d2 <= 0x02 && (d1 <= 4 || d1 == 0xFF) && d0 <= 12 => {
                let at = if d0 == 0 {
                    ms
                } else {
                    self.ms_of(ms, self.settlement(ms, i64::from(d0)).ok_or(no_data)?)
                };
                self.energies(at, d2, d1).ok_or(no_data)?
            }
            0x02 if d2 == 0x80 && d1 == 0 && d0 == 0x02 => vec![Sample::Number(Decimal {
                mantissa: i64::from(self.cfg.frequency_chz),
                exponent: -2,
            })],
            0x02 if (0x01..=0x06).contains(&d2) && d0 == 0 => {
                let phases: Vec<Option<usize>> = match d1 {
                    0 if d2 >= 3 => vec![None],
                    1..=3 => vec![Some(usize::from(d1 - 1))],
                    0xFF if d2 >= 3 => vec![None, Some(0), Some(1), Some(2)],
                    0xFF => vec![Some(0), Some(1), Some(2)],
                    _ => return Err(no_data),
                };
                phases
                    .into_iter()
                    .map(|p| self.variable(ms, d2, p).map(Sample::Number))
                    .collect::<Option<_>>()
                    .ok_or(no_data)?
            }
            0x04 => match di.0 {
                0x0400_0101 | 0x0400_0102 | 0x0400_010C => vec![Sample::Time(self.clock_s(ms))],
                0x0400_0401 | 0x0400_0402 => {
                    vec![Sample::Digits(self.address.number().ok_or(no_data)?)]
                }
                0x0400_0501..=0x0400_0507 => vec![Sample::Status(self.status_word(d0))],
                0x0400_05FF => (1..=7)
                    .map(|n| Sample::Status(self.status_word(n)))
                    .collect(),
                _ => return self.stored.get(&di.0).cloned().ok_or(no_data),
            },
            // 05 06 kk NN: daily freezes, NN = 1 the most recent (notes §1.12: 05060001 is the
            // time of the last daily freeze, 050601NN forward energy N days ago).
            0x05 if d2 == 0x06 && d1 <= 0x02 && d0 >= 1 && d0 <= self.cfg.frozen_days => {
                let t = self.midnight(ms, i64::from(d0) - 1);
                if d1 == 0 {
                    vec![Sample::Time(t)]
                } else {
                    self.energies(self.ms_of(ms, t), d1, 0xFF).ok_or(no_data)?
                }
            }
            _ => return self.stored.get(&di.0).cloned().ok_or(no_data),
        };
        let layout = lookup(di).ok_or(no_data)?;
        if layout.head.is_some() {
            head = Some(Sample::Absent);
        }
        let mut out = Vec::new();
        encode(&layout, head, &samples, &mut out).map_err(|Mismatch| Err2007::OTHER)?;
        Ok(out)
    }

    /// One record's samples of a 0610 curve at meter time `t`; `None` for an unknown curve.
    fn curve_record(&self, di: Di, now_ms: i64, t: i64) -> Option<Vec<Sample>> {
        let (d1, d0) = (di.di1(), di.di0());
        let width = match (d1, d0) {
            (0x01 | 0x02, 0xFF) => 3,
            (0x03..=0x05, 0xFF) => 4,
            _ => 1,
        };
        if t > self.clock_s(now_ms) {
            // A record not taken yet: the notes (§1.12) say gaps are filled with FF.
            return Some(vec![Sample::Absent; width]);
        }
        let ms = self.ms_of(now_ms, t);
        let phases: Vec<Option<usize>> = match (d1, d0) {
            (0x01 | 0x02, 0x01..=0x03) | (0x03..=0x05, 0x01..=0x03) => {
                vec![Some(usize::from(d0 - 1))]
            }
            (0x01 | 0x02, 0xFF) => vec![Some(0), Some(1), Some(2)],
            (0x03..=0x05, 0x00) => vec![None],
            (0x03..=0x05, 0xFF) => vec![None, Some(0), Some(1), Some(2)],
            (0x06, 0x01 | 0x02) => return Some(vec![Sample::Number(self.energy(ms, d0, 0)?)]),
            _ => return None,
        };
        // Curve DI1 01..05 are voltage, current, active, reactive power and PF; the
        // variables' DI2 skips apparent power (05), so PF is kind 6 there.
        let kind = if d1 == 0x05 { 6 } else { d1 };
        phases
            .into_iter()
            .map(|p| self.variable(ms, kind, p).map(Sample::Number))
            .collect()
    }

    /// Start a 0610 load-curve read of `count` records (BCD, as sent) from `start` (seconds
    /// since 2000; `None`: the most recent records). Returns the first part.
    ///
    /// Reply layout per the notes §1.12 (State-Grid 2013 filing, SY03A `ReadLoadRec`): DI,
    /// start time YYMMDDhhmm, then as many whole records as fit in 200 bytes; the rest go in
    /// 0x12 follow-up frames, each ending with SEQ.
    pub(crate) fn start_curve(
        &mut self,
        di: Di,
        count: u8,
        start: Option<i64>,
        ms: i64,
    ) -> Result<Part, Err2007> {
        let no_data = Err2007::NO_DATA;
        let layout = lookup(di)
            .filter(|_| di.di3() == 0x06 && di.di2() == 0x10)
            .ok_or(no_data)?;
        let count = i64::from(count >> 4) * 10 + i64::from(count & 0x0F);
        if count == 0 || count > 99 {
            return Err(no_data);
        }
        let step = i64::from(self.cfg.curve_interval_min.max(1)) * 60;
        let start = match start {
            Some(s) => s,
            None => self.clock_s(ms).div_euclid(step) * step - (count - 1) * step,
        };
        let mut head = Vec::new();
        let time_format = Format::Time(TimeFormat::YYMMDDhhmm);
        super::encode::put(time_format, Sample::Time(start), &mut head)
            .map_err(|Mismatch| no_data)?;
        let mut records = Vec::new();
        for i in 0..count {
            let samples = self.curve_record(di, ms, start + i * step).ok_or(no_data)?;
            let mut rec = Vec::new();
            let once = catalogue::Layout {
                head: None,
                ..layout
            };
            encode(&once, None, &samples, &mut rec).map_err(|Mismatch| Err2007::OTHER)?;
            records.push(rec);
        }
        let rec_len = records.first().map_or(1, Vec::len).max(1);
        // First frame: DI (4) + start time (5) + records; follow-ups: DI + records + SEQ.
        let first_n = (MAX_DATA - 4 - head.len()) / rec_len;
        let next_n = (MAX_DATA - 5) / rec_len;
        let mut parts = VecDeque::new();
        let mut first = head;
        let mut rest = records.into_iter();
        for r in rest.by_ref().take(first_n) {
            first.extend(r);
        }
        let rest: Vec<Vec<u8>> = rest.collect();
        for chunk in rest.chunks(next_n.max(1)) {
            parts.push_back(chunk.concat());
        }
        let follow = !parts.is_empty();
        self.curve = follow.then_some(Curve {
            di,
            parts,
            next_seq: 1,
            last: None,
        });
        Ok(Part {
            data: first,
            follow,
        })
    }

    /// Answer 0x12 for `di` with `seq`: the next part, or the last one again when the master
    /// repeats its SEQ (it lost our reply).
    pub(crate) fn follow_up(&mut self, di: Di, seq: u8) -> Result<Part, Err2007> {
        let curve = self
            .curve
            .as_mut()
            .filter(|c| c.di == di)
            .ok_or(Err2007::NO_DATA)?;
        if let Some((last_seq, data, follow)) = &curve.last
            && *last_seq == seq
        {
            return Ok(Part {
                data: data.clone(),
                follow: *follow,
            });
        }
        if seq != curve.next_seq {
            return Err(Err2007::NO_DATA);
        }
        let data = curve.parts.pop_front().ok_or(Err2007::NO_DATA)?;
        let follow = !curve.parts.is_empty();
        curve.last = Some((seq, data.clone(), follow));
        curve.next_seq = seq.wrapping_add(1).max(1);
        Ok(Part { data, follow })
    }

    /// The value bytes of a 1997 read of `di` at simulated `ms`.
    pub(crate) fn read97(&self, di: Di97, ms: i64) -> Result<Vec<u8>, Err1997> {
        let bad = Err1997::BAD_DI;
        let (d1, d0) = (di.di1(), di.di0());
        let lo = d0 & 0x0F;
        let phases = |with_total: bool| -> Result<Vec<Option<usize>>, Err1997> {
            Ok(match lo {
                0 if with_total => vec![None],
                1..=3 => vec![Some(usize::from(lo - 1))],
                0xF if with_total => vec![None, Some(0), Some(1), Some(2)],
                0xF => vec![Some(0), Some(1), Some(2)],
                _ => return Err(bad),
            })
        };
        let samples: Vec<Sample> = match (d1, d0 >> 4) {
            // 9010 / 9020: forward / reverse active energy, z = tariff (F: block).
            (0x90, kind @ (1 | 2)) if lo <= 4 || lo == 0xF => self
                .energies(ms, kind, if lo == 0xF { 0xFF } else { lo })
                .ok_or(bad)?,
            (0xB6, kind @ 1..=5) => {
                // B61x voltage, B62x current, B63x active, B64x reactive power, B65x PF.
                let var = if kind == 5 { 6 } else { kind };
                phases(kind >= 3)?
                    .into_iter()
                    .map(|p| self.variable(ms, var, p).map(Sample::Number))
                    .collect::<Option<_>>()
                    .ok_or(bad)?
            }
            _ => match di.0 {
                0xC010 | 0xC011 => vec![Sample::Time(self.clock_s(ms))],
                // The 1997 status word's bits are not simulated (the notes name no relay bit
                // in it): all clear.
                0xC020 => vec![Sample::Status(0)],
                0xC032 => vec![Sample::Digits(self.address.number().ok_or(bad)?)],
                _ => return self.stored.get(&u32::from(di.0)).cloned().ok_or(bad),
            },
        };
        let layout = lookup97(di).ok_or(bad)?;
        let mut out = Vec::new();
        encode(&layout, None, &samples, &mut out).map_err(|Mismatch| Err1997::ILLEGAL_DATA)?;
        Ok(out)
    }

    /// A 2007 write (0x14) of `data` to `di` with `password`.
    pub(crate) fn write(
        &mut self,
        di: Di,
        password: Password,
        data: Payload<'_>,
        ms: i64,
    ) -> Result<(), Err2007> {
        if !self.password_ok(password) {
            return Err(Err2007::UNAUTHORISED);
        }
        let time = |format: TimeFormat| -> Result<Timestamp, Err2007> {
            match catalogue::decode_field(Format::Time(format), data, 0) {
                Value::Time(t) if data.len() == format.wire_len() => Ok(t),
                _ => Err(Err2007::OTHER),
            }
        };
        match di.0 {
            0x0400_0101 => self.set_date(ms, time(TimeFormat::YYMMDDWW)?),
            0x0400_0102 => self.set_time_of_day(ms, time(TimeFormat::Hhmmss)?),
            0x0400_010C => {
                let t = time(TimeFormat::YYMMDDWWhhmmss)?;
                self.set_date(ms, t)?;
                self.set_time_of_day(ms, t)
            }
            // Other parameters (DI3 = 04) are kept and read back; registers are not writable.
            d if d >> 24 == 0x04 => {
                self.stored.insert(d, data.iter().collect());
                Ok(())
            }
            _ => Err(Err2007::OTHER),
        }
    }

    /// A 1997 write (0x04).
    pub(crate) fn write97(
        &mut self,
        di: Di97,
        password: Password,
        data: Payload<'_>,
        ms: i64,
    ) -> Result<(), Err1997> {
        if !self.password_ok(password) {
            return Err(Err1997::UNAUTHORISED);
        }
        let time = |format: TimeFormat| -> Result<Timestamp, Err1997> {
            match catalogue::decode_field(Format::Time(format), data, 0) {
                Value::Time(t) if data.len() == format.wire_len() => Ok(t),
                _ => Err(Err1997::ILLEGAL_DATA),
            }
        };
        match di.0 {
            0xC010 => self
                .set_date(ms, time(TimeFormat::YYMMDDWW)?)
                .map_err(|_| Err1997::ILLEGAL_DATA),
            0xC011 => self
                .set_time_of_day(ms, time(TimeFormat::Hhmmss)?)
                .map_err(|_| Err1997::ILLEGAL_DATA),
            d if d >> 12 == 0xC => {
                self.stored.insert(u32::from(d), data.iter().collect());
                Ok(())
            }
            _ => Err(Err1997::BAD_DI),
        }
    }

    fn set_date(&mut self, ms: i64, t: Timestamp) -> Result<(), Err2007> {
        let now = Calendar::from_seconds_since_2000(self.clock_s(ms)).ok_or(Err2007::OTHER)?;
        let (Some(y), Some(m), Some(d)) = (t.year, t.month, t.day) else {
            return Err(Err2007::OTHER);
        };
        let new = Calendar::new(y, m, d, now.hour(), now.minute(), now.second())
            .map_err(|_| Err2007::OTHER)?;
        self.set_clock(ms, new.seconds_since_2000());
        Ok(())
    }

    fn set_time_of_day(&mut self, ms: i64, t: Timestamp) -> Result<(), Err2007> {
        let now = Calendar::from_seconds_since_2000(self.clock_s(ms)).ok_or(Err2007::OTHER)?;
        let (Some(h), Some(mi), Some(s)) = (t.hour, t.minute, t.second) else {
            return Err(Err2007::OTHER);
        };
        let new = Calendar::new(now.year(), now.month(), now.day(), h, mi, s)
            .map_err(|_| Err2007::OTHER)?;
        self.set_clock(ms, new.seconds_since_2000());
        Ok(())
    }

    /// A broadcast time (0x08): applied if within `limit_s` of the meter's clock (State-Grid
    /// firmware, notes §1.15). Returns whether it was applied.
    pub(crate) fn broadcast_time(&mut self, ms: i64, t: dlt645::DateTime, limit_s: i64) -> bool {
        let Ok(target) = Calendar::new(t.year, t.month, t.day, t.hour, t.minute, t.second) else {
            return false;
        };
        let target = target.seconds_since_2000();
        if (target - self.clock_s(ms)).abs() > limit_s {
            return false;
        }
        self.set_clock(ms, target);
        true
    }

    /// The plaintext remote switch (0x1C).
    pub(crate) fn switch(
        &mut self,
        ms: i64,
        password: Password,
        action: SwitchAction,
        valid_until: dlt645::DateTime,
    ) -> Result<(), SwitchError> {
        if password != self.cfg.switch_password {
            return Err(SwitchError::UNAUTHORISED);
        }
        // The meter refuses a command whose validity time has passed (notes §1.14).
        let deadline = Calendar::new(
            valid_until.year,
            valid_until.month,
            valid_until.day,
            valid_until.hour,
            valid_until.minute,
            valid_until.second,
        )
        .map_err(|_| SwitchError::EXPIRED)?;
        if deadline.seconds_since_2000() < self.clock_s(ms) {
            return Err(SwitchError::EXPIRED);
        }
        match action {
            SwitchAction::Trip => {
                if self.protect {
                    return Err(SwitchError::PROTECTED);
                }
                self.trip_commanded = true;
                self.set_relay(ms, true);
            }
            SwitchAction::AllowClose => {
                self.trip_commanded = false;
                if self.cfg.auto_close {
                    self.set_relay(ms, false);
                }
            }
            SwitchAction::DirectClose => {
                self.trip_commanded = false;
                self.set_relay(ms, false);
            }
            SwitchAction::PreTripThenClose | SwitchAction::PreTripThenAllow => {
                if self.protect {
                    return Err(SwitchError::PRE_TRIP_PROTECTED);
                }
                self.alarm = true;
            }
            SwitchAction::Alarm => self.alarm = true,
            SwitchAction::AlarmRelease => self.alarm = false,
            SwitchAction::Protect => {
                // Protect keeps the power on: it closes the relay and blocks trips.
                self.protect = true;
                self.trip_commanded = false;
                self.set_relay(ms, false);
            }
            SwitchAction::ProtectRelease => self.protect = false,
            SwitchAction::Unknown(_) => return Err(SwitchError::SUSPENDED),
        }
        Ok(())
    }

    /// Check a password for a clear or change-password command.
    pub(crate) fn check_password(&self, p: Password) -> bool {
        self.password_ok(p)
    }

    /// Replace the password (0x18 / 0x0F, after the old one was checked).
    pub(crate) fn set_password(&mut self, p: Password) {
        self.password = p;
    }

    /// Meter clear (0x1A): the energy register goes back to zero.
    pub(crate) fn clear_energy(&mut self, ms: i64) {
        let p = self.power_at(ms);
        self.set_load(ms, 0, p);
    }
}

/// The integer square root (floor).
fn isqrt(n: i64) -> i64 {
    if n <= 0 {
        return 0;
    }
    let mut x = n;
    let mut y = (x + 1) / 2;
    while y < x {
        x = y;
        y = (x + n / x) / 2;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use dlt645::Edition;

    fn meter() -> Meter {
        let cfg = MeterConfig::new(Address::from_number(1).unwrap(), Edition::V2007);
        let start = Calendar::new(2026, 1, 1, 0, 0, 0)
            .unwrap()
            .seconds_since_2000();
        Meter::new(cfg, start)
    }

    #[test]
    fn energy_grows_with_the_load_and_stops_when_the_relay_opens() {
        let mut m = meter();
        // 2200 W for one hour: 2.2 kWh = 2_200_000 mWh.
        assert_eq!(m.energy_mwh_at(3_600_000), 1_000_000_000 + 2_200_000);
        m.set_relay(3_600_000, true);
        assert_eq!(m.energy_mwh_at(7_200_000), 1_000_000_000 + 2_200_000);
        assert_eq!(m.current_ma(7_200_000, 0), 0);
        // Before the start the register is extrapolated backwards.
        assert_eq!(m.energy_mwh_at(-3_600_000), 1_000_000_000 - 2_200_000);
    }

    #[test]
    fn current_follows_power_voltage_and_power_factor() {
        let m = meter();
        // Phase A: 734 W (733 + remainder 1) / (220.0 V × 0.950) = 3.511 A.
        assert_eq!(m.current_ma(0, 0), 3_511);
        assert_eq!(isqrt(1_000_000 - 950 * 950), 312);
    }

    #[test]
    fn clock_drift_and_setting() {
        let mut m = meter();
        m.cfg.faults.push(Fault::ClockDrift {
            offset_s: 60,
            per_hour_s: 10,
        });
        let start = m.clock_s(0) - 60;
        assert_eq!(m.clock_s(3_600_000), start + 3600 + 60 + 10);
        m.set_clock(3_600_000, start + 3600);
        assert_eq!(m.clock_s(3_600_000), start + 3600);
    }

    #[test]
    fn settlement_goes_back_across_the_year() {
        let m = meter();
        let dec = Calendar::new(2025, 12, 1, 0, 0, 0)
            .unwrap()
            .seconds_since_2000();
        assert_eq!(m.settlement(0, 1), Some(dec));
    }
}
