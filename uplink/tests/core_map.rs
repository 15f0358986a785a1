//! The mapping onto `concentrator-core` (feature `core`): requests to commands, a real-time
//! read run by the core's own engine in virtual time and answered as AFN 0C F129, archive
//! entries both ways, and core alarms as ERC records.
#![cfg(feature = "core")]

use concentrator_core::{
    Alarm, ChannelConfig, ChannelId, ChannelKind, Concentrator, DateTime as CoreTime, Event,
    EventKind, Instant, Item, LineSettings, MAX_TRANSMIT, MemStore, OffsetClock, Origin, Quality,
    Schedule, SwitchAction, Value,
};
use qgdw1376_1::core_map::{
    Command, MapError, archive_entry, decimal_to_quantity, erc, meter_of_entry, plan,
};
use qgdw1376_1::unit::{
    Erc, EventConfig, Events, ForwardActive, List, MeterEntry, MeterProtocol, Records, Values,
    emit_group,
};
use qgdw1376_1::value::{A14, Date, Month, Unit};
use qgdw1376_1::{Address, Afn, Da, Data, Dt, FrameRepr, Seq};

const TSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/plc/frames-1376-1.tsv"
));

fn vector(id: &str) -> Vec<u8> {
    let line = TSV.lines().find(|l| l.starts_with(id)).unwrap();
    let d: String = line
        .split('\t')
        .nth(1)
        .unwrap()
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .collect();
    (0..d.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&d[i..i + 2], 16).unwrap())
        .collect()
}

fn now() -> CoreTime {
    CoreTime::new(2026, 3, 10, 10, 0, 0).unwrap()
}

fn addr() -> Address {
    Address {
        area: 0x0200,
        terminal: 0x1234,
        master: 1,
        group: false,
    }
}

