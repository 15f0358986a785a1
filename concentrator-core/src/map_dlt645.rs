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

/// How a value is written on the wire: `bytes` of BCD, `exp` the power of ten of the last
/// digit, `signed` when bit 7 of the top byte is the sign (notes §1.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Format {
    bytes: usize,
    exp: i8,
    signed: bool,
    unit: Unit,
}

const ENERGY: Format = Format {
    bytes: 4,
    exp: -2,
    signed: false,
    unit: Unit::KiloWattHour,
};

/// One request step of an item: the DI and how to read its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// One or more values of one format back to back (blocks).
    Numbers(Format),
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
}

/// The DI (as a number; 1997 uses the low 16 bits) and shape of step `step` of `item`.
fn di_of(protocol: Protocol, item: Item, step: u8) -> Option<(u32, Shape)> {
    use Shape::*;
    let volts = |exp| {
        Numbers(Format {
            bytes: 2,
            exp,
            signed: false,
            unit: Unit::Volt,
        })
    };
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
                    (0x0001_0000 | u32::from(tariff) << 8, Numbers(ENERGY))
                }
                (Item::ActiveEnergyExport { tariff }, 0) if tariff <= 63 => {
                    (0x0002_0000 | u32::from(tariff) << 8, Numbers(ENERGY))
                }
                // XXX.X V (notes §1.11).
                (Item::Voltage(p), 0) => (0x0201_0000 | u32::from(phase(p)) << 8, volts(-1)),
                // XXX.XXX A, signed.
                (Item::Current(p), 0) => (
                    0x0202_0000 | u32::from(phase(p)) << 8,
                    Numbers(Format {
                        bytes: 3,
                        exp: -3,
                        signed: true,
                        unit: Unit::Ampere,
                    }),
                ),
                // XX.XXXX kW, signed.
                (Item::ActivePower, 0) => (
                    0x0203_0000,
                    Numbers(Format {
                        bytes: 3,
                        exp: -4,
                        signed: true,
                        unit: Unit::KiloWatt,
                    }),
                ),
                // X.XXX, signed.
                (Item::PowerFactor, 0) => (
                    0x0206_0000,
                    Numbers(Format {
                        bytes: 2,
                        exp: -3,
                        signed: true,
                        unit: Unit::None,
                    }),
                ),
                (Item::Clock, 0) => (0x0400_0101, Date),
                (Item::Clock, 1) => (0x0400_0102, TimeOfDay),
                (Item::RelayState, 0) => (0x0400_0503, Status3),
                // 050600NN = time of the N-th last daily freeze, 050601NN = forward active
                // energy (total + tariffs) of that freeze (notes §1.12).
                (Item::FrozenDay { days_ago }, 0) if (1..=62).contains(&days_ago) => {
                    (0x0506_0000 | u32::from(days_ago), MinuteStamp)
                }
                (Item::FrozenDay { days_ago }, 1) if (1..=62).contains(&days_ago) => {
                    (0x0506_0100 | u32::from(days_ago), Numbers(ENERGY))
                }
                // 000100NN = forward active total at the N-th last settlement.
                (Item::MonthlySettlement { months_ago }, 0) if (1..=12).contains(&months_ago) => {
                    (0x0001_0000 | u32::from(months_ago), Numbers(ENERGY))
                }
                (Item::RawDi(di), 0) => (di, Raw),
                _ => return None,
            })
        }
        Protocol::Dlt645_1997 => Some(match (item, step) {
            // 901T: forward active, T = 0 total, 1..4 tariffs (notes §1.9, §1.13).
            (Item::ActiveEnergyImport { tariff }, 0) if tariff <= 4 => {
                (0x9010 | u32::from(tariff), Numbers(ENERGY))
            }
            (Item::ActiveEnergyExport { tariff }, 0) if tariff <= 4 => {
                (0x9020 | u32::from(tariff), Numbers(ENERGY))
            }
            // B61x: XXX V, whole volts in 1997 (notes §1.13).
            (Item::Voltage(Phase::A), 0) => (0xB611, volts(0)),
            (Item::Voltage(Phase::B), 0) => (0xB612, volts(0)),
            (Item::Voltage(Phase::C), 0) => (0xB613, volts(0)),
            // B62x: XX.XX A.
            (Item::Current(p @ (Phase::A | Phase::B | Phase::C)), 0) => (
                match p {
                    Phase::A => 0xB621,
                    Phase::B => 0xB622,
                    _ => 0xB623,
                },
                Numbers(Format {
                    bytes: 2,
                    exp: -2,
                    signed: false,
                    unit: Unit::Ampere,
                }),
            ),
            (Item::ActivePower, 0) => (
                0xB630,
                Numbers(Format {
                    bytes: 3,
                    exp: -4,
                    signed: false,
                    unit: Unit::KiloWatt,
                }),
            ),
            (Item::PowerFactor, 0) => (
                0xB650,
                Numbers(Format {
                    bytes: 2,
                    exp: -3,
                    signed: false,
                    unit: Unit::None,
                }),
            ),
            (Item::Clock, 0) => (0xC010, Date),
            (Item::Clock, 1) => (0xC011, TimeOfDay),
            // 9410: last month's forward active total.
            (Item::MonthlySettlement { months_ago: 1 }, 0) => (0x9410, Numbers(ENERGY)),
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

/// Broadcast time sync 0x08 to 999999999999: the frame is the same in both editions (Clou
/// C82 `MtrProAPI.cpp`, notes §3.3); meters never answer it.
pub(crate) fn build_broadcast_time(to: DateTime, buf: &mut [u8]) -> Option<usize> {
    with_preamble(buf, |b| {
        Repr::request(Address::BROADCAST, Req::BroadcastTime(to_codec_time(to)))
            .emit(b)
            .ok()
    })
}

/// Reads an unsigned/signed fixed-point BCD field (low byte first). `None` if not BCD;
/// `Some(None)` if the field is all FF (not applicable, notes §1.10).
fn read_number(bytes: &[u8], f: Format) -> Option<Option<Decimal>> {
    if bytes.iter().all(|&b| b == 0xFF) {
        return Some(None);
    }
    let mut m: i64 = 0;
    let mut negative = false;
    for (i, &b) in bytes.iter().enumerate().rev() {
        let mut b = b;
        if f.signed && i + 1 == bytes.len() {
            negative = b & 0x80 != 0;
            b &= 0x7F;
        }
        let (hi, lo) = (b >> 4, b & 0x0F);
        if hi > 9 || lo > 9 {
            return None;
        }
        m = m * 100 + i64::from(hi) * 10 + i64::from(lo);
    }
    Some(Some(Decimal::new(if negative { -m } else { m }, f.exp)))
}

fn bcd_byte(b: u8) -> Option<u8> {
    let (hi, lo) = (b >> 4, b & 0x0F);
    (hi <= 9 && lo <= 9).then_some(hi * 10 + lo)
}

fn push(out: &mut Decoded, part: u8, value: Value, quality: Quality) {
    let _ = out.parts.push(Part {
        part,
        value,
        quality,
    });
}

/// Turns the data of one reply step into values; `None` if the data does not have the
/// expected shape (treated like a garbled reply).
fn decode(shape: Shape, data: &[u8], step_date: Option<DateTime>, out: &mut Decoded) -> Option<()> {
    match shape {
        Shape::Numbers(f) => {
            // A block reply holds as many values as the meter has (notes §1.9): read whole
            // fields; a vendor's extra trailing byte (Clou AA/DD) is ignored.
            if data.len() < f.bytes {
                return None;
            }
            for (i, field) in data.chunks_exact(f.bytes).enumerate() {
                let part = u8::try_from(i).ok()?;
                match read_number(field, f)? {
                    Some(d) => push(out, part, Value::Number(d, f.unit), Quality::Good),
                    None => push(out, part, Value::Missing, Quality::NotAvailable),
                }
            }
            Some(())
        }
        Shape::Date => {
            // WW DD MM YY on the wire. Kept for the time step.
            let [_ww, dd, mm, yy] = *data.get(..4)? else {
                return None;
            };
            let d = DateTime::new(
                2000 + u16::from(bcd_byte(yy)?),
                bcd_byte(mm)?,
                bcd_byte(dd)?,
                0,
                0,
                0,
            )
            .ok()?;
            out.carry = Some(d);
            Some(())
        }
        Shape::TimeOfDay => {
            let [ss, mi, hh] = *data.get(..3)? else {
                return None;
            };
            let d = step_date?;
            let t = DateTime::new(
                d.year(),
                d.month(),
                d.day(),
                bcd_byte(hh)?,
                bcd_byte(mi)?,
                bcd_byte(ss)?,
            )
            .ok()?;
            push(out, 0, Value::Time(t), Quality::Good);
            Some(())
        }
        Shape::MinuteStamp => {
            let [mi, hh, dd, mo, yy] = *data.get(..5)? else {
                return None;
            };
            if data.iter().take(5).all(|&b| b == 0xFF) {
                // No such freeze yet: the values that follow carry no meter time.
                out.carry = None;
                return Some(());
            }
            out.carry = Some(
                DateTime::new(
                    2000 + u16::from(bcd_byte(yy)?),
                    bcd_byte(mo)?,
                    bcd_byte(dd)?,
                    bcd_byte(hh)?,
                    bcd_byte(mi)?,
                    0,
                )
                .ok()?,
            );
            Some(())
        }
        Shape::Status3 => {
            let lo = *data.first()?;
            // Bit 4 of status word 3: 1 = relay open (notes §1.8).
            let relay = if lo & 0x10 != 0 {
                RelayState::Open
            } else {
                RelayState::Closed
            };
            push(out, 0, Value::Relay(relay), Quality::Good);
            Some(())
        }
        Shape::Raw => {
            for (i, chunk) in data.chunks(32).enumerate() {
                let mut bytes = [0u8; 32];
                bytes.get_mut(..chunk.len())?.copy_from_slice(chunk);
                push(
                    out,
                    u8::try_from(i).ok()?,
                    Value::Raw {
                        len: u8::try_from(chunk.len()).ok()?,
                        bytes,
                    },
                    Quality::Good,
                );
            }
            Some(())
        }
    }
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
            let mut plain = [0u8; 255];
            let n = data.copy_to(&mut plain);
            let Some(bytes) = plain.get(..n) else {
                return Reply::Ignore;
            };
            if decode(shape, bytes, carry_in, out).is_none() {
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
