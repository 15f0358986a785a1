//! Q/GDW 1376.1 frames as JSON objects, with forwarded DL/T 645 frames decoded by `dlt645`.

use qgdw1376_1::unit::{Erc, EventRecord, ForwardActive, Values};
use qgdw1376_1::value::{Date, DateTime, MinuteTime, Month, Quantity};
use qgdw1376_1::{
    Afn, Control, Data, DataUnit, Direction, Error, Frame, FrameRepr, Function, Position, UnitError,
};
use serde_json::{Map, Value as Json, json};

use super::dlt645_json;

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Adds or replaces `key` in an object.
pub(crate) fn set(j: &mut Json, key: &str, v: Json) {
    if let Json::Object(o) = j {
        o.insert(key.into(), v);
    }
}

fn error_kind(e: &Error) -> &'static str {
    match e {
        Error::Truncated { .. } => "truncated",
        Error::Start { .. } => "start",
        Error::LengthMismatch { .. } => "length_mismatch",
        Error::Protocol { .. } => "protocol",
        Error::Length { .. } => "length",
        Error::Trailing { .. } => "trailing",
        Error::End { .. } => "end",
        Error::Checksum { .. } => "checksum",
        Error::Aux { .. } => "aux",
        Error::TimeLabel(_) => "time_label",
        _ => "other",
    }
}

/// The JSON object of a frame error.
pub(crate) fn error(e: &Error) -> Json {
    json!({"ok": false, "error": e.to_string(), "kind": error_kind(e)})
}

fn unit_error(e: &UnitError) -> Json {
    let kind = match e {
        UnitError::Truncated { .. } => "truncated",
        UnitError::Trailing { .. } => "trailing",
        UnitError::Bcd { .. } => "bcd",
        UnitError::Range { .. } => "range",
        _ => "other",
    };
    json!({"error": e.to_string(), "kind": kind})
}

fn function_name(f: Function) -> String {
    match f {
        Function::Reset => "reset".into(),
        Function::UserData => "user data".into(),
        Function::LinkTest => "link test".into(),
        Function::RequestClass1 => "request class 1".into(),
        Function::RequestClass2 => "request class 2".into(),
        Function::Confirm => "confirm".into(),
        Function::Response => "response".into(),
        Function::Deny => "deny".into(),
        Function::LinkStatus => "link status".into(),
        Function::Unknown(c) => format!("unknown {c}"),
    }
}

fn afn_name(a: Afn) -> &'static str {
    match a {
        Afn::Confirm => "confirm/deny",
        Afn::Reset => "reset",
        Afn::LinkTest => "link test",
        Afn::Relay => "relay command",
        Afn::SetParameters => "set parameters",
        Afn::Control => "control",
        Afn::Authentication => "authentication",
        Afn::CascadeReport => "cascade report",
        Afn::Configuration => "terminal configuration",
        Afn::QueryParameters => "query parameters",
        Afn::TaskData => "task data",
        Afn::Class1 => "class 1 data",
        Afn::Class2 => "class 2 data",
        Afn::Class3 => "class 3 data (events)",
        Afn::File => "file transfer",
        Afn::Forward => "data forward",
        Afn::Unknown(_) => "unknown",
    }
}

fn control(c: &Control) -> Json {
    let mut o = Map::new();
    o.insert(
        "byte".into(),
        format!("{:02X}", c.to_byte().unwrap_or(0)).into(),
    );
    let up = c.dir == Direction::Up;
    o.insert("dir".into(), if up { "up" } else { "down" }.into());
    o.insert("prm".into(), c.prm.into());
    if up {
        o.insert("acd".into(), c.fcb_acd.into());
        o.insert("d4".into(), c.fcv.into());
    } else {
        o.insert("fcb".into(), c.fcb_acd.into());
        o.insert("fcv".into(), c.fcv.into());
    }
    o.insert("code".into(), c.code.into());
    o.insert("function".into(), function_name(c.function()).into());
    Json::Object(o)
}

fn quantity(q: Option<Quantity>) -> Json {
    match q {
        None => Json::Null,
        Some(q) => {
            let text = q.to_string();
            let value = text.split(' ').next().unwrap_or("");
            json!({"value": value, "unit": q.unit.symbol(), "mantissa": q.mantissa, "exponent": q.exponent})
        }
    }
}