/// A request frame with one group.
fn request(afn: Afn, pn: u16, f: u16, data: &[Data<'_>]) -> Vec<u8> {
    let mut units = [0u8; 512];
    let n = emit_group(
        &mut units,
        Da::point(pn).unwrap(),
        Dt::function(f).unwrap(),
        data,
    )
    .unwrap();
    let r = FrameRepr::request(
        addr(),
        afn,
        10,
        Seq::single(3, true),
        units.get(..n).unwrap(),
    );
    let mut out = vec![0u8; r.buffer_len()];
    r.emit(&mut out).unwrap();
    out
}

/// The plan of a request (the frame is leaked so commands may borrow it in the test).
fn planned(bytes: &[u8]) -> Result<Vec<(u16, u16, Command<'static>)>, MapError> {
    let bytes: &'static [u8] = Vec::leak(bytes.to_vec());
    let f = FrameRepr::parse_bytes(bytes).unwrap();
    let mut v = Vec::new();
    plan(&f, now(), |p| v.push((p.pn, p.fn_number, p.command)))?;
    Ok(v)
}

#[test]
fn real_time_read_runs_on_the_core_engine_and_answers_f129_exactly() {
    let req = request(Afn::Class1, 1, 129, &[Data::Empty]);
    let plan = planned(&req).unwrap();
    let [(1, 129, Command::Read { meter: 1, items })] = plan[..] else {
        panic!("{plan:?}")
    };
    assert_eq!(items[0], Item::ActiveEnergyImport { tariff: 0 });
    assert_eq!(items.len(), 5);

    // The core engine, as in its README: meter 161 on RS-485 as archive number 1.
    let clock = OffsetClock { epoch: now() };
    let mut engine: Concentrator<MemStore<64>, OffsetClock, 16> =
        Concentrator::new(MemStore::new(), clock);
    engine.set_schedule(Schedule::OFF);
    engine
        .add_channel(
            ChannelId(2),
            ChannelConfig {
                kind: ChannelKind::Rs485,
                line: LineSettings::DLT645_2400,
            },
        )
        .unwrap();
    let entry = MeterEntry {
        serial: 1,
        point: 1,
        port: 2,
        baud: 3,
        protocol: MeterProtocol::Dlt645_2007,
        address: [0x61, 0x01, 0, 0, 0, 0],
        password: [0x12, 0x34, 0x56, 0, 0, 0],
        tariffs: 4,
        digits: 0b1001,
        collector: [0; 6],
        class: 0,
    };
    engine.add_meter(meter_of_entry(&entry).unwrap()).unwrap();
    engine.read_now(1, items[0], Origin::Master).unwrap();
    let mut buf = [0u8; MAX_TRANSMIT];
    let tx = engine
        .poll_transmit(Instant::from_ticks(0), &mut buf)
        .unwrap();
    assert_eq!(tx.channel, ChannelId(2));
    // DL/T 645 vector V05: meter 000000000161 answers 0.26 kWh.
    let v05 = [
        0x68, 0x61, 0x01, 0, 0, 0, 0, 0x68, 0x91, 0x08, 0x33, 0x33, 0x34, 0x33, 0x59, 0x33, 0x33,
        0x33, 0x8A, 0x16,
    ];
    engine.handle_received(ChannelId(2), &v05, Instant::from_ticks(250));
    let Some(Event {
        kind: EventKind::Reading(r),
        ..
    }) = engine.poll_event()
    else {
        panic!()
    };
    assert_eq!(r.quality, Quality::Good);
    let Value::Number(d, _) = r.value else {
        panic!()
    };
    // Total read; tariffs 1-4 not read in this test: "no data" (EE).
    let q = decimal_to_quantity(d, A14, Unit::KiloWattHour);
    let values = [q, None, None, None, None];
    let data = [Data::ForwardActive(ForwardActive {
        time: qgdw1376_1::core_map::minute_time_of(r.read_at),
        values: Values::new(A14, Unit::KiloWattHour, &values),
    })];
    let mut units = [0u8; 64];
    let n = emit_group(
        &mut units,
        Da::point(1).unwrap(),
        Dt::function(129).unwrap(),
        &data,
    )
    .unwrap();
    let reply = FrameRepr::response(addr(), Afn::Class1, Seq::single(3, false), &units[..n]);
    let mut out = [0u8; 128];
    let len = reply.emit(&mut out).unwrap();
    let back = FrameRepr::parse_bytes(&out[..len]).unwrap();
    let unit = back.data_units().next().unwrap().unwrap();
    let Some(Data::ForwardActive(fa)) = unit.data().unwrap() else {
        panic!()
    };
    let total = fa.values.get(0).unwrap().unwrap();
    assert_eq!((total.mantissa, total.exponent), (2600, -4)); // 0.26 kWh, exact
    assert_eq!(fa.values.get(1), Some(None));
    assert_eq!(fa.time.unwrap().hour, 10);
}

#[test]
fn control_and_clock_commands() {
    let trip = qgdw1376_1::unit::RemoteTrip {
        limit: 0,
        alarm_delay: 0,
    };
    let p = planned(&request(Afn::Control, 7, 1, &[Data::RemoteTrip(trip)])).unwrap();
    assert_eq!(
        p,
        [(
            7,
            1,
            Command::Switch {
                meter: 7,
                action: SwitchAction::Off,
                valid_until: CoreTime::new(2026, 3, 10, 10, 10, 0).unwrap()
            }
        )]
    );
    let p = planned(&request(Afn::Control, 7, 2, &[Data::Empty])).unwrap();
    assert!(matches!(
        p[0].2,
        Command::Switch {
            action: SwitchAction::On,
            ..
        }
    ));
    let t = qgdw1376_1::value::DateTime {
        year: 26,
        month: 3,
        day: 10,
        hour: 11,
        minute: 12,
        second: 13,
        weekday: 2,
    };
    let p = planned(&request(Afn::Control, 0, 31, &[Data::SetTime(t)])).unwrap();
    assert_eq!(
        p[0].2,
        Command::SetClock(CoreTime::new(2026, 3, 10, 11, 12, 13).unwrap())
    );
    // 05 F29 / F37 on p0: allow / forbid active reporting; on a meter's point: unsupported.
    let p = planned(&request(Afn::Control, 0, 29, &[Data::Empty])).unwrap();
    assert_eq!(p[0].2, Command::Reporting { allow: true });
    let p = planned(&request(Afn::Control, 0, 37, &[Data::Empty])).unwrap();
    assert_eq!(p[0].2, Command::Reporting { allow: false });
    assert!(matches!(
        planned(&request(Afn::Control, 3, 29, &[Data::Empty])),
        Err(MapError::Unsupported {
            afn: 5,
            fn_number: 29
        })
    ));
    // 0C F2 on p0 is the terminal's clock.
    let p = planned(&request(Afn::Class1, 0, 2, &[Data::Empty])).unwrap();
    assert_eq!(p[0].2, Command::TerminalClock);
}

#[test]
fn frozen_labels_count_back_from_today_and_are_bounded() {
    let yesterday = Date {
        year: 26,
        month: 3,
        day: 9,
    };
    let p = planned(&request(Afn::Class2, 3, 161, &[Data::DayLabel(yesterday)])).unwrap();
    assert_eq!(
        p[0].2,
        Command::Frozen {
            meter: 3,
            item: Item::FrozenDay { days_ago: 1 },
            label: CoreTime::new(2026, 3, 9, 0, 0, 0).unwrap()
        }
    );
    let old = Date {
        year: 25,
        month: 12,
        day: 1,
    };
    assert_eq!(
        planned(&request(Afn::Class2, 3, 161, &[Data::DayLabel(old)])),
        Err(MapError::Label {
            pn: 3,
            fn_number: 161
        })
    );
    let feb = Month { year: 26, month: 2 };
    let p = planned(&request(Afn::Class2, 3, 177, &[Data::MonthLabel(feb)])).unwrap();
    assert!(matches!(
        p[0].2,
        Command::Frozen {
            item: Item::MonthlySettlement { months_ago: 1 },
            ..
        }
    ));
    assert_eq!(
        planned(&request(Afn::Class1, 3, 3, &[Data::Empty])),
        Err(MapError::Unsupported {
            afn: 0x0C,
            fn_number: 3
        })
    );
}

#[test]
fn archive_query_u07_and_entries_both_ways() {
    // U07: AFN 0A F10 query of serial 22.
    let u07 = vector("U07");
    let p = planned(&u07).unwrap();
    assert_eq!(p, [(0, 10, Command::QueryArchive { serial: 22 })]);
    let entry = MeterEntry {
        serial: 22,
        point: 5,
        port: 2,
        baud: 3,
        protocol: MeterProtocol::Dlt645_2007,
        address: [0x61, 0x01, 0, 0, 0, 0],
        password: [0x12, 0x34, 0x56, 0, 0, 0],
        tariffs: 4,
        digits: 0b1001,
        collector: [0; 6],
        class: 0,
    };
    let meter = meter_of_entry(&entry).unwrap();
    assert_eq!(meter.archive_no, 5);
    assert_eq!(meter.baud, Some(2400));
    assert_eq!(meter.control.unwrap().password, [0x12, 0x34, 0x56]);
    assert_eq!(archive_entry(22, &meter), Some(entry));
    let none = MeterEntry {
        protocol: MeterProtocol::AcSampling,
        ..entry
    };
    assert_eq!(meter_of_entry(&none), None);
}

#[test]
fn port_pause_resume_and_downloaded_entries_map_to_commands() {
    // 05 F49 / F50 on p0 name the terminal port in their one data byte.
    let pause = planned(&request(Afn::Control, 0, 49, &[Data::Port(2)])).unwrap();
    assert_eq!(
        pause,
        [(
            0,
            49,
            Command::Port {
                port: 2,
                pause: true
            }
        )]
    );
    let resume = planned(&request(Afn::Control, 0, 50, &[Data::Port(31)])).unwrap();
    assert_eq!(
        resume,
        [(
            0,
            50,
            Command::Port {
                port: 31,
                pause: false
            }
        )]
    );
    // 04 F10: each entry is planned with its core meter and the entry itself, as received.
    let entry = MeterEntry {
        serial: 7,
        point: 9,
        port: 1,
        baud: 3,
        protocol: MeterProtocol::Dlt645_2007,
        address: [0x02, 0x02, 0, 0, 0, 0],
        password: [0x11, 0x22, 0x33, 0, 0, 0],
        tariffs: 4,
        digits: 0b1001,
        collector: [0; 6],
        class: 0x21,
    };
    let ac = MeterEntry {
        serial: 8,
        point: 10,
        protocol: MeterProtocol::AcSampling,
        ..entry
    };
    let entries = [entry, ac];
    let set = planned(&request(
        Afn::SetParameters,
        0,
        10,
        &[Data::Archive(List::Items(&entries))],
    ))
    .unwrap();
    assert_eq!(set.len(), 2);
    let (
        0,
        10,
        Command::SetArchive {
            serial: 7,
            point: 9,
            meter: Some(m),
            entry: e,
        },
    ) = set[0]
    else {
        panic!("{set:?}")
    };
    assert_eq!(
        (m.archive_no, m.channel, m.baud),
        (9, ChannelId(1), Some(2400))
    );
    assert_eq!(e, entry);
    assert!(matches!(
        set[1],
        (0, 10, Command::SetArchive { serial: 8, point: 10, meter: None, entry: e }) if e == ac
    ));
}

#[test]
fn core_alarms_become_erc12_and_erc31_records_that_round_trip() {
    let drift = Event {
        at: now(),
        kind: EventKind::Alarm(Alarm::ClockDrift {
            meter: 5,
            drift_seconds: 400,
        }),
    };
    let offline = Event {
        at: now(),
        kind: EventKind::Alarm(Alarm::MeterOffline {
            meter: 6,
            channel: ChannelId(2),
        }),
    };
    let records = [erc(&drift).unwrap(), erc(&offline).unwrap()];
    assert_eq!((records[0].erc, records[1].erc), (12, 31));
    let data = [Data::Events(Events {
        ec1: 2,
        ec2: 0,
        pm: 0,
        pn: 2,
        records: Records::Items(&records),
    })];
    let mut units = [0u8; 128];
    let n = emit_group(&mut units, Da::P0, Dt::function(1).unwrap(), &data).unwrap();
    let reply = FrameRepr::response(addr(), Afn::Class3, Seq::single(3, false), &units[..n]);
    let mut out = [0u8; 160];
    let len = reply.emit(&mut out).unwrap();
    let back = FrameRepr::parse_bytes(&out[..len]).unwrap();
    let Some(Data::Events(ev)) = back.data_units().next().unwrap().unwrap().data().unwrap() else {
        panic!()
    };
    let got: Vec<_> = ev.records.iter().collect();
    let Erc::MeterClock(c) = got[0].body else {
        panic!()
    };
    assert_eq!(
        (c.point.point(), c.point.starts(), c.time.hour),
        (5, true, 10)
    );
    let Erc::ReadingFailure(f) = got[1].body else {
        panic!()
    };
    assert_eq!((f.point.point(), f.last_success), (6, None));
    // A reading raises none.
    let reading_round = Event {
        at: now(),
        kind: EventKind::RoundStats {
            task: concentrator_core::Task::DailyFrozen,
            channel: None,
            meters: 1,
            read: 1,
            failed: 0,
        },
    };
    assert!(erc(&reading_round).is_none());
}

#[test]
fn parameters_f1_and_f9_set_and_query_on_p0() {
    // 04 F1 with the parameters of vector U05 (a real 0A F1 reply): RTS 10, delay 20,
    // word 031E, CON 07, heartbeat 15 min.
    let u05 = vector("U05");
    let u05 = FrameRepr::parse_bytes(&u05).unwrap();
    let Some(Data::CommParams(cp)) = u05.data_units().next().unwrap().unwrap().data().unwrap()
    else {
        panic!("U05 is 0A F1")
    };
    let p = planned(&request(Afn::SetParameters, 0, 1, &[Data::CommParams(cp)])).unwrap();
    assert_eq!(p, [(0, 1, Command::SetCommParams(cp))]);
    // 04 F9: ERC31 recorded and general, ERC14 recorded and important.
    let c = EventConfig {
        valid: 1 << 30 | 1 << 13,
        important: 1 << 13,
    };
    let p = planned(&request(Afn::SetParameters, 0, 9, &[Data::EventConfig(c)])).unwrap();
    assert_eq!(p, [(0, 9, Command::SetEventConfig(c))]);
    for f in [1, 9] {
        let p = planned(&request(Afn::QueryParameters, 0, f, &[])).unwrap();
        assert_eq!(p, [(0, f, Command::QueryParams)]);
    }
    // Terminal parameters live on p0 only.
    assert_eq!(
        planned(&request(Afn::SetParameters, 1, 9, &[Data::EventConfig(c)])),
        Err(MapError::Unsupported {
            afn: 0x04,
            fn_number: 9
        })
    );
    assert!(planned(&request(Afn::QueryParameters, 2, 1, &[])).is_err());
}
