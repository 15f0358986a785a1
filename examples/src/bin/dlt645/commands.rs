//! The port subcommands: what they send, what they print.

use dlt645::{Address, Body, DateTime, Di, Frame, Item, Reply, Repr, Request, SwitchAction, Value};
use serde_json::{Value as Json, json};

use super::args::{Command, Options};
use super::bus::{Bus, Failure};
use super::json;
use super::names::Target;

/// Follow-up frames read at most (2007 SEQ is one byte; 1997 has none).
const MAX_FOLLOW: u8 = 254;

/// What a command produced: the JSON object and the plain lines.
pub(crate) struct Outcome {
    /// For `--json`.
    pub(crate) json: Json,
    /// Otherwise.
    pub(crate) lines: Vec<String>,
}

/// Run `opts.command` on its port.
pub(crate) fn run(opts: &Options) -> Result<Outcome, Failure> {
    let mut bus = Bus::open(&opts.port)?;
    match &opts.command {
        Command::Read {
            addr,
            target,
            count,
        } => read(&mut bus, *addr, *target, *count),
        Command::Address => address(&mut bus),
        Command::Switch {
            addr,
            action,
            password,
            operator,
            valid_min,
        } => {
            let valid_until = local_time(opts.utc_offset_min + i64::from(*valid_min))?;
            let request = Request::Switch {
                password: *password,
                operator: *operator,
                action: *action,
                delay: 0,
                valid_until,
            };
            switch(&mut bus, *addr, *action, request)
        }
        Command::Time => time(&mut bus, opts.utc_offset_min),
    }
}

/// The system time (UTC) plus `offset_min` minutes, as a DL/T 645 date-time.
fn local_time(offset_min: i64) -> Result<DateTime, Failure> {
    // 2000-01-01 00:00:00 UTC in Unix time.
    const UNIX_2000: i64 = 946_684_800;
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| Failure::Invalid("the system clock is before 1970".into()))?;
    let secs = i64::try_from(unix.as_secs()).unwrap_or(i64::MAX) - UNIX_2000 + offset_min * 60;
    let t = concentrator_core::DateTime::from_seconds_since_2000(secs)
        .filter(|t| t.year() <= 2099)
        .ok_or_else(|| Failure::Invalid("the system clock is outside 2000..2099".into()))?;
    Ok(DateTime {
        year: t.year(),
        month: t.month(),
        day: t.day(),
        hour: t.hour(),
        minute: t.minute(),
        second: t.second(),
    })
}

/// One read: the request, then 0x12 (2007) or 0x02 (1997) while the meter sets the follow-up
/// flag (2007 §5.2.2 / §7.2, D5 of the control code).
fn read(
    bus: &mut Bus,
    addr: Address,
    target: Target,
    count: Option<u8>,
) -> Result<Outcome, Failure> {
    let first = match (target, count) {
        (Target::V2007(di), None) => Request::Read { di },
        (Target::V2007(di), Some(count)) => Request::ReadBlocks { di, count },
        (Target::V1997(di), _) => Request::Read97 { di },
    };
    let mut frames = vec![bus.ask(&Repr::request(addr, first))?];
    let mut seq = 0u8;
    while follows(frames.last())? {
        if seq >= MAX_FOLLOW {
            return Err(Failure::Invalid(format!(
                "the meter keeps setting the follow-up flag after {MAX_FOLLOW} frames"
            )));
        }
        seq += 1;
        let next = match target {
            Target::V2007(di) => Request::ReadFollow { di, seq },
            Target::V1997(di) => Request::ReadFollow97 { di },
        };
        frames.push(bus.ask(&Repr::request(addr, next))?);
    }
    let mut values = Vec::new();
    let mut lines = Vec::new();
    let mut item_name = None;
    let mut phase = None;
    for bytes in &frames {
        let frame = Frame::new_checked(&bytes[..])
            .map_err(|e| Failure::Invalid(format!("invalid reply frame: {e}")))?;
        let repr =
            Repr::parse(&frame).map_err(|e| Failure::Invalid(format!("invalid reply: {e}")))?;
        let Body::Reply(reply) = repr.body else {
            return Err(Failure::Invalid("the reply carries no data".into()));
        };
        check_di(&reply, target)?;
        let Some(items) = reply.values() else {
            return Err(Failure::Invalid("the reply carries no values".into()));
        };
        if let Some(l) = items.layout() {
            item_name.get_or_insert(l.name);
            if phase.is_none() {
                phase = l.phase;
            }
        }
        for i in items {
            lines.push(format!("  {}", line(&i)));
            values.push(json::item(&i));
        }
    }
    let what = item_name.unwrap_or("(not in the catalogue: raw bytes)");
    let what = match phase {
        Some(p) => format!("{what}, phase {p}"),
        None => what.to_string(),
    };
    let mut head = vec![format!(
        "meter {addr} (DL/T 645-{}) DI {}: {what}{}",
        target.edition(),
        target.hex(),
        if frames.len() > 1 {
            format!(" ({} frames)", frames.len())
        } else {
            String::new()
        }
    )];
    head.append(&mut lines);
    Ok(Outcome {
        json: json!({
            "ok": true,
            "command": "read",
            "address": addr.to_string(),
            "edition": target.edition().to_string(),
            "di": target.hex(),
            "item": item_name,
            "phase": phase.map(|p| p.to_string()),
            "frames": frames.len(),
            "values": values,
        }),
        lines: head,
    })
}