fn values(v: &Values<'_>) -> Json {
    Json::Array(v.iter().map(quantity).collect())
}

fn minute(t: Option<MinuteTime>) -> Json {
    t.map_or(Json::Null, |t| {
        format!(
            "20{:02}-{:02}-{:02} {:02}:{:02}",
            t.year, t.month, t.day, t.hour, t.minute
        )
        .into()
    })
}

fn date_time(t: Option<DateTime>) -> Json {
    t.map_or(Json::Null, |t| {
        json!({
            "time": format!("20{:02}-{:02}-{:02} {:02}:{:02}:{:02}", t.year, t.month, t.day, t.hour, t.minute, t.second),
            "weekday": t.weekday,
        })
    })
}

fn date(d: Date) -> Json {
    format!("20{:02}-{:02}-{:02}", d.year, d.month, d.day).into()
}

fn month(m: Month) -> Json {
    format!("20{:02}-{:02}", m.year, m.month).into()
}

fn forward_active(f: &ForwardActive<'_>) -> Json {
    json!({"time": minute(f.time), "tariffs": f.values.len().saturating_sub(1), "forward_active": values(&f.values)})
}

/// A BCD meter address, low byte first on the wire, as the 12 digits one reads.
fn meter_address(a: &[u8; 6]) -> String {
    a.iter().rev().map(|b| format!("{b:02X}")).collect()
}

/// The DL/T 645 frames inside a forwarded frame, decoded.
fn dlt645(bytes: &[u8]) -> Json {
    Json::Array(
        dlt645::scan::frames(bytes)
            .map(|(_, f)| match dlt645::Repr::parse(&f) {
                Ok(r) => dlt645_json::frame(&f, &r),
                Err(e) => dlt645_json::error(f.frame_bytes(), &e),
            })
            .collect(),
    )
}

fn record(r: &EventRecord<'_>) -> Json {
    let point = |p: qgdw1376_1::unit::PointFlag| json!({"pn": p.point(), "starts": p.starts()});
    let body = match r.body {
        Erc::MeterClock(e) => {
            json!({"name": "meter clock out of tolerance", "time": minute(Some(e.time)), "point": point(e.point)})
        }
        Erc::MeterFault(e) => json!({"name": "meter fault", "time": minute(Some(e.time)),
            "point": point(e.point), "flags": format!("{:02X}", e.flags)}),
        Erc::PowerOffOn(e) => {
            json!({"name": "terminal power off/on", "off": minute(e.off), "on": minute(e.on)})
        }
        Erc::ReadingFailure(e) => json!({"name": "RS-485 reading failure",
            "time": minute(Some(e.time)), "point": point(e.point),
            "last_success": minute(e.last_success), "forward_active": quantity(e.forward_active),
            "forward_reactive": quantity(e.forward_reactive)}),
        Erc::StatusChange(e) => json!({"name": "meter status word change",
            "time": minute(Some(e.time)), "point": point(e.point),
            "changed": hex(&e.changed), "status": hex(&e.status)}),
        Erc::Raw(b) => json!({"raw": hex(b)}),
        _ => json!({}),
    };
    let mut j = body;
    set(&mut j, "erc", json!(r.erc));
    set(&mut j, "le", json!(r.data_len()));
    j
}

