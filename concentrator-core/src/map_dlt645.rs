//! DL/T 645-2007 / -1997 mapping: items to data identifiers, replies to exact values.
//!
//! Frames are built and checked by the `dlt645` crate; this module only chooses DIs and
//! reads the few fixed-point BCD formats the core's items use (notes §1.10, §1.11, §1.13).

use dlt645::{
    Address, Body, Di, Di97, Frame, Function, Operator, Password, Payload, Reply as Rep, Repr,
    Request as Req, Scan,
};

use crate::archive::{Meter, MeterAddress};
use crate::event::SwitchAction;
use crate::item::{Item, Phase, Protocol};
use crate::mapping::{Decoded, FrameScan, Next, Part, Reply, Request};
use crate::time::DateTime;
use crate::value::{Decimal, Quality, RelayState, Unit, Value};

/// Wake-up bytes sent before every request (notes §1.1: "start every request with 4×FE").
const PREAMBLE: [u8; 4] = [0xFE; 4];

/// Finds a DL/T 645 frame at the front of `buf` (the codec's length-driven scan).
pub(crate) fn scan(buf: &[u8]) -> FrameScan {
    match dlt645::scan(buf) {
        Scan::Frame { start, end } => FrameScan::Frame { start, end },
        Scan::Incomplete { needed } => FrameScan::Incomplete { needed },
        Scan::Skip(n) => FrameScan::Skip(n),
    }
}

/// One request step of an item: the DI and how to read its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// One or more numbers (a block gives one per phase or tariff).
    Numbers,
    /// YYMMDDWW (date + weekday), notes §1.10.
    Date,
    /// hhmmss.
    TimeOfDay,
    /// YYMMDDhhmm (freeze time).
    MinuteStamp,
    /// Status word 3, relay bit 4 (notes §1.8).
    Status3,
    /// Kept as it came.
    Raw,
    /// A load-curve block: start time, then records (continued in follow-up frames).
    Curve,
}

