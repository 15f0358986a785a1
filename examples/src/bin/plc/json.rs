//! Q/GDW 1376.2 frames as JSON objects, with embedded DL/T 645 frames decoded by `dlt645`.

use qgdw1376_2::unit::list::{Entries, Entry};
use qgdw1376_2::unit::protocol::{Protocol, ProtocolFrame};
use qgdw1376_2::unit::query::{Medium, RunMode, VendorInfo};
use qgdw1376_2::unit::time::{Date, DateTime};
use qgdw1376_2::{
    Address, AddressField, Afn, CommMode, Control, DataUnit, Direction, Edition, Error, Frame,
    FrameRepr, Info, RateUnit,
};
use serde_json::{Map, Value as Json, json};

use super::dlt645_json;
pub(crate) use examples::cli::hex;

fn afn_name(afn: Afn) -> &'static str {
    match afn {
        Afn::Confirm => "confirm/deny",
        Afn::Init => "initialisation",
        Afn::Forward => "data forward",
        Afn::Query => "query data",
        Afn::LinkTest => "link-interface test",
        Afn::Control => "control",
        Afn::Report => "active report",
        Afn::RouteQuery => "route query",
        Afn::RouteSet => "route set",
        Afn::RouteControl => "route control",
        Afn::RouteForward => "route data forward",
        Afn::RouteRead => "route data read",
        Afn::FileTransfer => "file transfer",
        Afn::Debug => "internal debug",
        Afn::Concurrent => "concurrent reading",
        Afn::Unknown(_) => "unknown",
    }
}

fn mode(m: CommMode) -> Json {
    match m {
        CommMode::CentralisedCarrier => json!("centralised-routing carrier"),
        CommMode::DistributedCarrier => json!("distributed-routing carrier"),
        CommMode::Broadband => json!("broadband carrier"),
        CommMode::Wireless => json!("micro-power wireless"),
        CommMode::Ethernet => json!("ethernet"),
        CommMode::Unknown(c) => json!(c),
    }
}

fn control(c: Control) -> Json {
    json!({
        "byte": format!("{:02X}", c.to_byte()),
        "direction": match c.direction { Direction::Down => "down", Direction::Up => "up" },
        "prm": c.prm,
        "mode": mode(c.mode),
    })
}

fn info(i: &Info) -> Json {
    match i {
        Info::Down(d) => json!({
            "route_flag": if d.r1.no_routing { "no routing" } else { "module routes" },
            "attached_nodes": d.r1.attached_nodes,
            "slave_node": d.r1.slave_node,
            "conflict_detection": d.r1.conflict_detection,
            "relay_level": d.r1.relay_level,
            "channel": d.channel,
            "ecc": d.ecc,
            "expected_reply_bytes": d.expected_reply_len,
            "rate": d.rate,
            "rate_unit": match d.rate_unit { RateUnit::Bps => "bps", RateUnit::Kbps => "kbps" },
            "seq": d.seq,
        }),
        Info::Up(u) => json!({
            "route_flag": if u.r1.no_routing { "no routing" } else { "module routes" },
            "attached_nodes": u.r1.attached_nodes,
            "slave_node": u.r1.slave_node,
            "conflict_detection": u.r1.conflict_detection,
            "relay_level": u.r1.relay_level,
            "channel": u.channel,
            "phase": u.phase,
            "channel_characteristic": u.channel_characteristic,
            "command_quality": u.command_quality,
            "reply_quality": u.reply_quality,
            "event_pending": u.event_pending,
            "seq": u.seq,
        }),
    }
}

fn address_field(a: &Option<AddressField>) -> Json {
    match a {
        None => Json::Null,
        Some(a) => json!({
            "source": a.source.to_string(),
            "relays": a.relays.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
            "destination": a.destination.to_string(),
        }),
    }
}

fn protocol(p: Protocol) -> Json {
    match p {
        Protocol::Transparent => json!("transparent"),
        Protocol::Dlt645_1997 => json!("DL/T 645-1997"),
        Protocol::Dlt645_2007 => json!("DL/T 645-2007"),
        Protocol::Dlt698_45 => json!("DL/T 698.45"),
        Protocol::Cjt188 => json!("CJ/T 188"),
        Protocol::Unknown(c) => json!(c),
    }
}