/// Does the reply in `bytes` have the follow-up flag set?
fn follows(bytes: Option<&Vec<u8>>) -> Result<bool, Failure> {
    let Some(bytes) = bytes else { return Ok(false) };
    let frame = Frame::new_checked(&bytes[..])
        .map_err(|e| Failure::Invalid(format!("invalid reply frame: {e}")))?;
    let repr = Repr::parse(&frame).map_err(|e| Failure::Invalid(format!("invalid reply: {e}")))?;
    Ok(repr.follow)
}

/// The reply must carry the DI asked for.
fn check_di(reply: &Reply<'_>, target: Target) -> Result<(), Failure> {
    let got = match target {
        Target::V2007(_) => reply.di().map(|d| format!("{:08X}", d.0)),
        Target::V1997(_) => reply.di97().map(|d| format!("{:04X}", d.0)),
    };
    match got {
        Some(d) if d == target.hex() => Ok(()),
        Some(d) => Err(Failure::Invalid(format!(
            "the reply carries DI {d}, not {}",
            target.hex()
        ))),
        None => Err(Failure::Invalid("the reply carries no DI".into())),
    }
}

/// One item as a plain line: index, name, value (relay state for status word 3).
fn line(i: &Item<'_>) -> String {
    let value = match &i.value {
        Value::Status(s) => match s.relay_open() {
            Some(open) => format!(
                "{:04X} (relay {})",
                s.bits,
                if open { "open" } else { "closed" }
            ),
            None => format!("{:04X}", s.bits),
        },
        Value::Absent => "(absent: all FF)".to_string(),
        v => v.to_string(),
    };
    format!("{:>3}  {:<40} {value}", i.index, i.name)
}

/// 0x13 to the all-AA wildcard: only one meter may be on the bus (2007 §7.4).
fn address(bus: &mut Bus) -> Result<Outcome, Failure> {
    let frame = bus.ask(&Repr::request(Address::WILDCARD, Request::ReadAddress))?;
    let f = Frame::new_checked(&frame[..])
        .map_err(|e| Failure::Invalid(format!("invalid reply frame: {e}")))?;
    let repr = Repr::parse(&f).map_err(|e| Failure::Invalid(format!("invalid reply: {e}")))?;
    let Body::Reply(Reply::Address(a)) = repr.body else {
        return Err(Failure::Invalid("the reply carries no address".into()));
    };
    Ok(Outcome {
        json: json!({ "ok": true, "command": "address", "address": a.to_string() }),
        lines: vec![format!("{a}")],
    })
}

/// 0x1C plaintext, then status word 3 (04000503) to show the relay.
fn switch(
    bus: &mut Bus,
    addr: Address,
    action: SwitchAction,
    request: Request<'_>,
) -> Result<Outcome, Failure> {
    let frame = bus.ask(&Repr::request(addr, request))?;
    let f = Frame::new_checked(&frame[..])
        .map_err(|e| Failure::Invalid(format!("invalid reply frame: {e}")))?;
    let repr = Repr::parse(&f).map_err(|e| Failure::Invalid(format!("invalid reply: {e}")))?;
    // Plain 2007 meters acknowledge with L = 0; State-Grid 2014 meters add an execution
    // status word (L = 2).
    let ack = match repr.body {
        Body::Reply(Reply::SwitchStatus(s)) => format!("status {:04X}", s.bits()),
        _ => "ack".to_string(),
    };
    let status = read(bus, addr, Target::V2007(Di(0x0400_0503)), None)?;
    let relay = status
        .json
        .get("values")
        .and_then(|v| v.get(0))
        .and_then(|v| v.get("relay"))
        .and_then(Json::as_str)
        .map(str::to_string);
    let word = status
        .json
        .get("values")
        .and_then(|v| v.get(0))
        .and_then(|v| v.get("value"))
        .cloned()
        .unwrap_or(Json::Null);
    Ok(Outcome {
        json: json!({
            "ok": true,
            "command": "switch",
            "address": addr.to_string(),
            "action": action.name(),
            "action_code": format!("{:02X}", action.code()),
            "reply": ack,
            "status_word_3": word,
            "relay": relay,
        }),
        lines: vec![
            format!(
                "meter {addr}: {} (N1 {:02X}) accepted ({ack})",
                action.name(),
                action.code()
            ),
            format!(
                "relay {} (status word 3: {})",
                relay.as_deref().unwrap_or("unknown"),
                word.as_str().unwrap_or("?")
            ),
        ],
    })
}

/// 0x08 to 999999999999 with the system time; meters never answer a broadcast (notes §1.3).
fn time(bus: &mut Bus, offset_min: i64) -> Result<Outcome, Failure> {
    let t = local_time(offset_min)?;
    bus.send(&Repr::request(
        Address::BROADCAST,
        Request::BroadcastTime(t),
    ))?;
    Ok(Outcome {
        json: json!({ "ok": true, "command": "time", "time": t.to_string(), "utc_offset_min": offset_min }),
        lines: vec![format!(
            "broadcast time {t} sent to {} (meters do not answer)",
            Address::BROADCAST
        )],
    })
}
