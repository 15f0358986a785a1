//! Frames and values as JSON objects.

use dlt645::{Address, Body, Frame, Function, Item, Reply, Repr, Request, Value, function_edition};
use serde_json::{Map, Value as Json, json};

fn address_kind(a: &Address) -> &'static str {
    if a.is_broadcast() {
        "broadcast"
    } else if a.is_wildcard() {
        "wildcard"
    } else if a.is_partial_wildcard() {
        "partial wildcard"
    } else {
        "meter"
    }
}

fn hex(bytes: impl IntoIterator<Item = u8>) -> String {
    bytes.into_iter().map(|b| format!("{b:02X}")).collect()
}

/// The JSON object of one decoded frame.
pub(crate) fn frame<T: AsRef<[u8]>>(frame: &Frame<T>, repr: &Repr<'_>) -> Json {
    let f = repr.function();
    let mut o = Map::new();
    o.insert("ok".into(), true.into());
    o.insert(
        "edition".into(),
        match function_edition(f) {
            Some(e) => e.to_string(),
            None if f == Function::BroadcastTime => "2007/1997".to_string(),
            None => "unknown".to_string(),
        }
        .into(),
    );
    o.insert("function".into(), format!("{:02X}", f.code()).into());
    o.insert("function_name".into(), f.name().into());
    o.insert("control".into(), format!("{:02X}", repr.control().0).into());
    o.insert(
        "direction".into(),
        if repr.is_reply() { "reply" } else { "request" }.into(),
    );
    o.insert("address".into(), repr.address.to_string().into());
    o.insert("address_kind".into(), address_kind(&repr.address).into());
    o.insert("follow".into(), repr.follow.into());
    o.insert("length".into(), frame.data_len().into());
    o.insert("preamble".into(), frame.preamble_len().into());
    match &repr.body {
        Body::Request(r) => request(r, &mut o),
        Body::Reply(r) => reply(r, &mut o),
        Body::Error { word, .. } => {
            o.insert(
                "error".into(),
                json!({
                    "word": format!("{:0w$X}", word.bits(), w = word_width(word)),
                    "meanings": word.meanings().collect::<Vec<_>>(),
                }),
            );
        }
        Body::Other { data, .. } => {
            o.insert("data".into(), hex(data.iter()).into());
        }
        _ => {}
    }
    Json::Object(o)
}

fn word_width(w: &dlt645::ErrorWord) -> usize {
    w.wire_len() * 2
}

fn request(r: &Request<'_>, o: &mut Map<String, Json>) {
    if let Some(di) = r.di() {
        o.insert("di".into(), di.to_string().into());
    }
    if let Some(di) = r.di97() {
        o.insert("di".into(), di.to_string().into());
    }
    let mut d = Map::new();
    match r {
        Request::Security { data, .. } => {
            d.insert("data".into(), hex(data.iter()).into());
        }
        Request::BroadcastTime(t) => {
            d.insert("time".into(), t.to_string().into());
        }
        Request::ReadBlocks { count, .. } => {
            d.insert("count".into(), (*count).into());
        }
        Request::ReadFrom { count, start, .. } => {
            d.insert("count".into(), (*count).into());
            d.insert("start".into(), start.to_string().into());
        }
        Request::ReadFollow { seq, .. } => {
            o.insert("seq".into(), (*seq).into());
        }
        Request::Write {
            password,
            operator,
            data,
            ..
        } => {
            d.insert("password".into(), password.to_string().into());
            d.insert("operator".into(), operator.to_string().into());
            d.insert("data".into(), hex(data.iter()).into());
        }
        Request::Write97 { password, data, .. } => {
            d.insert("password".into(), password.to_string().into());
            d.insert("data".into(), hex(data.iter()).into());
        }
        Request::WriteAddress(a) | Request::WriteAddress97(a) => {
            d.insert("new_address".into(), a.to_string().into());
        }
        Request::Freeze(t) => {
            d.insert(
                "freeze".into(),
                format!("{:02}{:02}{:02}{:02}", t.month, t.day, t.hour, t.minute).into(),
            );
        }
        Request::ChangeBaud(b) | Request::ChangeBaud97(b) => {
            d.insert("baud".into(), b.bps().into());
        }
        Request::ChangePassword { old, new, .. } | Request::ChangePassword97 { old, new } => {
            d.insert("old".into(), old.to_string().into());
            d.insert("new".into(), new.to_string().into());
        }
        Request::ClearDemand { password, operator }
        | Request::ClearMeter { password, operator } => {
            d.insert("password".into(), password.to_string().into());
            d.insert("operator".into(), operator.to_string().into());
        }
        Request::ClearEvents {
            password, operator, ..
        } => {
            d.insert("password".into(), password.to_string().into());
            d.insert("operator".into(), operator.to_string().into());
        }
        Request::Switch {
            password,
            operator,
            action,
            delay,
            valid_until,
        } => {
            d.insert("password".into(), password.to_string().into());
            d.insert("operator".into(), operator.to_string().into());
            d.insert("action".into(), action.name().into());
            d.insert(
                "action_code".into(),
                format!("{:02X}", action.code()).into(),
            );
            d.insert("delay".into(), (*delay).into());
            d.insert("valid_until".into(), valid_until.to_string().into());
        }
        Request::SwitchEsam {
            password,
            operator,
            ciphertext,
        } => {
            d.insert("password".into(), password.to_string().into());
            d.insert("operator".into(), operator.to_string().into());
            d.insert("ciphertext".into(), hex(ciphertext.iter()).into());
        }
        Request::TerminalOutput(m) => {
            d.insert("output".into(), m.code().into());
        }
        Request::ClearDemand97 { password } => {
            d.insert("password".into(), password.to_string().into());
        }
        _ => {}
    }
    if !d.is_empty() {
        o.insert("request".into(), Json::Object(d));
    }
}

