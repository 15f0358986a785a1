//! JSON for the `mbus` tool: slave information and records with exact values and units.

use examples::cli::hex;
use serde_json::{Value as Json, json};
use wired_mbus::Frame;
use wired_mbus::app::{
    Description, FixedData, FixedUnit, Function, Header, Medium, Record, RecordError, RecordKind,
    UserData, Value, VariableData,
};

/// The whole telegram, and the record error that stopped decoding, if any.
pub(crate) fn telegram(frame: &Frame<'_>, ud: &UserData<'_>) -> (Json, Option<RecordError>) {
    let mut out = json!({
        "c": frame.control().map(|c| format!("0x{:02X}", c.byte())),
        "a": frame.address().map(|a| a.byte()),
        "ci": frame.ci().map(|c| format!("0x{c:02X}")),
    });
    let mut error = None;
    match ud {
        UserData::Variable(v) => {
            let (body, e) = variable(v);
            merge(&mut out, body);
            error = e;
        }
        UserData::Fixed(f) => merge(&mut out, fixed(f)),
        UserData::Error(e) => merge(
            &mut out,
            json!({ "structure": "error", "error": format!("{e:?}") }),
        ),
    }
    (out, error)
}

fn merge(into: &mut Json, from: Json) {
    if let (Some(a), Json::Object(b)) = (into.as_object_mut(), from) {
        a.extend(b);
    }
}

fn medium(code: u8) -> Json {
    json!({ "code": code, "name": Medium::from_u8(code).name() })
}

fn variable(v: &VariableData<'_>) -> (Json, Option<RecordError>) {
    let header = match v.header {
        Header::Long(h) => json!({
            "id": h.id.to_string(),
            "manufacturer": h.manufacturer.to_string(),
            "version": h.version,
            "medium": medium(h.medium),
            "access_number": h.access_number,
            "status": format!("0x{:02X}", h.status.bits()),
            "signature": format!("0x{:04X}", h.signature),
        }),
        Header::Short(h) => json!({
            "access_number": h.access_number,
            "status": format!("0x{:02X}", h.status.bits()),
            "signature": format!("0x{:04X}", h.signature),
        }),
        Header::None => Json::Null,
    };
    let mut records = Vec::new();
    let mut error = None;
    for r in v.records() {
        match r {
            Ok(r) => records.push(record(&r)),
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    let body = json!({
        "structure": "variable",
        "header": header,
        "records": records,
        "more_records_follow": v.more_records_follow(),
        "error": error.map(|e| e.to_string()),
    });
    (body, error)
}

fn record(r: &Record<'_>) -> Json {
    let dib = r.dib();
    let function = match (r.kind(), dib.function()) {
        (RecordKind::ManufacturerData, _) => "manufacturer specific",
        (RecordKind::MoreRecordsFollow, _) => "more records follow",
        (RecordKind::GlobalReadout, _) => "global readout",
        (_, Function::Instantaneous) => "instantaneous",
        (_, Function::Maximum) => "maximum",
        (_, Function::Minimum) => "minimum",
        (_, Function::DuringError) => "during error state",
    };
    let desc = r.describe();
    let mut out = json!({
        "offset": r.offset(),
        "function": function,
        "storage": dib.storage_number(),
        "tariff": dib.tariff(),
        "subunit": dib.subunit(),
        "value": value(r, desc),
    });
    if let (Some(vib), Some(d), Some(o)) = (r.vib(), desc, out.as_object_mut()) {
        let quantity = if vib.is_plain_text() {
            vib.plain_text().collect::<String>()
        } else {
            format!("{:?}", d.quantity)
        };
        o.insert("quantity".into(), json!(quantity));
        o.insert("unit".into(), json!(d.unit.symbol()));
        o.insert("vif".into(), json!(format!("0x{:02X}", vib.vif())));
        o.insert("vifes".into(), json!(hex(vib.vifes())));
    }
    out
}

fn value(r: &Record<'_>, desc: Option<Description>) -> Json {
    let exponent = desc.map_or(0, |d| d.exponent);
    match r.value() {
        Value::None => Json::Null,
        Value::Integer(_) | Value::Bcd { .. } => {
            let n = r.number().unwrap_or(wired_mbus::app::Number {
                mantissa: r.value().as_i64().unwrap_or(0),
                exponent: 0,
            });
            json!({
                "mantissa": n.mantissa,
                "exponent": n.exponent,
                "decimal": n.to_string(),
                "bcd_invalid": r.bcd_invalid(),
            })
        }
        Value::LongBcd { bytes, negative } => {
            json!({ "bcd_hex": hex(bytes), "negative": negative })
        }
        Value::Real(x) => json!({ "real": f64::from(x), "exponent": exponent }),
        Value::DateTime(t) => json!({
            "type": format!("{:?}", t.kind),
            "year": t.full_year(),
            "month": t.month,
            "day": t.day,
            "hour": t.hour,
            "minute": t.minute,
            "second": t.second,
            "invalid": t.invalid,
            "summer_time": t.summer_time,
        }),
        Value::Text(_) => json!({ "text": r.value().text().map(|t| t.collect::<String>()) }),
        Value::Binary(b) => json!({ "binary_hex": hex(b) }),
        Value::Manufacturer(b) => json!({ "manufacturer_hex": hex(b) }),
    }
}

fn fixed(f: &FixedData) -> Json {
    let counter = |c: &wired_mbus::app::Counter| {
        let unit = match c.unit() {
            FixedUnit::Scaled { symbol, .. } => symbol.to_owned(),
            other => format!("{other:?}"),
        };
        json!({
            "medium_unit": format!("0x{:02X}", c.medium_unit),
            "unit": unit,
            "mantissa": c.value,
            "exponent": c.number().map(|n| n.exponent),
            "decimal": c.number().map(|n| n.to_string()),
            "bcd_invalid": c.invalid_digits,
        })
    };
    json!({
        "structure": "fixed",
        "header": {
            "id": f.id.to_string(),
            "access_number": f.access_number,
            "status": format!("0x{:02X}", f.status),
            "medium_code": f.medium_code(),
            "stored": f.stored(),
        },
        "records": [counter(&f.counter1), counter(&f.counter2)],
    })
}