/// The DI (as a number; 1997 uses the low 16 bits) and shape of step `step` of `item`.
fn di_of(protocol: Protocol, item: Item, step: u8) -> Option<(u32, Shape)> {
    use Shape::*;
    match protocol {
        Protocol::Dlt645_2007 => {
            let phase = |p: Phase| -> u8 {
                match p {
                    Phase::A => 0x01,
                    Phase::B => 0x02,
                    Phase::C => 0x03,
                    Phase::All => 0xFF,
                }
            };
            Some(match (item, step) {
                (Item::ActiveEnergyImport { tariff }, 0) if tariff <= 63 => {
                    (0x0001_0000 | u32::from(tariff) << 8, Numbers)
                }
                (Item::ActiveEnergyExport { tariff }, 0) if tariff <= 63 => {
                    (0x0002_0000 | u32::from(tariff) << 8, Numbers)
                }
                // XXX.X V (notes §1.11).
                (Item::Voltage(p), 0) => (0x0201_0000 | u32::from(phase(p)) << 8, Numbers),
                // XXX.XXX A, signed.
                (Item::Current(p), 0) => (0x0202_0000 | u32::from(phase(p)) << 8, Numbers),
                // XX.XXXX kW, signed.
                (Item::ActivePower, 0) => (0x0203_0000, Numbers),
                // X.XXX, signed.
                (Item::PowerFactor, 0) => (0x0206_0000, Numbers),
                (Item::Clock, 0) => (0x0400_0101, Date),
                (Item::Clock, 1) => (0x0400_0102, TimeOfDay),
                (Item::RelayState, 0) => (0x0400_0503, Status3),
                // 050600NN = time of the N-th last daily freeze, 050601NN = forward active
                // energy (total + tariffs) of that freeze (notes §1.12).
                (Item::FrozenDay { days_ago }, 0) if (1..=62).contains(&days_ago) => {
                    (0x0506_0000 | u32::from(days_ago), MinuteStamp)
                }
                (Item::FrozenDay { days_ago }, 1) if (1..=62).contains(&days_ago) => {
                    (0x0506_0100 | u32::from(days_ago), Numbers)
                }
                // 000100NN = forward active total at the N-th last settlement.
                (Item::MonthlySettlement { months_ago }, 0) if (1..=12).contains(&months_ago) => {
                    (0x0001_0000 | u32::from(months_ago), Numbers)
                }
                (Item::RawDi(di), 0) => (di, Raw),
                // 0610 per-item curve of forward active energy (notes §1.12, SY03A `ReadLoadRec`).
                (
                    Item::LoadCurve {
                        count,
                        interval_min,
                        ..
                    },
                    0,
                ) if (1..=96).contains(&count) && (1..=60).contains(&interval_min) => {
                    (0x0610_0601, Curve)
                }
                _ => return None,
            })
        }
        Protocol::Dlt645_1997 => Some(match (item, step) {
            // 901T: forward active, T = 0 total, 1..4 tariffs (notes §1.9, §1.13).
            (Item::ActiveEnergyImport { tariff }, 0) if tariff <= 4 => {
                (0x9010 | u32::from(tariff), Numbers)
            }
            (Item::ActiveEnergyExport { tariff }, 0) if tariff <= 4 => {
                (0x9020 | u32::from(tariff), Numbers)
            }
            // B61x: XXX V, whole volts in 1997 (notes §1.13).
            (Item::Voltage(Phase::A), 0) => (0xB611, Numbers),
            (Item::Voltage(Phase::B), 0) => (0xB612, Numbers),
            (Item::Voltage(Phase::C), 0) => (0xB613, Numbers),
            // B62x: XX.XX A.
            (Item::Current(p @ (Phase::A | Phase::B | Phase::C)), 0) => (
                match p {
                    Phase::A => 0xB621,
                    Phase::B => 0xB622,
                    _ => 0xB623,
                },
                Numbers,
            ),
            (Item::ActivePower, 0) => (0xB630, Numbers),
            (Item::PowerFactor, 0) => (0xB650, Numbers),
            (Item::Clock, 0) => (0xC010, Date),
            (Item::Clock, 1) => (0xC011, TimeOfDay),
            // 9410: last month's forward active total.
            (Item::MonthlySettlement { months_ago: 1 }, 0) => (0x9410, Numbers),
            (Item::RawDi(di), 0) if di <= 0xFFFF => (di, Raw),
            _ => return None,
        }),
        Protocol::MbusPrimary | Protocol::MbusSecondary => None,
    }
}

/// How many request steps an item takes.
fn steps(item: Item) -> u8 {
    match item {
        Item::Clock | Item::FrozenDay { .. } => 2,
        _ => 1,
    }
}

/// Whether a DL/T 645 meter of this edition can be read for `item`.
pub(crate) fn supports(protocol: Protocol, item: Item) -> bool {
    di_of(protocol, item, 0).is_some()
}

fn address_of(meter: &Meter) -> Option<Address> {
    match meter.address {
        MeterAddress::Dlt645(bytes) => Some(Address::from_bytes(bytes)),
        _ => None,
    }
}

fn bcd(v: u8) -> u8 {
    ((v / 10) << 4) | (v % 10)
}

fn password_of(meter: &Meter) -> Option<(Password, Operator)> {
    let c = meter.control?;
    Some((
        Password {
            level: c.level,
            code: c.password,
        },
        Operator(c.operator),
    ))
}

fn to_codec_time(t: DateTime) -> dlt645::DateTime {
    dlt645::DateTime {
        year: t.year(),
        month: t.month(),
        day: t.day(),
        hour: t.hour(),
        minute: t.minute(),
        second: t.second(),
    }
}

