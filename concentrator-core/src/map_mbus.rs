//! Wired M-Bus mapping: items to REQ_UD2 readouts, variable-data records to exact values.
//!
//! Frames and records come from the `wired-mbus` crate (EN 13757-2 link layer, EN 13757-3
//! application layer). A readout is: step 0 resets the link (SND_NKE to a primary address)
//! or selects the slave (SND_UD CI 0x52 to address 253 with its secondary address); step 1
//! asks REQ_UD2 with FCB = 1 (after SND_NKE the slave expects FCB 1, EN 13757-2 §5.7.7);
//! while a telegram ends with DIF 0x1F ("more records follow", EN 13757-3) and the item is
//! not found yet, REQ_UD2 again with the FCB toggled.

use wired_mbus::app::{Function, Quantity, RecordKind, UserData, Value as MValue};
use wired_mbus::{
    Address, Frame, Repr, Request as MReq, ScanResult, SecondaryAddress, SecondaryMask,
};

use crate::archive::{Meter, MeterAddress};
use crate::item::Item;
use crate::mapping::{Decoded, FrameScan, Next, Part, Reply, Request};
use crate::value::{Decimal, Quality, Unit, Value};

/// Finds an M-Bus frame (E5, short, control or long) at the front of `buf`.
pub(crate) fn scan(buf: &[u8]) -> FrameScan {
    match wired_mbus::scan(buf) {
        ScanResult::Frame { len } => FrameScan::Frame { start: 0, end: len },
        ScanResult::Incomplete { needed } => FrameScan::Incomplete { needed },
        ScanResult::Garbage { skip, .. } => FrameScan::Skip(skip),
    }
}

/// The quantity an item reads from an M-Bus meter.
fn quantity_of(item: Item) -> Option<Quantity> {
    match item {
        // Heat and electricity meters count energy (Wh or J, EN 13757-3 table 10).
        Item::ActiveEnergyImport { tariff: 0 } => Some(Quantity::Energy),
        Item::Volume => Some(Quantity::Volume),
        _ => None,
    }
}

/// Whether an M-Bus meter can be read for `item`.
pub(crate) fn supports(item: Item) -> bool {
    quantity_of(item).is_some() || matches!(item, Item::RawMbusRecord(_))
}

fn unit_of(u: wired_mbus::app::Unit) -> Unit {
    use wired_mbus::app::Unit as U;
    match u {
        U::None => Unit::None,
        U::WattHour => Unit::WattHour,
        U::Joule => Unit::Joule,
        U::CubicMetre => Unit::CubicMetre,
        U::Kilogram => Unit::Kilogram,
        U::Second => Unit::Second,
        U::Minute => Unit::Minute,
        U::Watt => Unit::Watt,
        U::CubicMetrePerHour => Unit::CubicMetrePerHour,
        U::Celsius => Unit::Celsius,
        U::Volt => Unit::Volt,
        U::Ampere => Unit::Ampere,
        _ => Unit::Other(1),
    }
}

/// Builds step `step` (follow-up `seq`) of `req` for `meter`.
pub(crate) fn build(meter: &Meter, req: &Request, buf: &mut [u8]) -> Option<usize> {
    let Request::Read { step, seq, .. } = *req else {
        // Switching and clock writes are DL/T 645 commands.
        return None;
    };
    let request = match (meter.address, step) {
        (MeterAddress::MbusPrimary(a), 0) => MReq::SndNke {
            address: Address::primary(a)?,
        },
        (MeterAddress::MbusSecondary(bytes), 0) => MReq::Select {
            fcb: false,
            mask: SecondaryMask::exact(SecondaryAddress::from_bytes(bytes)),
        },
        (address, 1) => MReq::ReqUd2 {
            address: match address {
                MeterAddress::MbusPrimary(a) => Address::primary(a)?,
                _ => Address::NETWORK,
            },
            // FCB 1 right after the reset or selection, then toggled per telegram.
            fcb: seq % 2 == 0,
        },
        _ => return None,
    };
    request.emit(buf).ok()
}

