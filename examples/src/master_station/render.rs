//! Reply frames as JSON: AFN, then each (pn, Fn) with its typed value.

use qgdw1376_1::unit::{Data, Erc, EventRecord, PointFlag};
use qgdw1376_1::value::{MinuteTime, Quantity};
use qgdw1376_1::{FrameRepr, Units};
use serde_json::{Value, json};

fn quantity(q: Option<Quantity>) -> Value {
    match q {
        Some(q) => json!({"mantissa": q.mantissa, "exponent": q.exponent, "unit": q.unit.symbol()}),
        None => Value::Null,
    }
}

fn minute(t: Option<MinuteTime>) -> Value {
    match t {
        Some(t) => json!(format!(
            "20{:02}-{:02}-{:02} {:02}:{:02}",
            t.year, t.month, t.day, t.hour, t.minute
        )),
        None => Value::Null,
    }
}

fn point(p: PointFlag) -> Value {
    json!({"pn": p.point(), "starts": p.starts()})
}

/// Bytes as upper-case hex without separators.
pub(crate) fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02X}")).collect()
}

/// One ERC record as JSON with its typed fields (times as `20YY-MM-DD HH:MM`, quantities
/// exact as mantissa and exponent); an ERC not typed keeps its Le bytes as hex.
pub fn erc_json(r: &EventRecord<'_>) -> Value {
    let body = match r.body {
        Erc::MeterClock(e) => json!({"time": minute(Some(e.time)), "point": point(e.point)}),
        Erc::MeterFault(e) => json!({"time": minute(Some(e.time)), "point": point(e.point),
            "flags": e.flags}),
        Erc::PowerOffOn(e) => json!({"off": minute(e.off), "on": minute(e.on)}),
        Erc::ReadingFailure(e) => json!({"time": minute(Some(e.time)), "point": point(e.point),
            "last_success": minute(e.last_success),
            "forward_active": quantity(e.forward_active),
            "forward_reactive": quantity(e.forward_reactive)}),
        Erc::StatusChange(e) => json!({"time": minute(Some(e.time)), "point": point(e.point),
            "changed": hex(&e.changed), "status": hex(&e.status)}),
        Erc::Raw(b) => json!({"data": hex(b)}),
        _ => Value::Null,
    };
    json!({"erc": r.erc, "body": body})
}

/// The data units of one frame as a JSON array.
pub fn render_units(units: Units<'_>) -> Value {
    let mut out = Vec::new();
    for u in units {
        let Ok(u) = u else {
            out.push(json!({"error": "undecodable unit"}));
            break;
        };
        let value = match u.data() {
            Ok(Some(Data::Empty)) | Ok(None) => Value::Null,
            Ok(Some(Data::Clock(c))) => json!(c.map(|c| format!(
                "20{:02}-{:02}-{:02} {:02}:{:02}:{:02}",
                c.year, c.month, c.day, c.hour, c.minute, c.second
            ))),
            Ok(Some(Data::ForwardActive(fa)))
            | Ok(Some(Data::DailyFrozen(_, fa)))
            | Ok(Some(Data::MonthlyFrozen(_, fa))) => {
                json!({"forward_active": fa.values.iter().map(quantity).collect::<Vec<_>>()})
            }
            Ok(Some(Data::Events(e))) => json!({"ec1": e.ec1, "ec2": e.ec2, "pm": e.pm,
                "pn": e.pn, "records": e.records.iter().map(|r| erc_json(&r)).collect::<Vec<_>>()}),
            Ok(Some(Data::CommParams(p))) => json!({"rts_delay_20ms": p.rts_delay,
                "report_delay_min": p.report_delay, "timeout_s": p.timeout, "retries": p.retries,
                "con_flags": p.confirm.bits(), "heartbeat_min": p.heartbeat}),
            Ok(Some(Data::EventConfig(c))) => json!({
                "recorded": (1..=64u8).filter(|&e| c.records(e)).collect::<Vec<_>>(),
                "important": (1..=64u8).filter(|&e| c.records(e) && c.is_important(e))
                    .collect::<Vec<_>>()}),
            Ok(Some(Data::ForwardReply(r))) => json!({"port": r.port,
                "frame": hex(r.frame)}),
            Ok(Some(d)) => json!(format!("{d:?}")),
            Err(e) => json!({"error": e.to_string()}),
        };
        out.push(json!({"pn": u.pn, "fn": u.fn_number, "value": value}));
    }
    Value::Array(out)
}

/// Reply frames as one JSON object: AFN and every unit of every frame.
pub fn render_frames(frames: &[Vec<u8>]) -> Value {
    let mut afn = None;
    let mut units = Vec::new();
    for f in frames {
        match FrameRepr::parse_bytes(f) {
            Ok(r) => {
                afn = Some(r.afn.to_byte());
                if let Value::Array(v) = render_units(r.data_units()) {
                    units.extend(v);
                }
            }
            Err(e) => units.push(json!({"error": e.to_string()})),
        }
    }
    json!({"afn": afn, "frames": frames.len(), "units": units})
}