fn date(d: Date) -> String {
    format!("20{:02}-{:02}-{:02}", d.year, d.month, d.day)
}

fn date_time(t: DateTime) -> String {
    format!(
        "20{:02}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

fn vendor(v: &VendorInfo) -> Json {
    json!({
        "vendor": String::from_utf8_lossy(&v.vendor),
        "chip": String::from_utf8_lossy(&v.chip),
        "date": date(v.date),
        "version": format!("{:04}", v.version),
    })
}

fn run_mode(m: &RunMode) -> Json {
    json!({
        "medium": match m.medium {
            Medium::Narrowband => json!("narrowband"),
            Medium::Broadband => json!("broadband"),
            Medium::Wireless => json!("micro-power wireless"),
            Medium::Unknown(c) => json!(c),
        },
        "module_routes": m.module_routes,
        "archive_download": m.archive_download,
        "concentrator_led": m.concentrator_led,
        "router_led": m.router_led,
        "delay_support": m.delay_support.bits(),
        "broadcast_confirm_first": m.broadcast_confirm_first,
        "channel_count": m.channel_count,
        "monitor_timeout_s": m.monitor_timeout_s,
        "broadcast_timeout_s": m.broadcast_timeout_s,
        "max_frame_len": m.max_frame_len,
        "max_file_packet": m.max_file_packet,
        "upgrade_wait": m.upgrade_wait,
        "master_address": m.master_address.to_string(),
        "max_nodes": m.max_nodes,
        "node_count": m.node_count,
        "protocol_released": date(m.protocol_released),
        "protocol_filed": date(m.protocol_filed),
        "module": vendor(&m.vendor),
        "rates": m.rates.iter().map(|r| json!({"rate": r & 0x7FFF, "unit": if r & 0x8000 != 0 { "kbps" } else { "bps" }})).collect::<Vec<_>>(),
    })
}

fn addresses(e: &Entries<'_, Address>) -> Json {
    json!(e.iter().map(|a| a.to_string()).collect::<Vec<_>>())
}

fn list<T: Entry>(e: &Entries<'_, T>, f: impl Fn(T) -> Json) -> Json {
    Json::Array(e.iter().map(f).collect())
}

fn carried(p: Option<Protocol>, bytes: &[u8]) -> Map<String, Json> {
    let mut o = Map::new();
    if let Some(p) = p {
        o.insert("protocol".into(), protocol(p));
    }
    o.insert("frame".into(), json!(hex(bytes)));
    o
}

fn pf(f: &ProtocolFrame<'_>) -> Map<String, Json> {
    carried(Some(f.protocol), f.frame)
}

fn unit(u: &DataUnit<'_>) -> Json {
    let (kind, mut o): (&str, Map<String, Json>) = match u {
        DataUnit::Empty => ("none", Map::new()),
        DataUnit::Confirm(c) => (
            "confirm",
            obj(
                json!({"status": format!("{:08X}", c.status), "command_processed": c.command_processed(), "wait_s": c.wait_s}),
            ),
        ),
        DataUnit::Deny(d) => ("deny", obj(json!({"reason": format!("{d:?}")}))),
        DataUnit::Forward(f) => ("forward", pf(f)),
        DataUnit::Vendor(v) => ("vendor", obj(vendor(v))),
        DataUnit::MasterAddress(a) => ("master_address", obj(json!({"address": a.to_string()}))),
        DataUnit::BroadcastDelayQuery(f) => (
            "broadcast_delay_query",
            f.as_ref().map(pf).unwrap_or_default(),
        ),
        DataUnit::BroadcastDelay(d) => {
            let mut o = d.frame.as_ref().map(pf).unwrap_or_default();
            o.insert("delay_s".into(), json!(d.delay_s));
            ("broadcast_delay", o)
        }
        DataUnit::RunMode(m) => ("run_mode", obj(run_mode(m))),
        DataUnit::SendTest(s) => ("send_test", obj(json!({"duration_s": s}))),
        DataUnit::CommTest {
            rate,
            destination,
            frame,
        } => {
            let mut o = pf(frame);
            o.insert("rate".into(), json!(rate));
            o.insert("destination".into(), json!(destination.to_string()));
            ("comm_test", o)
        }
        DataUnit::SetMasterAddress(a) => {
            ("set_master_address", obj(json!({"address": a.to_string()})))
        }
        DataUnit::EventReporting(b) => ("event_reporting", obj(json!({"allowed": b}))),
        DataUnit::Broadcast(f) => ("broadcast", pf(f)),
        DataUnit::MonitorTimeout(s) => ("monitor_timeout", obj(json!({"seconds": s}))),
        DataUnit::NodeReports(e) => (
            "node_reports",
            obj(
                json!({"nodes": list(e, |n| json!({"address": n.address.to_string(), "protocol": protocol(n.protocol), "index": n.index}))}),
            ),
        ),
        DataUnit::MeterData(m) => {
            let mut o = carried(Some(m.protocol), m.frame);
            o.insert("index".into(), json!(m.index));
            o.insert("transit_s".into(), json!(m.transit_s));
            ("meter_data", o)
        }
        DataUnit::RouteStatus(s) => ("route_status", obj(json!({"status": format!("{s:?}")}))),
        DataUnit::Registered(r) => (
            "registered",
            obj(json!({"nodes": r.iter().map(|n| json!({
            "address": n.address.to_string(), "protocol": protocol(n.protocol), "index": n.index,
            "device_type": n.device_type, "attached_total": n.attached_total,
            "attached": list(&n.attached, |a| json!({"address": a.address.to_string(), "protocol": protocol(a.protocol)})),
        })).collect::<Vec<_>>()})),
        ),
        DataUnit::SlaveEvent(e) => {
            let mut o = carried(Some(e.protocol), e.frame);
            o.insert("device_type".into(), json!(e.device_type));
            ("slave_event", o)
        }
        DataUnit::NodeQuery(q) => (
            "node_query",
            obj(json!({"start": q.start, "count": q.count})),
        ),
        DataUnit::NodeCount(c) => ("node_count", obj(json!({"count": c.count, "max": c.max}))),
        DataUnit::NodePage(p) => (
            "node_page",
            obj(json!({"total": p.total, "nodes": list(&p.nodes, |n| json!({
                "address": n.address.to_string(), "relay_level": n.relay_level, "signal_quality": n.signal_quality,
                "phase": n.phase, "protocol": protocol(n.protocol),
            }))})),
        ),
        DataUnit::RouteRunStatus(s) => (
            "route_run_status",
            obj(json!({
                "finished": s.finished, "working": s.working, "event_pending": s.event_pending, "ecc": s.ecc,
                "node_count": s.node_count, "read_count": s.read_count, "relay_read_count": s.relay_read_count,
                "learning": s.learning(), "registration_allowed": s.registration_allowed(), "rate": s.rate,
                "relay_levels": s.relay_levels, "work_steps": s.work_steps,
            })),
        ),
        DataUnit::AddNodes(e) => (
            "add_nodes",
            obj(
                json!({"nodes": list(e, |n| json!({"address": n.address.to_string(), "index": n.index, "protocol": protocol(n.protocol)}))}),
            ),
        ),
        DataUnit::DeleteNodes(e) => ("delete_nodes", obj(json!({"nodes": addresses(e)}))),
        DataUnit::Registration(w) => (
            "registration",
            obj(
                json!({"start": date_time(w.start), "duration_min": w.duration_min, "retries": w.retries, "slots": w.slots}),
            ),
        ),
        DataUnit::MonitorRequest(m) => {
            let mut o = carried(Some(m.protocol), m.frame);
            o.insert("delay_sensitive".into(), json!(m.delay_sensitive));
            o.insert("attached".into(), addresses(&m.attached));
            ("monitor_request", o)
        }
        DataUnit::MonitorReply(m) => {
            let mut o = carried(Some(m.protocol), m.frame);
            o.insert("transit_s".into(), json!(m.transit_s));
            o.insert("meter_answered".into(), json!(!m.frame.is_empty()));
            ("monitor_reply", o)
        }
        DataUnit::ReadRequest(q) => (
            "read_request",
            obj(json!({"phase": q.phase, "address": q.address.to_string(), "index": q.index})),
        ),
        DataUnit::ReadAnswer(a) => {
            let mut o = carried(None, a.frame);
            o.insert("flag".into(), json!(format!("{:?}", a.flag)));
            o.insert("delay_sensitive".into(), json!(a.delay_sensitive));
            o.insert("attached".into(), addresses(&a.attached));
            ("read_answer", o)
        }
        DataUnit::Clock(t) => ("clock", obj(json!({"time": date_time(*t)}))),
        DataUnit::DelayRequest(d) => {
            let mut o = carried(None, d.frame);
            o.insert("address".into(), json!(d.address.to_string()));
            o.insert("delay_s".into(), json!(d.delay_s));
            ("delay_request", o)
        }
        DataUnit::DelayCorrected(f) => ("delay_corrected", carried(None, f)),
        DataUnit::FileSegment(s) => (
            "file_segment",
            obj(
                json!({"file_id": s.file_id, "attribute": s.attribute, "command": s.command, "total_segments": s.total_segments, "index": s.index, "length": s.data.len()}),
            ),
        ),
        DataUnit::FileAck(i) => ("file_ack", obj(json!({"index": i}))),
        DataUnit::Concurrent(c) => {
            let mut o = carried(Some(c.protocol), c.frame);
            o.insert("reserved".into(), json!(c.reserved));
            ("concurrent", o)
        }
        DataUnit::Raw(d) => ("raw", obj(json!({"data": hex(d)}))),
        _ => ("raw", Map::new()),
    };
    if let Some(frames) = u.dlt645_frames() {
        let decoded: Vec<Json> = frames
            .map(|(_, f)| match dlt645::Repr::parse(&f) {
                Ok(r) => dlt645_json::frame(&f, &r),
                Err(e) => dlt645_json::error(f.frame_bytes(), &e),
            })
            .collect();
        o.insert("dlt645".into(), Json::Array(decoded));
    }
    o.insert("type".into(), json!(kind));
    Json::Object(o)
}

fn obj(v: Json) -> Map<String, Json> {
    match v {
        Json::Object(m) => m,
        _ => Map::new(),
    }
}

/// The envelope fields of a checked frame.
fn envelope(f: &Frame<'_>, edition: Edition) -> Map<String, Json> {
    let dt = f.dt();
    obj(json!({
        "edition": match edition { Edition::V2009 => "2009", Edition::V2013 => "2013" },
        "len": f.len(),
        "control": control(f.control()),
        "info": info(&f.info()),
        "afn": format!("{:02X}", f.afn().to_byte()),
        "afn_name": afn_name(f.afn()),
        "fn": dt.fns().collect::<Vec<_>>(),
        "typed": dt.fn_number().is_some_and(|n| qgdw1376_2::unit::is_typed(f.afn(), n, f.control().direction)),
    }))
}

/// A frame decoded, or the typed error of its data unit (with the envelope around it).
pub(crate) fn frame(f: &Frame<'_>, edition: Edition) -> (Json, bool) {
    let mut o = envelope(f, edition);
    match FrameRepr::parse(f, edition) {
        Ok(r) => {
            o.insert("address".into(), address_field(&r.address));
            o.insert("unit".into(), unit(&r.unit));
            (Json::Object(o), true)
        }
        Err(e) => {
            o.insert("data".into(), json!(hex(f.data())));
            o.extend(error(&e));
            (Json::Object(o), false)
        }
    }
}

/// A typed error as JSON fields.
pub(crate) fn error(e: &Error) -> Map<String, Json> {
    let mut o = Map::new();
    o.insert("error".into(), json!(e.to_string()));
    let (kind, offset) = match *e {
        Error::Truncated { .. } => ("truncated", None),
        Error::Start { .. } => ("start", Some(0)),
        Error::Length { .. } => ("length", Some(1)),
        Error::Trailing { offset, .. } => ("trailing", Some(offset)),
        Error::End { offset, .. } => ("end", Some(offset)),
        Error::Checksum { offset, .. } => ("checksum", Some(offset)),
        Error::Header { offset, .. } => ("header", Some(offset)),
        Error::DataUnit { offset, .. } => ("data unit", Some(offset)),
        _ => ("other", None),
    };
    o.insert("kind".into(), json!(kind));
    if let Some(off) = offset {
        o.insert("offset".into(), json!(off));
    }
    o
}

/// Sets `key` on a JSON object (no-op on other values).
pub(crate) fn set(obj: &mut Json, key: &str, value: Json) {
    if let Json::Object(m) = obj {
        m.insert(key.into(), value);
    }
}