fn reply(r: &Reply<'_>, o: &mut Map<String, Json>) {
    if let Some(di) = r.di() {
        o.insert("di".into(), di.to_string().into());
    }
    if let Some(di) = r.di97() {
        o.insert("di".into(), di.to_string().into());
    }
    if let Some(seq) = r.seq() {
        o.insert("seq".into(), seq.into());
    }
    match r {
        Reply::Address(a) => {
            o.insert("text".into(), a.to_string().into());
        }
        Reply::Baud(b) | Reply::Baud97(b) => {
            o.insert("baud".into(), b.bps().into());
        }
        Reply::Password(p) => {
            o.insert("password".into(), p.to_string().into());
        }
        Reply::SwitchStatus(s) => {
            o.insert("switch_status".into(), format!("{:04X}", s.bits()).into());
        }
        Reply::Output(m) => {
            o.insert("output".into(), m.code().into());
        }
        Reply::Security { data, .. } => {
            o.insert("data".into(), hex(data.iter()).into());
        }
        _ => {}
    }
    if let Some(values) = r.values() {
        if let Some(l) = values.layout() {
            o.insert("item".into(), l.name.into());
            if let Some(p) = l.phase {
                o.insert("phase".into(), p.to_string().into());
            }
        }
        let items: Vec<Item<'_>> = values.collect();
        if let Some(t) = items.iter().find_map(|i| text_of(&i.value)) {
            o.insert("text".into(), t.into());
        }
        o.insert("values".into(), items.iter().map(item).collect());
    }
}

/// The text form of a value that is text-like (calendar, ASCII, digits).
fn text_of(v: &Value<'_>) -> Option<String> {
    match v {
        Value::Time(_) | Value::Text(_) | Value::Digits(_) => Some(v.to_string()),
        _ => None,
    }
}

/// The JSON object of one decoded item.
pub(crate) fn item(i: &Item<'_>) -> Json {
    let mut o = Map::new();
    o.insert("name".into(), i.name.into());
    o.insert("index".into(), i.index.into());
    match &i.value {
        Value::Number(q) => {
            o.insert("value".into(), q.value.to_string().into());
            o.insert("mantissa".into(), q.value.mantissa.into());
            o.insert("exponent".into(), q.value.exponent.into());
            o.insert("unit".into(), q.unit.symbol().into());
        }
        Value::Absent => {
            o.insert("value".into(), Json::Null);
            o.insert("absent".into(), true.into());
        }
        Value::Status(s) => {
            o.insert("status_word".into(), s.word.into());
            o.insert("value".into(), format!("{:04X}", s.bits).into());
            if let Some(open) = s.relay_open() {
                o.insert("relay".into(), if open { "open" } else { "closed" }.into());
            }
        }
        Value::Baud(b) => {
            o.insert("value".into(), b.bps().into());
            o.insert("unit".into(), "bit/s".into());
        }
        Value::Raw(p) => {
            o.insert("raw".into(), hex(p.iter()).into());
        }
        Value::Invalid(p) => {
            o.insert("invalid".into(), hex(p.iter()).into());
        }
        v => {
            o.insert("value".into(), v.to_string().into());
        }
    }
    Json::Object(o)
}

/// The JSON object of a frame that failed to decode.
pub(crate) fn error(bytes: &[u8], e: &dlt645::Error) -> Json {
    json!({ "ok": false, "input": hex(bytes.iter().copied()), "error": e.to_string(), "kind": kind(e) })
}

/// A stable short name of the error variant.
pub(crate) fn kind(e: &dlt645::Error) -> &'static str {
    use dlt645::Error::*;
    match e {
        Truncated { .. } => "truncated",
        BadStart { .. } => "bad_start",
        BadSecondStart { .. } => "bad_second_start",
        BadChecksum { .. } => "bad_checksum",
        BadEnd { .. } => "bad_end",
        TrailingBytes { .. } => "trailing_bytes",
        BadLength { .. } => "bad_length",
        TooLong { .. } => "too_long",
        AddressNotAllowed { .. } => "address_not_allowed",
        BadBcd { .. } => "bad_bcd",
        BadCode { .. } => "bad_code",
        _ => "other",
    }
}

/// Set `key` in a JSON object (no-op on anything else).
pub(crate) fn set(obj: &mut Json, key: &str, value: Json) {
    if let Some(o) = obj.as_object_mut() {
        o.insert(key.to_string(), value);
    }
}