/// Emits the bare frame (no wake-up bytes) for `req` to `meter`.
pub(crate) fn build_frame(meter: &Meter, req: &Request, buf: &mut [u8]) -> Option<usize> {
    let address = address_of(meter)?;
    let is97 = meter.protocol == Protocol::Dlt645_1997;
    let data: [u8; 4];
    let request = match *req {
        Request::Read { item, step, seq } => {
            let (di, _) = di_of(meter.protocol, item, step)?;
            match (is97, seq) {
                (false, 0) if let Item::LoadCurve { start, count, .. } = item => {
                    // DI + NN (BCD count) + mm hh DD MM YY (L = 10, notes §1.12).
                    Req::ReadFrom {
                        di: Di(di),
                        count: bcd(count),
                        start: dlt645::MinuteTime {
                            year: start.year(),
                            month: start.month(),
                            day: start.day(),
                            hour: start.hour(),
                            minute: start.minute(),
                        },
                    }
                }
                (false, 0) => Req::Read { di: Di(di) },
                (false, seq) => Req::ReadFollow { di: Di(di), seq },
                (true, 0) => Req::Read97 {
                    di: Di97(u16::try_from(di).ok()?),
                },
                (true, _) => Req::ReadFollow97 {
                    di: Di97(u16::try_from(di).ok()?),
                },
            }
        }
        Request::Switch {
            action,
            valid_until,
        } => {
            if is97 {
                return None;
            }
            let (password, operator) = password_of(meter)?;
            Req::Switch {
                password,
                operator,
                // 1A trip, 1B close allowed (notes §1.14).
                action: match action {
                    SwitchAction::Off => dlt645::SwitchAction::Trip,
                    SwitchAction::On => dlt645::SwitchAction::AllowClose,
                },
                delay: 0,
                valid_until: to_codec_time(valid_until),
            }
        }
        Request::SetClock { step, to } => {
            let (password, operator) = password_of(meter)?;
            // 04000101 YYMMDDWW / 04000102 hhmmss, low field first on the wire
            // (notes §1.10, §1.15); 1997: C010 / C011.
            let (di, len) = if step == 0 {
                data = [
                    to.weekday(),
                    bcd(to.day()),
                    bcd(to.month()),
                    bcd((to.year() % 100) as u8),
                ];
                (if is97 { 0xC010 } else { 0x0400_0101 }, 4)
            } else {
                data = [bcd(to.second()), bcd(to.minute()), bcd(to.hour()), 0];
                (if is97 { 0xC011 } else { 0x0400_0102 }, 3)
            };
            let payload = Payload::Plain(data.get(..len)?);
            if is97 {
                Req::Write97 {
                    di: Di97(u16::try_from(di).ok()?),
                    password,
                    data: payload,
                }
            } else {
                Req::Write {
                    di: Di(di),
                    password,
                    operator,
                    data: payload,
                }
            }
        }
    };
    Repr::request(address, request).emit(buf).ok()
}

/// Writes wake-up bytes then the frame.
fn with_preamble(buf: &mut [u8], frame: impl FnOnce(&mut [u8]) -> Option<usize>) -> Option<usize> {
    buf.get_mut(..PREAMBLE.len())?.copy_from_slice(&PREAMBLE);
    let n = frame(buf.get_mut(PREAMBLE.len()..)?)?;
    Some(PREAMBLE.len() + n)
}

/// Builds the request with its wake-up bytes.
pub(crate) fn build(meter: &Meter, req: &Request, buf: &mut [u8]) -> Option<usize> {
    with_preamble(buf, |b| build_frame(meter, req, b))
}

/// Broadcast time sync 0x08 to 999999999999, without wake-up bytes: the frame is the same in
/// both editions (Clou C82 `MtrProAPI.cpp`, notes §3.3); meters never answer it.
pub(crate) fn broadcast_frame(to: DateTime, buf: &mut [u8]) -> Option<usize> {
    Repr::request(Address::BROADCAST, Req::BroadcastTime(to_codec_time(to)))
        .emit(buf)
        .ok()
}

/// The broadcast time sync with its wake-up bytes, for an RS-485 bus.
pub(crate) fn build_broadcast_time(to: DateTime, buf: &mut [u8]) -> Option<usize> {
    with_preamble(buf, |b| broadcast_frame(to, b))
}

fn push(out: &mut Decoded, part: u16, value: Value, quality: Quality) -> Option<()> {
    out.parts
        .push(Part {
            part: u8::try_from(part).ok()?,
            value,
            quality,
        })
        .ok()
}

