//! Property tests: `emit` then `parse` is the identity for frames and for every typed data
//! unit; `parse` of arbitrary bytes never panics; the scanner finds every frame in any
//! chunking of a noisy stream.

use proptest::prelude::*;
use qgdw1376_1::unit::{
    AckEntry, AckList, CommParams, ConfirmClasses, Curve, CurveLabel, Endpoint, Energies, Erc,
    EventConfig, EventRecord, Events, ForwardActive, ForwardReply, ForwardRequest, Layout, List,
    MasterAddress, MeterClock, MeterEntry, MeterFault, MeterProtocol, PointFlag, PowerOffOn,
    PowerSnapshot, ReadingFailure, Records, RemoteTrip, StatusChange, Values, curve_format,
    emit_group, group_len,
};
use qgdw1376_1::value::{
    A5, A7, A9, A11, A14, A25, Date, DateTime, Format, MinuteTime, Month, Quantity, Unit,
};
use qgdw1376_1::{
    Address, Afn, Control, Da, Data, Direction, Dt, Ec, Frame, FrameRepr, PW_LEN, Scanner, Seq, Tp,
    scan,
};

fn qty(f: Format, unit: Unit) -> impl Strategy<Value = Option<Quantity>> {
    let max = f.max_mantissa();
    let lo = if f.signed { -max } else { 0 };
    prop_oneof![
        1 => Just(None),
        9 => (lo..=max).prop_map(move |m| Some(Quantity { mantissa: m, exponent: f.exponent, unit })),
    ]
}

fn mtime() -> impl Strategy<Value = MinuteTime> {
    (0u8..100, 1u8..13, 1u8..32, 0u8..24, 0u8..60).prop_map(|(year, month, day, hour, minute)| {
        MinuteTime {
            year,
            month,
            day,
            hour,
            minute,
        }
    })
}

fn dtime() -> impl Strategy<Value = DateTime> {
    (mtime(), 0u8..60, 0u8..8).prop_map(|(t, second, weekday)| DateTime {
        year: t.year,
        month: t.month,
        day: t.day,
        hour: t.hour,
        minute: t.minute,
        second,
        weekday,
    })
}

fn date() -> impl Strategy<Value = Date> {
    mtime().prop_map(|t| Date {
        year: t.year,
        month: t.month,
        day: t.day,
    })
}

fn entry() -> impl Strategy<Value = MeterEntry> {
    (
        (any::<u16>(), any::<u16>(), 0u8..32, 0u8..8, any::<u8>()),
        (any::<[u8; 6]>(), any::<[u8; 6]>(), any::<u8>(), any::<u8>()),
        (any::<[u8; 6]>(), any::<u8>()),
    )
        .prop_map(
            |(
                (serial, point, port, baud, p),
                (address, password, tariffs, digits),
                (collector, class),
            )| {
                MeterEntry {
                    serial,
                    point,
                    port,
                    baud,
                    protocol: MeterProtocol::from_byte(p),
                    address,
                    password,
                    tariffs,
                    digits,
                    collector,
                    class,
                }
            },
        )
}

/// Emit, check the catalogue length agrees, parse back, compare.
fn round_trip(layout: Layout, fn_number: u16, d: &Data<'_>) {
    let mut buf = vec![0; d.buffer_len()];
    let n = d.emit(&mut buf).unwrap();
    assert_eq!(n, buf.len());
    assert_eq!(layout.wire_len(&buf, fn_number), n, "{layout:?}");
    let back = Data::parse(layout, fn_number, &buf).unwrap();
    assert_eq!(&back, d);
}

fn record() -> impl Strategy<Value = (u8, Vec<u8>, u8)> {
    // (kind 0..6, raw bytes, raw ERC code)
    (
        0u8..6,
        proptest::collection::vec(any::<u8>(), 0..20),
        any::<u8>(),
    )
}

