//! The DL/T 645 mapping checked against real frames from shared/vectors/dlt645/frames.tsv:
//! the engine builds the request, the vector reply is fed back, the reading must say what the
//! vector says.
// Test helpers index freely (clippy.toml allows it inside #[test] functions only).
#![allow(clippy::indexing_slicing)]

use concentrator_core::*;

const FRAMES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/dlt645/frames.tsv"
));

fn vector(id: &str) -> Vec<u8> {
    let line = FRAMES
        .lines()
        .find(|l| l.split('\t').next() == Some(id))
        .unwrap_or_else(|| panic!("vector {id} missing"));
    let hex: String = line
        .split('\t')
        .nth(1)
        .unwrap()
        .split_whitespace()
        .collect();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

type Engine = Concentrator<MemStore<64>, OffsetClock, 16>;

fn engine(protocol: Protocol, address: u64) -> Box<Engine> {
    let epoch = DateTime::new(2016, 1, 11, 21, 53, 50).unwrap();
    let mut e = Box::new(Engine::new(MemStore::new(), OffsetClock { epoch }));
    e.set_schedule(Schedule::OFF);
    e.add_channel(
        ChannelId(0),
        ChannelConfig {
            kind: ChannelKind::Rs485,
            line: LineSettings::DLT645_2400,
        },
    )
    .unwrap();
    e.add_meter(Meter {
        archive_no: 7,
        protocol,
        address: MeterAddress::dlt645(address).unwrap(),
        channel: ChannelId(0),
        baud: None,
        control: None,
        reads: ReadSet::empty(),
        allow_clock_set: false,
    })
    .unwrap();
    e
}

/// Reads `item`, answers each request with the next reply vector; returns the sent requests
/// (without wake-up bytes) and the events.
fn exchange(e: &mut Engine, item: Item, replies: &[&str]) -> (Vec<Vec<u8>>, Vec<EventKind>) {
    e.read_now(7, item, Origin::Master).unwrap();
    let mut sent = Vec::new();
    let mut buf = [0u8; MAX_TRANSMIT];
    let mut t = 0u64;
    for id in replies {
        let tx = e.poll_transmit(Instant::from_ticks(t), &mut buf).unwrap();
        let start = buf[..tx.len].iter().position(|b| *b == 0x68).unwrap();
        sent.push(buf[start..tx.len].to_vec());
        t += 300;
        e.handle_received(ChannelId(0), &vector(id), Instant::from_ticks(t));
        t += 10;
    }
    assert!(e.poll_transmit(Instant::from_ticks(t), &mut buf).is_none());
    let mut events = Vec::new();
    while let Some(ev) = e.poll_event() {
        events.push(ev.kind);
    }
    (sent, events)
}

fn number(ev: &EventKind) -> (Value, Quality, u8) {
    match ev {
        EventKind::Reading(r) => (r.value, r.quality, r.part),
        other => panic!("not a reading: {other:?}"),
    }
}

#[test]
fn energy_v05_request_is_v04() {
    let mut e = engine(Protocol::Dlt645_2007, 161);
    let (sent, ev) = exchange(&mut e, Item::ActiveEnergyImport { tariff: 0 }, &["V05"]);
    // V04 is the same request with 4 wake-up bytes.
    assert_eq!(sent[0], vector("V04")[4..]);
    assert_eq!(
        number(&ev[0]),
        (
            Value::Number(Decimal::new(26, -2), Unit::KiloWattHour),
            Quality::Good,
            0
        )
    );
    assert!(matches!(
        ev[1],
        EventKind::CommandResult {
            outcome: Outcome::Done,
            ..
        }
    ));
}

#[test]
fn energy_v08_and_v21() {
    let mut e = engine(Protocol::Dlt645_2007, 1);
    let (_, ev) = exchange(&mut e, Item::ActiveEnergyImport { tariff: 0 }, &["V08"]);
    assert_eq!(
        number(&ev[0]).0,
        Value::Number(Decimal::new(11_228_026, -2), Unit::KiloWattHour)
    );
    let mut e = engine(Protocol::Dlt645_2007, 6_605_518);
    let (_, ev) = exchange(&mut e, Item::ActiveEnergyImport { tariff: 0 }, &["V21"]);
    assert_eq!(
        number(&ev[0]).0,
        Value::Number(Decimal::new(23_093, -2), Unit::KiloWattHour)
    );
}

#[test]
fn voltage_v06_v07_and_v12() {
    let mut e = engine(Protocol::Dlt645_2007, 161);
    let (sent, ev) = exchange(&mut e, Item::Voltage(Phase::A), &["V07"]);
    assert_eq!(sent[0], vector("V06")[4..]);
    assert_eq!(
        number(&ev[0]).0,
        Value::Number(Decimal::new(1001, -1), Unit::Volt)
    );
    let mut e = engine(Protocol::Dlt645_2007, 1111);
    let (_, ev) = exchange(&mut e, Item::Voltage(Phase::C), &["V12"]);
    assert_eq!(
        number(&ev[0]).0,
        Value::Number(Decimal::new(2200, -1), Unit::Volt)
    );
}

#[test]
fn voltage_block_v14_absent_phases_are_not_zero() {
    let mut e = engine(Protocol::Dlt645_2007, 201_000_000_012);
    let (_, ev) = exchange(&mut e, Item::Voltage(Phase::All), &["V14"]);
    assert_eq!(
        number(&ev[0]),
        (
            Value::Number(Decimal::new(2256, -1), Unit::Volt),
            Quality::Good,
            0
        )
    );
    assert_eq!(number(&ev[1]), (Value::Missing, Quality::NotAvailable, 1));
    assert_eq!(number(&ev[2]), (Value::Missing, Quality::NotAvailable, 2));
    assert_eq!(ev.len(), 4);
}

#[test]
fn clock_v15_then_v16() {
    let mut e = engine(Protocol::Dlt645_2007, 201_000_000_012);
    let (_, ev) = exchange(&mut e, Item::Clock, &["V15", "V16"]);
    assert_eq!(
        number(&ev[0]).0,
        Value::Time(DateTime::new(2016, 1, 11, 21, 53, 55).unwrap())
    );
    assert_eq!(ev.len(), 2);
}

#[test]
fn error_reply_v18_is_recorded_as_such() {
    let mut e = engine(Protocol::Dlt645_2007, 201_000_000_012);
    let (_, ev) = exchange(&mut e, Item::ActiveEnergyImport { tariff: 0 }, &["V18"]);
    // ERR 02: no requested data. No value, never a zero.
    assert_eq!(
        number(&ev[0]),
        (Value::Missing, Quality::MeterError(0x02), 0)
    );
    assert!(matches!(
        ev[1],
        EventKind::CommandResult {
            outcome: Outcome::MeterError(0x02),
            ..
        }
    ));
}

#[test]
fn dlt645_1997_voltage_v28() {
    let mut e = engine(Protocol::Dlt645_1997, 1111);
    let (sent, ev) = exchange(&mut e, Item::Voltage(Phase::C), &["V28"]);
    // 1997 read 0x01 of DI B613.
    assert_eq!(sent[0][8], 0x01);
    assert_eq!(
        number(&ev[0]).0,
        Value::Number(Decimal::new(220, 0), Unit::Volt)
    );
}

#[test]
fn reply_from_another_meter_is_ignored_then_timeout_retries() {
    // V07 comes from meter 161; we asked meter 1111.
    let mut e = engine(Protocol::Dlt645_2007, 1111);
    e.read_now(7, Item::Voltage(Phase::A), Origin::Local)
        .unwrap();
    let mut buf = [0u8; MAX_TRANSMIT];
    let tx = e.poll_transmit(Instant::from_ticks(0), &mut buf).unwrap();
    assert_eq!(tx.baud, 2400);
    e.handle_received(ChannelId(0), &vector("V07"), Instant::from_ticks(300));
    assert!(e.poll_event().is_none());
    assert_eq!(e.counters().ignored_frames, 1);
    // Deadline: request wire time + 1 s; then back-off 200 ms, then the retry.
    let deadline = e.poll_timeout().unwrap();
    e.handle_timeout(deadline);
    assert!(e.poll_transmit(deadline, &mut buf).is_none());
    let retry_at = e.poll_timeout().unwrap();
    assert_eq!(retry_at.ticks() - deadline.ticks(), 200);
    e.handle_timeout(retry_at);
    assert!(e.poll_transmit(retry_at, &mut buf).is_some());
    assert_eq!(e.counters().retries, 1);
}

#[test]
fn corrupted_vectors_are_skipped() {
    let mut e = engine(Protocol::Dlt645_2007, 123_456_789_012);
    e.read_now(7, Item::ActiveEnergyImport { tariff: 0 }, Origin::Master)
        .unwrap();
    let mut buf = [0u8; MAX_TRANSMIT];
    e.poll_transmit(Instant::from_ticks(0), &mut buf).unwrap();
    for id in ["N03", "N04", "N05"] {
        e.handle_received(ChannelId(0), &vector(id), Instant::from_ticks(300));
    }
    assert!(e.poll_event().is_none());
    assert_eq!(e.in_flight(ChannelId(0)), Some(7));
}
