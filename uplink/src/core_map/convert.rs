//! Values and records converted between the two crates, exactly.

use concentrator_core::{
    ChannelId, ControlAuth, DateTime as CoreTime, Decimal, Meter, MeterAddress, Protocol, ReadSet,
};

use crate::unit::{MeterEntry, MeterProtocol};
use crate::value::{Date, DateTime, Format, MinuteTime, Quantity, Unit};

/// A core decimal as a quantity of `format`: the mantissa rescaled to the format's exponent
/// when that is exact and fits; `None` ("no data", `EE` on the wire) otherwise, never a
/// rounded value.
pub fn decimal_to_quantity(d: Decimal, format: Format, unit: Unit) -> Option<Quantity> {
    let shift = i32::from(d.exponent) - i32::from(format.exponent);
    let mantissa = if shift >= 0 {
        let f = 10i64.checked_pow(u32::try_from(shift).ok()?)?;
        d.mantissa.checked_mul(f)?
    } else {
        let f = 10i64.checked_pow(u32::try_from(-shift).ok()?)?;
        if d.mantissa % f != 0 {
            return None;
        }
        d.mantissa / f
    };
    let q = Quantity {
        mantissa,
        exponent: format.exponent,
        unit,
    };
    // The format's encoder refuses what does not fit its digits.
    let mut probe = [0u8; 8];
    let out = probe.get_mut(..format.len)?;
    format.encode(Some(q), unit, out).ok().map(|()| q)
}

/// A.1 of a core calendar time (weekday from the date; 1 = Monday … 7 = Sunday).
pub fn terminal_clock(t: CoreTime) -> Option<DateTime> {
    let wd = t.weekday();
    Some(DateTime {
        year: u8::try_from(t.year().checked_sub(2000)?).ok()?,
        month: t.month(),
        day: t.day(),
        hour: t.hour(),
        minute: t.minute(),
        second: t.second(),
        weekday: if wd == 0 { 7 } else { wd },
    })
}

/// A.15 of a core calendar time.
pub fn minute_time_of(t: CoreTime) -> Option<MinuteTime> {
    Some(MinuteTime {
        year: u8::try_from(t.year().checked_sub(2000)?).ok()?,
        month: t.month(),
        day: t.day(),
        hour: t.hour(),
        minute: t.minute(),
    })
}

/// The core calendar time of an A.1 clock (AFN 05 F31).
pub fn clock_of(t: DateTime) -> Option<CoreTime> {
    CoreTime::new(
        2000 + u16::from(t.year),
        t.month,
        t.day,
        t.hour,
        t.minute,
        t.second,
    )
    .ok()
}

/// Midnight of an A.20 date (Td_d).
pub fn date_of(d: Date) -> Option<CoreTime> {
    CoreTime::new(2000 + u16::from(d.year), d.month, d.day, 0, 0, 0).ok()
}

/// The core meter of an AFN 04 F10 entry: archive number = the measuring point pn, channel =
/// the terminal port, DL/T 645 edition from the protocol code (notes §2.7: 1 = 645-1997,
/// 30 = 645-2007), the first 3 password bytes as the level-02 control password. `None` for
/// an entry the core cannot read (protocol 0 "do not read", AC sampling, unknown codes, a
/// point 0).
pub fn meter_of_entry(e: &MeterEntry) -> Option<Meter> {
    let protocol = match e.protocol {
        MeterProtocol::Dlt645_1997 => Protocol::Dlt645_1997,
        MeterProtocol::Dlt645_2007 | MeterProtocol::Carrier => Protocol::Dlt645_2007,
        _ => return None,
    };
    if e.point == 0 {
        return None;
    }
    let [p0, p1, p2, ..] = e.password;
    Some(Meter {
        archive_no: e.point,
        protocol,
        address: MeterAddress::Dlt645(e.address),
        channel: ChannelId(e.port),
        baud: e.baud_rate(),
        control: Some(ControlAuth {
            level: 0x02,
            password: [p0, p1, p2],
            operator: [0; 4],
        }),
        reads: ReadSet::ENERGY_IMPORT | ReadSet::DAILY_FROZEN | ReadSet::MONTHLY,
        allow_clock_set: false,
    })
}

/// The AFN 0A F10 entry of a core meter under `serial`; `None` for an M-Bus meter (the
/// archive format has no M-Bus protocol code).
pub fn archive_entry(serial: u16, m: &Meter) -> Option<MeterEntry> {
    let MeterAddress::Dlt645(address) = m.address else {
        return None;
    };
    let protocol = match m.protocol {
        Protocol::Dlt645_1997 => MeterProtocol::Dlt645_1997,
        Protocol::Dlt645_2007 => MeterProtocol::Dlt645_2007,
        _ => return None,
    };
    let baud = match m.baud {
        None => 0,
        Some(600) => 1,
        Some(1200) => 2,
        Some(2400) => 3,
        Some(4800) => 4,
        Some(7200) => 5,
        Some(9600) => 6,
        Some(19200) => 7,
        Some(_) => return None,
    };
    let mut password = [0u8; 6];
    if let Some(c) = m.control {
        let [a, b, c2] = c.password;
        password = [a, b, c2, 0, 0, 0];
    }
    Some(MeterEntry {
        serial,
        point: m.archive_no,
        port: m.channel.0,
        baud,
        protocol,
        address,
        password,
        tariffs: 4,
        // 6 integer and 2 decimal digits: D3–D2 = 6 − 4, D1–D0 = 2 − 1.
        digits: 0b1001,
        collector: [0; 6],
        class: 0,
    })
}