/// The core's unit for a codec unit (no conversion: the exponent stays the codec's).
fn unit_of(u: dlt645::Unit) -> Unit {
    match u {
        dlt645::Unit::None => Unit::None,
        dlt645::Unit::KWh => Unit::KiloWattHour,
        dlt645::Unit::Kvarh => Unit::KiloVarHour,
        dlt645::Unit::Volt => Unit::Volt,
        dlt645::Unit::Ampere => Unit::Ampere,
        dlt645::Unit::KW => Unit::KiloWatt,
        dlt645::Unit::Kvar => Unit::KiloVar,
        dlt645::Unit::Hertz => Unit::Hertz,
        dlt645::Unit::Celsius => Unit::Celsius,
        dlt645::Unit::Minute => Unit::Minute,
        dlt645::Unit::KVA => Unit::KiloVoltAmpere,
        dlt645::Unit::KVAh => Unit::KiloVoltAmpereHour,
        dlt645::Unit::Percent => Unit::Percent,
        dlt645::Unit::Degree => Unit::Degree,
        _ => Unit::Other(0),
    }
}

fn date_of(t: dlt645::Timestamp, hour: u8, minute: u8, second: u8) -> Option<DateTime> {
    DateTime::new(t.year?, t.month?, t.day?, hour, minute, second).ok()
}

/// Turns the data of one reply step into values with the codec's DI catalogue; `None` if
/// the data does not have the expected shape (treated like a garbled reply: retried).
fn decode(
    protocol: Protocol,
    di: u32,
    shape: Shape,
    seq: u8,
    data: Payload<'_>,
    step_date: Option<DateTime>,
    out: &mut Decoded,
) -> Option<()> {
    if shape == Shape::Raw {
        let mut bytes = [0u8; 32];
        let mut part = 0u16;
        let mut at = 0;
        while at < data.len() {
            let chunk = data.slice(at, (at + 32).min(data.len()))?;
            let len = chunk.copy_to(&mut bytes);
            push(
                out,
                part,
                Value::Raw {
                    len: u8::try_from(len).ok()?,
                    bytes,
                },
                Quality::Good,
            )?;
            part += 1;
            at += len.max(1);
        }
        return Some(());
    }
    let continuation = shape == Shape::Curve && seq > 0;
    let values = if protocol == Protocol::Dlt645_1997 {
        dlt645::catalogue::decode97(Di97(u16::try_from(di).ok()?), data)
    } else {
        dlt645::catalogue::decode(Di(di), data, continuation)
    };
    let mut any = false;
    for item in values {
        use dlt645::Value as V;
        match (shape, item.value) {
            // A vendor's extra byte after a block reply (Clou AA/DD, notes §1.9): not a value.
            (_, V::Raw(_)) if item.name == "extra" => continue,
            (Shape::Numbers, V::Number(q)) => push(
                out,
                item.index,
                Value::Number(
                    Decimal::new(q.value.mantissa, q.value.exponent),
                    unit_of(q.unit),
                ),
                Quality::Good,
            )?,
            // All FF: not applicable or not present (notes §1.10), e.g. phases B and C of a
            // single-phase meter. Recorded as missing, never as zero.
            (Shape::Numbers, V::Absent) => {
                push(out, item.index, Value::Missing, Quality::NotAvailable)?
            }
            (Shape::Date, V::Time(t)) => out.carry = Some(date_of(t, 0, 0, 0)?),
            (Shape::TimeOfDay, V::Time(t)) => {
                let time = date_of(
                    dlt645::Timestamp {
                        year: step_date.map(|d| d.year()),
                        month: step_date.map(|d| d.month()),
                        day: step_date.map(|d| d.day()),
                        ..t
                    },
                    t.hour?,
                    t.minute?,
                    t.second?,
                )?;
                push(out, 0, Value::Time(time), Quality::Good)?;
            }
            (Shape::MinuteStamp, V::Time(t)) => {
                out.carry = Some(date_of(t, t.hour?, t.minute?, 0)?)
            }
            // No such freeze yet: its values carry no meter time.
            (Shape::MinuteStamp, V::Absent) => out.carry = None,
            // The block's start time (first frame only), then one record per interval,
            // numbered across follow-up frames.
            (Shape::Curve, V::Time(t)) if item.name == "curve start" => {
                out.carry = Some(date_of(t, t.hour?, t.minute?, 0)?)
            }
            (Shape::Curve, V::Number(q)) => {
                let part = out.counter;
                out.counter = out.counter.saturating_add(1);
                push(
                    out,
                    part,
                    Value::Number(
                        Decimal::new(q.value.mantissa, q.value.exponent),
                        unit_of(q.unit),
                    ),
                    Quality::Good,
                )?
            }
            (Shape::Curve, V::Absent) => {
                let part = out.counter;
                out.counter = out.counter.saturating_add(1);
                push(out, part, Value::Missing, Quality::NotAvailable)?
            }
            (Shape::Status3, V::Status(st)) => {
                let relay = if st.relay_open()? {
                    RelayState::Open
                } else {
                    RelayState::Closed
                };
                push(out, 0, Value::Relay(relay), Quality::Good)?;
            }
            _ => return None,
        }
        any = true;
    }
    any.then_some(())
}