fn data(d: &Data<'_>) -> Json {
    match d {
        Data::Empty => json!({"type": "empty"}),
        Data::Acks(a) => {
            json!({"type": "per-unit confirm/deny", "afn": format!("{:02X}", a.afn.to_byte()),
            "entries": a.entries.iter().map(|e| json!({
                "da": format!("{:02X}{:02X}", e.da.da1, e.da.da2),
                "dt": format!("{:02X}{:02X}", e.dt.dt1, e.dt.dt2),
                "pn": e.da.points().collect::<Vec<_>>(), "fn": e.dt.functions().collect::<Vec<_>>(),
                "err": e.err})).collect::<Vec<_>>()})
        }
        Data::CommParams(p) => json!({"type": "uplink communication parameters",
            "rts_delay_20ms": p.rts_delay, "report_delay_min": p.report_delay,
            "timeout_s": p.timeout, "retries": p.retries,
            "confirm_classes": format!("{:02X}", p.confirm.bits()), "heartbeat_min": p.heartbeat}),
        Data::EventConfig(c) => {
            let ercs = |f: fn(&qgdw1376_1::unit::EventConfig, u8) -> bool| {
                (1..=64u8).filter(|&e| f(c, e)).collect::<Vec<_>>()
            };
            json!({"type": "event record configuration",
                "valid": format!("{:016X}", c.valid), "important": format!("{:016X}", c.important),
                "recorded_ercs": ercs(qgdw1376_1::unit::EventConfig::records),
                "important_ercs": ercs(|c, e| c.records(e) && c.is_important(e))})
        }
        Data::MasterAddress(m) => {
            let ep = |e: qgdw1376_1::unit::Endpoint| {
                format!("{}.{}.{}.{}:{}", e.ip[0], e.ip[1], e.ip[2], e.ip[3], e.port)
            };
            json!({"type": "master station address", "main": ep(m.main), "backup": ep(m.backup),
                "apn": String::from_utf8_lossy(m.apn_bytes())})
        }
        Data::Archive(l) => json!({"type": "meter archive", "count": l.len(),
            "entries": l.iter().map(|e| json!({
                "serial": e.serial, "point": e.point, "port": e.port, "baud": e.baud_rate(),
                "protocol": e.protocol.to_byte(), "address": meter_address(&e.address),
                "password": hex(&e.password), "tariffs": e.tariffs,
                "integer_digits": e.integer_digits(), "decimal_digits": e.decimal_digits(),
                "collector": meter_address(&e.collector), "class": format!("{:02X}", e.class),
            })).collect::<Vec<_>>()}),
        Data::ArchiveQuery(l) => {
            json!({"type": "meter archive query", "serials": l.iter().collect::<Vec<_>>()})
        }
        Data::RemoteTrip(t) => json!({"type": "remote trip", "limit_half_hours": t.limit,
            "alarm_delay_min": t.alarm_delay}),
        Data::SetTime(t) => json!({"type": "set time", "clock": date_time(Some(*t))}),
        Data::Port(p) => json!({"type": "port", "port": p}),
        Data::Clock(t) => json!({"type": "terminal clock", "clock": date_time(*t)}),
        Data::Power(p) => json!({"type": "power snapshot", "time": minute(p.time),
            "active": p.active.map(quantity), "reactive": p.reactive.map(quantity),
            "power_factor": p.power_factor.map(quantity), "voltage": p.voltage.map(quantity),
            "current": p.current.map(quantity), "zero_current": quantity(p.zero_current),
            "apparent": p.apparent.map(quantity)}),
        Data::Energies(e) => json!({"type": "energy readings", "time": minute(e.time),
            "tariffs": e.forward_active.len().saturating_sub(1),
            "forward_active": values(&e.forward_active), "forward_reactive": values(&e.forward_reactive),
            "reactive_q1": values(&e.reactive_q1), "reactive_q4": values(&e.reactive_q4)}),
        Data::ForwardActive(f) => {
            let mut j = forward_active(f);
            set(&mut j, "type", json!("forward active readings"));
            j
        }
        Data::DayLabel(d) => json!({"type": "daily time label", "td_d": date(*d)}),
        Data::MonthLabel(m) => json!({"type": "monthly time label", "td_m": month(*m)}),
        Data::CurveLabel(c) => json!({"type": "curve time label", "start": minute(Some(c.start)),
            "density": c.density, "interval_min": c.interval_minutes(), "points": c.points}),
        Data::DailyFrozen(d, f) => {
            let mut j = forward_active(f);
            set(&mut j, "type", json!("daily frozen forward active"));
            set(&mut j, "td_d", date(*d));
            j
        }
        Data::MonthlyFrozen(m, f) => {
            let mut j = forward_active(f);
            set(&mut j, "type", json!("monthly frozen forward active"));
            set(&mut j, "td_m", month(*m));
            j
        }
        Data::Curve(c) => json!({"type": "curve", "start": minute(Some(c.label.start)),
            "density": c.label.density, "interval_min": c.label.interval_minutes(),
            "points": values(&c.values)}),
        Data::EventQuery { pm, pn } => json!({"type": "event query", "pm": pm, "pn": pn}),
        Data::Events(e) => {
            json!({"type": "events", "ec1": e.ec1, "ec2": e.ec2, "pm": e.pm, "pn": e.pn,
            "records": e.records.iter().map(|r| record(&r)).collect::<Vec<_>>()})
        }
        Data::ForwardRequest(f) => json!({"type": "transparent forward request", "port": f.port,
            "control": format!("{:02X}", f.control), "frame_timeout": f.frame_timeout,
            "byte_timeout": f.byte_timeout, "frame": hex(f.frame), "dlt645": dlt645(f.frame)}),
        Data::ForwardReply(f) => json!({"type": "transparent forward reply", "port": f.port,
            "frame": hex(f.frame), "dlt645": dlt645(f.frame)}),
        _ => json!({"type": "other"}),
    }
}