proptest! {
    #[test]
    fn frames_round_trip(
        protocol in 1u8..3,
        c in any::<u8>(),
        area in any::<u16>(), terminal in any::<u16>(), master in 0u8..128, group in any::<bool>(),
        afn in any::<u8>(),
        s in any::<u8>(),
        units in proptest::collection::vec(any::<u8>(), 0..64),
        pw in any::<[u8; PW_LEN]>(),
        ec in any::<(u8, u8)>(),
        tp in (any::<u8>(), 0u8..60, 0u8..60, 0u8..24, 1u8..32, any::<u8>()),
    ) {
        let control = Control::from_byte(c);
        let afn = Afn::from_byte(afn);
        let seq = Seq::from_byte(s);
        let repr = FrameRepr {
            protocol,
            control,
            address: Address { area, terminal, master, group },
            afn,
            seq,
            units: &units,
            pw: (control.dir == Direction::Down && afn.carries_pw()).then_some(pw),
            ec: control.acd().then_some(Ec { important: ec.0, general: ec.1 }),
            tp: seq.tpv.then_some(Tp {
                pfc: tp.0, second: tp.1, minute: tp.2, hour: tp.3, day: tp.4, delay: tp.5,
            }),
        };
        let mut out = vec![0; repr.buffer_len()];
        prop_assert_eq!(repr.emit(&mut out), Ok(out.len()));
        let frame = Frame::new_checked(&out).unwrap();
        prop_assert_eq!(FrameRepr::parse(&frame).unwrap(), repr);
        prop_assert_eq!(scan(&out, 20_000), qgdw1376_1::Found::Frame { start: 0, end: out.len() });
        // A PW, EC or Tp that disagrees with the header is refused.
        let mut bad = repr;
        bad.tp = if repr.tp.is_some() { None } else { repr.tp.or(Some(Tp { pfc: 0, second: 0, minute: 0, hour: 0, day: 1, delay: 0 })) };
        prop_assert!(bad.emit(&mut [0; 200]).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = scan(&bytes, 20_000);
        if let Ok(r) = FrameRepr::parse_bytes(&bytes) {
            for u in r.data_units() {
                let Ok(u) = u else { break };
                let _ = u.data();
            }
            let mut out = vec![0; r.buffer_len()];
            prop_assert_eq!(r.emit(&mut out), Ok(bytes.len()));
            prop_assert_eq!(out, bytes);
        }
    }

    #[test]
    fn arbitrary_units_never_panic(
        afn in prop_oneof![Just(0u8), Just(2), Just(4), Just(5), Just(0x0A), Just(0x0C), Just(0x0D), Just(0x0E), Just(0x10), any::<u8>()],
        up in any::<bool>(),
        body in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let dir = if up { Direction::Up } else { Direction::Down };
        for u in qgdw1376_1::Units::new(&body, Afn::from_byte(afn), dir, 14) {
            let Ok(u) = u else { break };
            if let Ok(Some(d)) = u.data() {
                // A unit that decodes re-emits its own bytes (EE/FF fills aside, EE for both).
                let mut buf = vec![0; d.buffer_len()];
                prop_assert_eq!(d.emit(&mut buf), Ok(u.data.len()));
                prop_assert_eq!(Data::parse(u.layout.unwrap(), u.fn_number, &buf), Ok(d));
            }
        }
    }

    #[test]
    fn comm_params_and_master_address(
        p in (any::<u8>(), any::<u8>(), 0u16..4096, 0u8..4, any::<u8>(), any::<u8>()),
        m in (any::<[u8; 4]>(), any::<u16>(), any::<[u8; 4]>(), any::<u16>(), any::<[u8; 16]>()),
    ) {
        let cp = CommParams {
            rts_delay: p.0, report_delay: p.1, timeout: p.2, retries: p.3,
            confirm: ConfirmClasses::from_bits_retain(p.4), heartbeat: p.5,
        };
        round_trip(Layout::CommParams, 1, &Data::CommParams(cp));
        let ma = MasterAddress {
            main: Endpoint { ip: m.0, port: m.1 },
            backup: Endpoint { ip: m.2, port: m.3 },
            apn: m.4,
        };
        round_trip(Layout::MasterAddress, 3, &Data::MasterAddress(ma));
    }

    #[test]
    fn event_config(valid in any::<u64>(), important in any::<u64>()) {
        let c = EventConfig { valid, important };
        round_trip(Layout::EventConfig, 9, &Data::EventConfig(c));
        for erc in 1..=64u8 {
            prop_assert_eq!(c.records(erc), valid >> (erc - 1) & 1 == 1);
            prop_assert_eq!(c.is_important(erc), important >> (erc - 1) & 1 == 1);
        }
    }

    #[test]
    fn archive_entries_and_queries(
        entries in proptest::collection::vec(entry(), 0..6),
        serials in proptest::collection::vec(any::<u16>(), 0..10),
    ) {
        round_trip(Layout::Archive, 10, &Data::Archive(List::Items(&entries)));
        round_trip(Layout::ArchiveQuery, 10, &Data::ArchiveQuery(List::Items(&serials)));
    }

    #[test]
    fn control_commands(
        limit in 0u8..16, delay in 0u8..16, t in dtime(), port in any::<u8>(),
        clock in proptest::option::of(dtime()),
    ) {
        round_trip(Layout::RemoteTrip, 1, &Data::RemoteTrip(RemoteTrip { limit, alarm_delay: delay }));
        round_trip(Layout::SetTime, 31, &Data::SetTime(t));
        round_trip(Layout::Port, 49, &Data::Port(port));
        round_trip(Layout::Clock, 2, &Data::Clock(clock));
        round_trip(Layout::Empty, 2, &Data::Empty);
    }

    #[test]
    fn power_snapshot(
        time in proptest::option::of(mtime()),
        p in proptest::array::uniform4(qty(A9, Unit::KiloWatt)),
        q in proptest::array::uniform4(qty(A9, Unit::KiloVar)),
        pf in proptest::array::uniform4(qty(A5, Unit::Percent)),
        u in proptest::array::uniform3(qty(A7, Unit::Volt)),
        i in proptest::array::uniform3(qty(A25, Unit::Ampere)),
        i0 in qty(A25, Unit::Ampere),
        s in proptest::array::uniform4(qty(A9, Unit::KiloVoltAmpere)),
    ) {
        let snap = PowerSnapshot {
            time, active: p, reactive: q, power_factor: pf, voltage: u, current: i,
            zero_current: i0, apparent: s,
        };
        round_trip(Layout::Power, 25, &Data::Power(snap));
    }

    #[test]
    fn energies_and_frozen(
        time in proptest::option::of(mtime()),
        m in 0usize..14,
        seed in proptest::collection::vec((qty(A14, Unit::KiloWattHour), qty(A11, Unit::KiloVarHour), qty(A11, Unit::KiloVarHour), qty(A11, Unit::KiloVarHour)), 15),
        td in date(),
    ) {
        let n = m + 1;
        let fa: Vec<_> = seed.iter().take(n).map(|s| s.0).collect();
        let fr: Vec<_> = seed.iter().take(n).map(|s| s.1).collect();
        let q1: Vec<_> = seed.iter().take(n).map(|s| s.2).collect();
        let q4: Vec<_> = seed.iter().take(n).map(|s| s.3).collect();
        let e = Energies {
            time,
            forward_active: Values::new(A14, Unit::KiloWattHour, &fa),
            forward_reactive: Values::new(A11, Unit::KiloVarHour, &fr),
            reactive_q1: Values::new(A11, Unit::KiloVarHour, &q1),
            reactive_q4: Values::new(A11, Unit::KiloVarHour, &q4),
        };
        round_trip(Layout::Energies, 33, &Data::Energies(e));
        let f = ForwardActive { time, values: Values::new(A14, Unit::KiloWattHour, &fa) };
        round_trip(Layout::ForwardActive, 129, &Data::ForwardActive(f));
        round_trip(Layout::DailyFrozen, 161, &Data::DailyFrozen(td, f));
        let tm = Month { year: td.year, month: td.month };
        round_trip(Layout::MonthlyFrozen, 177, &Data::MonthlyFrozen(tm, f));
        round_trip(Layout::DayLabel, 161, &Data::DayLabel(td));
        round_trip(Layout::MonthLabel, 177, &Data::MonthLabel(tm));
    }

    #[test]
    fn curves(
        fn_number in prop_oneof![81u16..96, 97u16..109],
        start in mtime(), density in any::<u8>(),
        raw in proptest::collection::vec((any::<bool>(), any::<i64>()), 0..24),
    ) {
        let (f, unit) = curve_format(fn_number).unwrap();
        let max = f.max_mantissa();
        let vals: Vec<Option<Quantity>> = raw
            .iter()
            .map(|&(some, m)| {
                let m = if f.signed { m % (max + 1) } else { (m % (max + 1)).abs() };
                some.then_some(Quantity { mantissa: m, exponent: f.exponent, unit })
            })
            .collect();
        let label = CurveLabel { start, density, points: vals.len() as u8 };
        round_trip(Layout::CurveLabel, fn_number, &Data::CurveLabel(label));
        let c = Curve { label, values: Values::new(f, unit, &vals) };
        round_trip(Layout::Curve, fn_number, &Data::Curve(c));
    }

    #[test]
    fn events(
        ec1 in any::<u8>(), ec2 in any::<u8>(), pm in any::<u8>(),
        specs in proptest::collection::vec((record(), mtime(), proptest::option::of(mtime()), any::<u16>(), qty(A14, Unit::KiloWattHour), qty(A11, Unit::KiloVarHour), any::<[u8; 14]>()), 0..5),
        q in any::<(u8, u8)>(),
    ) {
        let recs: Vec<EventRecord<'_>> = specs
            .iter()
            .map(|((kind, raw, code), t, t2, p, fa, fr, st)| {
                let point = PointFlag(*p);
                let (erc, body) = match kind {
                    0 => (12, Erc::MeterClock(MeterClock { time: *t, point })),
                    1 => (13, Erc::MeterFault(MeterFault { time: *t, point, flags: st[0] })),
                    2 => (14, Erc::PowerOffOn(PowerOffOn { off: Some(*t), on: *t2 })),
                    3 => (31, Erc::ReadingFailure(ReadingFailure {
                        time: *t, point, last_success: *t2, forward_active: *fa, forward_reactive: *fr,
                    })),
                    4 => (33, Erc::StatusChange(StatusChange { time: *t, point, changed: *st, status: *st })),
                    _ => {
                        let c = if [12, 13, 14, 31, 33].contains(code) { 35 } else { *code };
                        (c, Erc::Raw(raw.as_slice()))
                    }
                };
                EventRecord { erc, body }
            })
            .collect();
        let ev = Events { ec1, ec2, pm, pn: pm.wrapping_add(recs.len() as u8), records: Records::Items(&recs) };
        round_trip(Layout::Events, 1, &Data::Events(ev));
        round_trip(Layout::EventQuery, 2, &Data::EventQuery { pm: q.0, pn: q.1 });
    }

    #[test]
    fn forwards_and_acks(
        hdr in any::<[u8; 4]>(),
        frame in proptest::collection::vec(any::<u8>(), 0..300),
        afn in any::<u8>(),
        acks in proptest::collection::vec(any::<[u8; 5]>(), 0..6),
    ) {
        let req = ForwardRequest {
            port: hdr[0], control: hdr[1], frame_timeout: hdr[2], byte_timeout: hdr[3], frame: &frame,
        };
        round_trip(Layout::ForwardRequest, 1, &Data::ForwardRequest(req));
        round_trip(Layout::ForwardReply, 1, &Data::ForwardReply(ForwardReply { port: hdr[0], frame: &frame }));
        let entries: Vec<AckEntry> = acks
            .iter()
            .map(|a| AckEntry { da: Da { da1: a[0], da2: a[1] }, dt: Dt { dt1: a[2], dt2: a[3] }, err: a[4] })
            .collect();
        let list = AckList { afn: Afn::from_byte(afn), entries: List::Items(&entries) };
        round_trip(Layout::Acks, 3, &Data::Acks(list));
    }

    #[test]
    fn scanner_finds_every_frame_in_any_chunking(
        noise in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..12), 4),
        sizes in proptest::collection::vec(1usize..40, 1..50),
        seqs in proptest::collection::vec(0u8..16, 3),
    ) {
        // Three AFN 0C F129 replies with two tariffs, noise between them.
        let vals = [Some(Quantity { mantissa: 123_456_789, exponent: -4, unit: Unit::KiloWattHour }), None, Some(Quantity { mantissa: 1, exponent: -4, unit: Unit::KiloWattHour })];
        let f = ForwardActive { time: None, values: Values::new(A14, Unit::KiloWattHour, &vals) };
        let d = [Data::ForwardActive(f)];
        let mut body = vec![0; group_len(&d)];
        emit_group(&mut body, Da::point(5).unwrap(), Dt::function(129).unwrap(), &d).unwrap();
        let addr = Address { area: 0x3401, terminal: 7, master: 1, group: false };
        let mut frames = Vec::new();
        for s in &seqs {
            let r = FrameRepr::response(addr, Afn::Class1, Seq::single(*s, false), &body);
            let mut out = vec![0; r.buffer_len()];
            r.emit(&mut out).unwrap();
            frames.push(out);
        }
        let mut stream = Vec::new();
        for (i, f) in frames.iter().enumerate() {
            // Noise never contains a full valid frame; keep 0x68 out so it cannot start one.
            stream.extend(noise[i].iter().map(|b| if *b == 0x68 { 0 } else { *b }));
            stream.extend_from_slice(f);
        }
        let mut sc = Scanner::<512>::new();
        let mut got = Vec::new();
        let mut rest: &[u8] = &stream;
        let mut k = 0;
        while !rest.is_empty() {
            let n = sizes[k % sizes.len()].min(rest.len());
            k += 1;
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            let mut c = chunk;
            while !c.is_empty() {
                let used = sc.push(c);
                c = &c[used..];
                while let Some(fr) = sc.next_frame() {
                    got.push(fr.as_bytes().to_vec());
                }
            }
        }
        prop_assert_eq!(got, frames);
    }
}