/// Interprets a checked frame (wake-up bytes excluded or not) against the exchange.
pub(crate) fn interpret(meter: &Meter, req: &Request, frame: &[u8], out: &mut Decoded) -> Reply {
    let Ok(frame) = Frame::new_checked(frame) else {
        return Reply::Ignore;
    };
    let Ok(repr) = Repr::parse(&frame) else {
        return Reply::Ignore;
    };
    let Some(address) = address_of(meter) else {
        return Reply::Ignore;
    };
    // Some 1997 meters answer with the all-AA address instead of their own (Clou C82
    // `SearchMeter.cpp`, notes §1.3): accept that too, we addressed one meter.
    if repr.address != address && repr.address != Address::WILDCARD {
        return Reply::Ignore;
    }
    let carry_in = out.carry;
    match (req, repr.body) {
        // Our own request echoed back (D7 = 0, notes §1.4) or anything not a reply.
        (_, Body::Request(_)) | (_, Body::Other { .. }) => Reply::Ignore,
        (_, Body::Error { function, word }) => {
            if function == expected_function(meter, req) {
                Reply::MeterError(word.bits())
            } else {
                Reply::Ignore
            }
        }
        (Request::Read { item, step, seq }, Body::Reply(reply)) => {
            let Some((di, shape)) = di_of(meter.protocol, *item, *step) else {
                return Reply::Ignore;
            };
            let (got_di, data, got_seq) = match reply {
                Rep::Read { di, data } => (di.0, data, 0),
                Rep::ReadFollow { di, data, seq } => (di.0, data, seq),
                Rep::Read97 { di, data } | Rep::ReadFollow97 { di, data } => {
                    (u32::from(di.0), data, *seq)
                }
                _ => return Reply::Ignore,
            };
            if got_di != di || got_seq != *seq {
                return Reply::Ignore;
            }
            if decode(meter.protocol, di, shape, *seq, data, carry_in, out).is_none() {
                return Reply::Ignore;
            }
            if repr.follow {
                Reply::Answered(Next::FollowUp(seq.saturating_add(1)))
            } else if step + 1 < steps(*item) {
                Reply::Answered(Next::Step(step + 1))
            } else {
                Reply::Answered(Next::Done)
            }
        }
        (Request::Switch { .. }, Body::Reply(Rep::Ack(Function::RemoteSwitch)))
        | (Request::Switch { .. }, Body::Reply(Rep::SwitchStatus(_))) => {
            Reply::Answered(Next::Done)
        }
        (
            Request::SetClock { step, .. },
            Body::Reply(Rep::Ack(Function::Write | Function::Write97)),
        ) => {
            if *step == 0 {
                Reply::Answered(Next::Step(1))
            } else {
                Reply::Answered(Next::Done)
            }
        }
        _ => Reply::Ignore,
    }
}

fn expected_function(meter: &Meter, req: &Request) -> Function {
    let is97 = meter.protocol == Protocol::Dlt645_1997;
    match (req, is97) {
        (Request::Read { seq: 0, .. }, false) => Function::Read,
        (Request::Read { .. }, false) => Function::ReadFollow,
        (Request::Read { seq: 0, .. }, true) => Function::Read97,
        (Request::Read { .. }, true) => Function::ReadFollow97,
        (Request::Switch { .. }, _) => Function::RemoteSwitch,
        (Request::SetClock { .. }, false) => Function::Write,
        (Request::SetClock { .. }, true) => Function::Write97,
    }
}