fn unit(u: &DataUnit<'_>) -> (Json, bool) {
    let mut o = Map::new();
    o.insert(
        "da".into(),
        format!("{:02X}{:02X}", u.da.da1, u.da.da2).into(),
    );
    o.insert(
        "dt".into(),
        format!("{:02X}{:02X}", u.dt.dt1, u.dt.dt2).into(),
    );
    o.insert("pn".into(), u.pn.into());
    o.insert("fn".into(), u.fn_number.into());
    o.insert("offset".into(), u.offset.into());
    let mut ok = true;
    match u.data() {
        Ok(Some(d)) => {
            o.insert("data".into(), data(&d));
        }
        Ok(None) => {
            o.insert("raw".into(), hex(u.data).into());
            o.insert(
                "note".into(),
                "not in the catalogue: the rest of the data units, raw".into(),
            );
        }
        Err(e) => {
            ok = false;
            o.insert("raw".into(), hex(u.data).into());
            o.insert("data".into(), unit_error(&e));
        }
    }
    (Json::Object(o), ok)
}

/// The JSON object of one checked frame, and whether everything in it decoded.
pub(crate) fn frame(f: &Frame<'_>) -> (Json, bool) {
    let r = match FrameRepr::parse(f) {
        Ok(r) => r,
        Err(e) => return (error(&e), false),
    };
    let mut ok = true;
    let mut o = Map::new();
    o.insert("length".into(), f.as_bytes().len().into());
    o.insert("protocol".into(), r.protocol.into());
    o.insert("control".into(), control(&r.control));
    o.insert(
        "address".into(),
        json!({"area": format!("{:04X}", r.address.area), "terminal": r.address.terminal,
            "master": r.address.master, "group": r.address.group}),
    );
    o.insert(
        "afn".into(),
        json!({"code": format!("{:02X}", r.afn.to_byte()), "name": afn_name(r.afn)}),
    );
    let position = match r.seq.position() {
        Position::Single => "single",
        Position::First => "first",
        Position::Middle => "middle",
        Position::Last => "last",
    };
    o.insert(
        "seq".into(),
        json!({"byte": format!("{:02X}", r.seq.to_byte().unwrap_or(0)), "tpv": r.seq.tpv,
            "fir": r.seq.fir, "fin": r.seq.fin, "con": r.seq.con, "seq": r.seq.seq,
            "position": position}),
    );
    let mut units = Vec::new();
    for u in r.data_units() {
        match u {
            Ok(u) => {
                let (j, good) = unit(&u);
                ok &= good;
                units.push(j);
            }
            Err(e) => {
                ok = false;
                units.push(unit_error(&e));
            }
        }
    }
    o.insert("units".into(), Json::Array(units));
    o.insert("pw".into(), r.pw.map(|p| hex(&p)).into());
    o.insert(
        "ec".into(),
        r.ec.map_or(
            Json::Null,
            |e| json!({"important": e.important, "general": e.general}),
        ),
    );
    o.insert(
        "tp".into(),
        r.tp.map_or(Json::Null, |t| {
            json!({"pfc": t.pfc, "time": format!("{:02} {:02}:{:02}:{:02}", t.day, t.hour, t.minute, t.second),
                "delay_min": t.delay})
        }),
    );
    o.insert("ok".into(), ok.into());
    (Json::Object(o), ok)
}