/// Interprets a checked frame against the exchange in flight.
pub(crate) fn interpret(meter: &Meter, req: &Request, frame: &[u8], out: &mut Decoded) -> Reply {
    let Request::Read { item, step, seq } = *req else {
        return Reply::Ignore;
    };
    let Ok(frame) = Frame::new_checked(frame) else {
        return Reply::Ignore;
    };
    match (step, Repr::parse(&frame)) {
        // The single-character acknowledgement of SND_NKE or of the selection.
        (0, Repr::Ack) => Reply::Answered(Next::Step(1)),
        (
            1,
            Repr::Long {
                control, address, ..
            },
        ) if !control.is_request() => {
            if let MeterAddress::MbusPrimary(a) = meter.address
                && address.byte() != a
            {
                return Reply::Ignore;
            }
            match UserData::from_frame(&frame) {
                Ok(UserData::Variable(v)) => {
                    if let MeterAddress::MbusSecondary(bytes) = meter.address {
                        let ours = SecondaryAddress::from_bytes(bytes);
                        let theirs = SecondaryAddress::from_long_header(v.ci, frame.user_data());
                        if theirs.is_some_and(|t| t != ours) {
                            return Reply::Ignore;
                        }
                    }
                    let found = find(item, &v, out);
                    if found {
                        Reply::Answered(Next::Done)
                    } else if v.more_records_follow() {
                        Reply::Answered(Next::FollowUp(seq.saturating_add(1)))
                    } else {
                        // The meter has no such record: record the absence, never a zero.
                        let _ = out.parts.push(Part {
                            part: 0,
                            value: Value::Missing,
                            quality: Quality::NotAvailable,
                        });
                        Reply::Answered(Next::Done)
                    }
                }
                // CI 0x70: an application error (EN 13757-3 table 20) recorded as such.
                Ok(UserData::Error(e)) => Reply::MeterError(app_error_code(e)),
                _ => Reply::Ignore,
            }
        }
        _ => Reply::Ignore,
    }
}

fn app_error_code(e: wired_mbus::app::ApplicationError) -> u16 {
    use wired_mbus::app::ApplicationError as E;
    match e {
        E::Unspecified => 0,
        E::UnimplementedCi => 1,
        E::BufferTooLong => 2,
        E::TooManyRecords => 3,
        E::PrematureEnd => 4,
        E::TooManyDifes => 5,
        E::TooManyVifes => 6,
        E::Reserved => 7,
        E::Busy => 8,
        E::TooManyReadouts => 9,
        E::Unknown(c) => u16::from(c),
    }
}

/// Looks for the item in one telegram's records; `out.counter` counts data records across
/// telegrams (for [`Item::RawMbusRecord`]).
fn find(item: Item, v: &wired_mbus::app::VariableData<'_>, out: &mut Decoded) -> bool {
    for record in v.records() {
        let Ok(record) = record else {
            // A broken record ends the walk; the rest of the telegram cannot be trusted.
            return false;
        };
        if record.kind() != RecordKind::Data {
            continue;
        }
        let index = out.counter;
        out.counter = out.counter.saturating_add(1);
        if let Item::RawMbusRecord(n) = item {
            if index != u16::from(n) {
                continue;
            }
            let data = record.data();
            let mut bytes = [0u8; 32];
            let len = data.len().min(32);
            if let (Some(dst), Some(src)) = (bytes.get_mut(..len), data.get(..len)) {
                dst.copy_from_slice(src);
            }
            let _ = out.parts.push(Part {
                part: 0,
                value: Value::Raw {
                    len: u8::try_from(len).unwrap_or(32),
                    bytes,
                },
                quality: Quality::Good,
            });
            return true;
        }
        let Some(want) = quantity_of(item) else {
            return false;
        };
        let dib = record.dib();
        let current = dib.storage_number() == 0
            && dib.tariff().unwrap_or(0) == 0
            && dib.subunit().unwrap_or(0) == 0
            && dib.function() == Function::Instantaneous;
        let Some(desc) = record.describe() else {
            continue;
        };
        if !current || desc.quantity != want {
            continue;
        }
        let (value, quality) = match (record.value(), record.number()) {
            (
                MValue::Bcd {
                    invalid_digits: true,
                    ..
                },
                _,
            ) => (Value::Missing, Quality::NotAvailable),
            (_, Some(n)) => (
                Value::Number(Decimal::new(n.mantissa, n.exponent), unit_of(desc.unit)),
                Quality::Good,
            ),
            // Reals and other encodings are not exact decimals: not converted.
            _ => (Value::Missing, Quality::NotAvailable),
        };
        let _ = out.parts.push(Part {
            part: 0,
            value,
            quality,
        });
        return true;
    }
    false
}
