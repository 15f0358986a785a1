//! The DL/T 645 meter simulator's pure API: requests built with the `dlt645` crate, replies
//! parsed with it, and checked against the real frames of `shared/vectors/dlt645/frames.tsv`
//! where the simulated meter can be set up like the captured one.

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

use dlt645::{
    Address, Body, DateTime, Di, Di97, Edition, Err1997, Err2007, ErrorWord, Frame, FreezeTime,
    Function, MinuteTime, Operator, OutputMode, Password, Payload, Reply, Repr, Request,
    SwitchAction, SwitchError, Value, catalogue,
};
use examples::meter_sim::{Fault, MeterConfig, MeterSim, SimConfig, SimReply};
use rs485_link::{Duration, Instant};

mod common;

use common::{addr, request, vector};

fn at(ms: u64) -> Instant {
    Instant::from_ticks(ms)
}

const HOUR: u64 = 3_600_000;

/// Seconds since 2000 of a calendar time.
fn secs(y: u16, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> i64 {
    concentrator_core::DateTime::new(y, mo, d, h, mi, s)
        .unwrap()
        .seconds_since_2000()
}

fn pw() -> Password {
    Password {
        level: 0x02,
        code: [0; 3],
    }
}

/// Two meters 000000000001 and 000000000002 (2007) and 000000000003 (1997).
fn bus() -> MeterSim {
    MeterSim::new(SimConfig::new(vec![
        MeterConfig::new(addr(1), Edition::V2007),
        MeterConfig::new(addr(2), Edition::V2007),
        MeterConfig::new(addr(3), Edition::V1997),
    ]))
}

/// The reply's frame (wake-up bytes dropped).
fn frame(r: &SimReply) -> &[u8] {
    let start = r.bytes.iter().take_while(|b| **b == 0xFE).count();
    &r.bytes[start..]
}

/// The decoded items of a read reply (2007 or 1997; follow-up parts decode as
/// continuations), as displayed, and the follow flag.
fn items(r: &SimReply) -> (Vec<String>, bool) {
    let f = Frame::new_checked(frame(r)).unwrap();
    let repr = Repr::parse(&f).unwrap();
    let Body::Reply(reply) = repr.body else {
        panic!("not a normal reply: {repr:?}")
    };
    let values: Vec<String> = match reply {
        Reply::ReadFollow { di, data, .. } => catalogue::decode(di, data, true)
            .map(|i| i.value.to_string())
            .collect(),
        Reply::Read97 { di, data } => catalogue::decode97(di, data)
            .map(|i| i.value.to_string())
            .collect(),
        _ => reply
            .values()
            .unwrap()
            .map(|i| i.value.to_string())
            .collect(),
    };
    (values, repr.follow)
}

fn read(sim: &mut MeterSim, to: Address, di: u32, now: Instant) -> Vec<String> {
    let r = sim
        .handle(&request(to, Request::Read { di: Di(di) }), now)
        .expect("a reply");
    items(&r).0
}

/// The error word of an abnormal reply.
fn error(r: &SimReply) -> ErrorWord {
    let f = Frame::new_checked(frame(r)).unwrap();
    match Repr::parse(&f).unwrap().body {
        Body::Error { word, .. } => word,
        other => panic!("not an error reply: {other:?}"),
    }
}

/// The function of a normal reply without data (Ack).
fn ack(r: &SimReply) -> Function {
    let f = Frame::new_checked(frame(r)).unwrap();
    match Repr::parse(&f).unwrap().body {
        Body::Reply(Reply::Ack(f)) => f,
        other => panic!("not an ack: {other:?}"),
    }
}

#[test]
fn energy_reply_is_vector_v05_byte_for_byte() {
    // V04 asks meter 000000000161 for 00010000; V05 answers 0.26 kWh.
    let mut cfg = MeterConfig::new(addr(161), Edition::V2007);
    cfg.energy_wh = 260;
    cfg.power_w = 0;
    let mut sim = MeterSim::new(SimConfig::new(vec![cfg]));
    let r = sim.handle(&vector("V04"), at(0)).unwrap();
    assert_eq!(&r.bytes[..4], &[0xFE; 4]);
    assert_eq!(frame(&r), &vector("V05")[..]);
    assert_eq!(r.delay, Duration::millis(30));
    assert_eq!(r.from, addr(161));
}

#[test]
fn clock_and_voltage_replies_are_the_captured_frames() {
    // V15/V16: meter 201000000012 says 2016-01-11 (weekday 1), 21:53:55.
    let mut sim = MeterSim::new(SimConfig {
        start_time_s: secs(2016, 1, 11, 21, 53, 55),
        ..SimConfig::new(vec![MeterConfig::new(
            addr(201_000_000_012),
            Edition::V2007,
        )])
    });
    let to = addr(201_000_000_012);
    let r = sim
        .handle(
            &request(
                to,
                Request::Read {
                    di: Di(0x0400_0101),
                },
            ),
            at(0),
        )
        .unwrap();
    assert_eq!(frame(&r), &vector("V15")[..]);
    let r = sim
        .handle(
            &request(
                to,
                Request::Read {
                    di: Di(0x0400_0102),
                },
            ),
            at(0),
        )
        .unwrap();
    assert_eq!(frame(&r), &vector("V16")[..]);
    // V07: meter 000000000161, phase A 100.1 V; V12: meter 000000001111, phase C 220.0 V
    // (the simulator puts phase C 0.2 V below A); V28: the 1997 read of B613, 220 V.
    let mut a = MeterConfig::new(addr(161), Edition::V2007);
    a.voltage_dv = 1001;
    let mut c = MeterConfig::new(addr(1111), Edition::V2007);
    c.voltage_dv = 2202;
    let mut c97 = MeterConfig::new(addr(1111), Edition::V1997);
    c97.voltage_dv = 2202;
    let mut sim = MeterSim::new(SimConfig::new(vec![a, c, c97]));
    let r = sim
        .handle(
            &request(
                addr(161),
                Request::Read {
                    di: Di(0x0201_0100),
                },
            ),
            at(0),
        )
        .unwrap();
    assert_eq!(frame(&r), &vector("V07")[..]);
    let r = sim
        .handle(
            &request(
                addr(1111),
                Request::Read {
                    di: Di(0x0201_0300),
                },
            ),
            at(0),
        )
        .unwrap();
    assert_eq!(frame(&r), &vector("V12")[..]);
    let r = sim
        .handle(
            &request(addr(1111), Request::Read97 { di: Di97(0xB613) }),
            at(0),
        )
        .unwrap();
    assert_eq!(frame(&r), &vector("V28")[..]);
}

#[test]
fn energy_grows_with_simulated_time_and_splits_over_tariffs() {
    let mut sim = bus();
    assert_eq!(read(&mut sim, addr(1), 0x0001_0000, at(0)), ["1000.00 kWh"]);
    // 2.2 kW for an hour.
    assert_eq!(
        read(&mut sim, addr(1), 0x0001_0000, at(HOUR)),
        ["1002.20 kWh"]
    );
    assert_eq!(
        read(&mut sim, addr(1), 0x0001_FF00, at(HOUR)),
        [
            "1002.20 kWh",
            "250.55 kWh",
            "250.55 kWh",
            "250.55 kWh",
            "250.55 kWh"
        ]
    );
    assert_eq!(read(&mut sim, addr(1), 0x0002_0000, at(HOUR)), ["0.00 kWh"]);
    assert_eq!(
        read(&mut sim, addr(1), 0x0000_0000, at(HOUR)),
        ["1002.20 kWh"]
    );
    // Settlement one month back (2025-12-01 00:00): 31 days of 2.2 kW before the start,
    // extrapolated back from the 10 000 kWh register: 10 000 - 1636.80.
    let mut big = MeterConfig::new(addr(9), Edition::V2007);
    big.energy_wh = 10_000_000;
    let mut sim = MeterSim::new(SimConfig::new(vec![big]));
    assert_eq!(read(&mut sim, addr(9), 0x0001_0001, at(0)), ["8363.20 kWh"]);
}

#[test]
fn instantaneous_values() {
    let mut sim = bus();
    let to = addr(1);
    assert_eq!(
        read(&mut sim, to, 0x0201_FF00, at(0)),
        ["220.0 V", "220.3 V", "219.8 V"]
    );
    // 2200 W over three phases (734, 733, 733 W) at PF 0.950.
    assert_eq!(read(&mut sim, to, 0x0202_0100, at(0)), ["3.511 A"]);
    assert_eq!(
        read(&mut sim, to, 0x0203_FF00, at(0)),
        ["2.2000 kW", "0.7340 kW", "0.7330 kW", "0.7330 kW"]
    );
    assert_eq!(read(&mut sim, to, 0x0206_0000, at(0)), ["0.950"]);
    assert_eq!(read(&mut sim, to, 0x0205_0000, at(0)), ["2.3150 kVA"]);
    assert_eq!(read(&mut sim, to, 0x0280_0002, at(0)), ["50.00 Hz"]);
    // 2026-01-01 is a Thursday (4); two hours later.
    assert_eq!(
        read(&mut sim, to, 0x0400_0101, at(2 * HOUR)),
        ["2026-01-01 weekday 4"]
    );
    assert_eq!(read(&mut sim, to, 0x0400_0102, at(2 * HOUR)), ["02:00:00"]);
    assert_eq!(read(&mut sim, to, 0x0400_0401, at(0)), ["000000000001"]);
    assert_eq!(
        read(&mut sim, to, 0x0400_0503, at(0)),
        ["status word 3: 0000"]
    );
}

#[test]
fn unknown_dis_get_no_requested_data() {
    let mut sim = bus();
    let r = sim
        .handle(
            &request(
                addr(1),
                Request::Read {
                    di: Di(0x0207_0100),
                },
            ),
            at(0),
        )
        .unwrap();
    assert_eq!(error(&r), ErrorWord::V2007(Err2007::NO_DATA));
    let r = sim
        .handle(
            &request(addr(3), Request::Read97 { di: Di97(0xD000) }),
            at(0),
        )
        .unwrap();
    assert_eq!(error(&r), ErrorWord::V1997(Err1997::BAD_DI));
}

#[test]
fn addressing_rules() {
    let mut sim = bus();
    // Another address: silence.
    assert!(
        sim.handle(
            &request(
                addr(7),
                Request::Read {
                    di: Di(0x0001_0000)
                }
            ),
            at(0)
        )
        .is_none()
    );
    // A partial wildcard reaches the one meter ending in 2.
    let r = sim
        .handle(
            &request(
                "AAAAAAAAAAA2".parse().unwrap(),
                Request::Read {
                    di: Di(0x0001_0000),
                },
            ),
            at(0),
        )
        .unwrap();
    assert_eq!(r.from, addr(2));
    // 2007 functions do not reach the 1997 meter and the other way round.
    assert!(
        sim.handle(
            &request(
                addr(3),
                Request::Read {
                    di: Di(0x0001_0000)
                }
            ),
            at(0)
        )
        .is_none()
    );
    assert!(
        sim.handle(
            &request(addr(1), Request::Read97 { di: Di97(0x9010) }),
            at(0)
        )
        .is_none()
    );
    // Our own echo (a reply frame) and a broken frame are ignored.
    let echo = sim
        .handle(
            &request(
                addr(1),
                Request::Read {
                    di: Di(0x0001_0000),
                },
            ),
            at(0),
        )
        .unwrap();
    assert!(sim.handle(&echo.bytes, at(0)).is_none());
    let mut broken = request(
        addr(1),
        Request::Read {
            di: Di(0x0001_0000),
        },
    );
    let n = broken.len();
    broken[n - 2] ^= 0x01;
    assert!(sim.handle(&broken, at(0)).is_none());
    assert!(sim.take_log().iter().any(|l| l.starts_with("ignored")));
}

#[test]
fn read_address_with_one_meter_and_a_collision_with_two() {
    let mut one = MeterSim::new(SimConfig::new(vec![MeterConfig::new(
        addr(42),
        Edition::V2007,
    )]));
    let r = one
        .handle(&request(Address::WILDCARD, Request::ReadAddress), at(0))
        .unwrap();
    let f = Frame::new_checked(frame(&r)).unwrap();
    assert_eq!(
        Repr::parse(&f).unwrap().body,
        Body::Reply(Reply::Address(addr(42)))
    );
    // V01 (read address to AAAAAAAAAAAA) on a bus of two 2007 meters: both answer at once.
    let r = bus().handle(&vector("V01"), at(0)).unwrap();
    assert!(Frame::new_checked(frame(&r)).is_err());
}

#[test]
fn writes_check_the_password_and_set_the_clock() {
    let mut sim = bus();
    let to = addr(1);
    let time = [0x00, 0x30, 0x12]; // 12:30:00, ss mm hh
    let wrong = Password::new(0x02, 123_456).unwrap();
    let write = |p: Password| {
        request(
            to,
            Request::Write {
                di: Di(0x0400_0102),
                password: p,
                operator: Operator([1, 2, 3, 4]),
                data: Payload::Plain(&time),
            },
        )
    };
    let r = sim.handle(&write(wrong), at(0)).unwrap();
    assert_eq!(error(&r), ErrorWord::V2007(Err2007::UNAUTHORISED));
    assert_eq!(read(&mut sim, to, 0x0400_0102, at(0)), ["00:00:00"]);
    let r = sim.handle(&write(pw()), at(0)).unwrap();
    assert_eq!(ack(&r), Function::Write);
    assert_eq!(read(&mut sim, to, 0x0400_0102, at(1000)), ["12:30:01"]);
    // A parameter the meter does not compute is kept and read back.
    let r = sim
        .handle(
            &request(
                to,
                Request::Write {
                    di: Di(0x0400_0103),
                    password: pw(),
                    operator: Operator::default(),
                    data: Payload::Plain(&[0x15]),
                },
            ),
            at(0),
        )
        .unwrap();
    assert_eq!(ack(&r), Function::Write);
    assert_eq!(read(&mut sim, to, 0x0400_0103, at(0)), ["15 min"]);
    // Registers are not writable.
    let r = sim
        .handle(
            &request(
                to,
                Request::Write {
                    di: Di(0x0001_0000),
                    password: pw(),
                    operator: Operator::default(),
                    data: Payload::Plain(&[0, 0, 0, 0]),
                },
            ),
            at(0),
        )
        .unwrap();
    assert_eq!(error(&r), ErrorWord::V2007(Err2007::OTHER));
}

#[test]
fn broadcast_time_sets_clocks_within_five_minutes_and_gets_no_reply() {
    let mut sim = bus();
    let near = DateTime {
        year: 2026,
        month: 1,
        day: 1,
        hour: 0,
        minute: 4,
        second: 0,
    };
    assert!(
        sim.handle(
            &request(Address::BROADCAST, Request::BroadcastTime(near)),
            at(0)
        )
        .is_none()
    );
    assert_eq!(read(&mut sim, addr(1), 0x0400_0102, at(0)), ["00:04:00"]);
    assert_eq!(read(&mut sim, addr(2), 0x0400_0102, at(0)), ["00:04:00"]);
    assert_eq!(read97(&mut sim, addr(3), 0xC011, at(0)), ["00:04:00"]);
    let far = DateTime { hour: 1, ..near };
    assert!(
        sim.handle(
            &request(Address::BROADCAST, Request::BroadcastTime(far)),
            at(0)
        )
        .is_none()
    );
    assert_eq!(read(&mut sim, addr(1), 0x0400_0102, at(0)), ["00:04:00"]);
    assert!(sim.take_log().iter().any(|l| l.contains("refused")));
}

/// A plaintext switch command valid until 2026-12-31.
fn switch(action: SwitchAction, password: Password) -> Request<'static> {
    Request::Switch {
        password,
        operator: Operator([0x78, 0x56, 0x34, 0x12]),
        action,
        delay: 0,
        valid_until: DateTime {
            year: 2026,
            month: 12,
            day: 31,
            hour: 23,
            minute: 59,
            second: 59,
        },
    }
}

#[test]
fn remote_switch_opens_the_relay_stops_the_load_and_shows_in_status_word_3() {
    let mut sim = bus();
    let to = addr(2);
    let r = sim
        .handle(&request(to, switch(SwitchAction::Trip, pw())), at(0))
        .unwrap();
    assert_eq!(ack(&r), Function::RemoteSwitch);
    assert_eq!(sim.relay_open(to), Some(true));
    // Status word 3: bit 4 relay open, bit 6 trip commanded (notes §1.8).
    let r = sim
        .handle(
            &request(
                to,
                Request::Read {
                    di: Di(0x0400_0503),
                },
            ),
            at(0),
        )
        .unwrap();
    let f = Frame::new_checked(frame(&r)).unwrap();
    let Body::Reply(reply) = Repr::parse(&f).unwrap().body else {
        panic!()
    };
    let Value::Status(s) = reply.values().unwrap().next().unwrap().value else {
        panic!()
    };
    assert_eq!(s.relay_open(), Some(true));
    assert_eq!(s.relay_trip_commanded(), Some(true));
    // No load, no energy while open.
    assert_eq!(read(&mut sim, to, 0x0202_0100, at(HOUR)), ["0.000 A"]);
    assert_eq!(read(&mut sim, to, 0x0001_0000, at(HOUR)), ["1000.00 kWh"]);
    // Close again: the load comes back.
    let r = sim
        .handle(
            &request(to, switch(SwitchAction::AllowClose, pw())),
            at(HOUR),
        )
        .unwrap();
    assert_eq!(ack(&r), Function::RemoteSwitch);
    assert_eq!(sim.relay_open(to), Some(false));
    assert_eq!(
        read(&mut sim, to, 0x0400_0503, at(HOUR)),
        ["status word 3: 0000"]
    );
    assert_eq!(
        read(&mut sim, to, 0x0001_0000, at(2 * HOUR)),
        ["1002.20 kWh"]
    );
}

#[test]
fn remote_switch_refusals() {
    let mut sim = bus();
    let to = addr(1);
    let wrong = Password::new(0x02, 1).unwrap();
    let r = sim
        .handle(&request(to, switch(SwitchAction::Trip, wrong)), at(0))
        .unwrap();
    assert_eq!(error(&r), ErrorWord::Switch(SwitchError::UNAUTHORISED));
    assert_eq!(sim.relay_open(to), Some(false));
    // The validity time has passed (the meter's clock is in 2026, the command ended 2025).
    let Request::Switch {
        password,
        operator,
        action,
        delay,
        mut valid_until,
    } = switch(SwitchAction::Trip, pw())
    else {
        unreachable!()
    };
    valid_until.year = 2025;
    let r = sim
        .handle(
            &request(
                to,
                Request::Switch {
                    password,
                    operator,
                    action,
                    delay,
                    valid_until,
                },
            ),
            at(0),
        )
        .unwrap();
    assert_eq!(error(&r), ErrorWord::Switch(SwitchError::EXPIRED));
    // Protect blocks a trip.
    let r = sim
        .handle(&request(to, switch(SwitchAction::Protect, pw())), at(0))
        .unwrap();
    assert_eq!(ack(&r), Function::RemoteSwitch);
    let r = sim
        .handle(&request(to, switch(SwitchAction::Trip, pw())), at(0))
        .unwrap();
    assert_eq!(error(&r), ErrorWord::Switch(SwitchError::PROTECTED));
    // The ESAM form needs keys the simulator does not have.
    let r = sim
        .handle(
            &request(
                to,
                Request::SwitchEsam {
                    password: Password {
                        level: 0x98,
                        code: [0; 3],
                    },
                    operator: Operator::default(),
                    ciphertext: Payload::Plain(&[0u8; 20]),
                },
            ),
            at(0),
        )
        .unwrap();
    assert_eq!(error(&r), ErrorWord::Switch(SwitchError::MAC));
}

#[test]
fn daily_frozen_energy() {
    let mut sim = bus();
    let to = addr(1);
    // At 2026-01-03 12:00 the last daily freeze was 2026-01-03 00:00, the one before 01-02.
    let now = at(60 * HOUR);
    assert_eq!(read(&mut sim, to, 0x0506_0001, now), ["2026-01-03 00:00"]);
    assert_eq!(read(&mut sim, to, 0x0506_0002, now), ["2026-01-02 00:00"]);
    // Frozen forward energy, total and four tariffs, 48 h and 24 h of 2.2 kW after the start.
    assert_eq!(
        read(&mut sim, to, 0x0506_0101, now),
        [
            "1105.60 kWh",
            "276.40 kWh",
            "276.40 kWh",
            "276.40 kWh",
            "276.40 kWh"
        ]
    );
    assert_eq!(read(&mut sim, to, 0x0506_0102, now)[0], "1052.80 kWh");
    // Deeper than the 62 days kept: no data.
    let r = sim
        .handle(
            &request(
                to,
                Request::Read {
                    di: Di(0x0506_0140),
                },
            ),
            now,
        )
        .unwrap();
    assert_eq!(error(&r), ErrorWord::V2007(Err2007::NO_DATA));
}

#[test]
fn load_curve_with_follow_up_frames() {
    let mut sim = bus();
    let to = addr(1);
    let now = at(48 * HOUR);
    // 96 quarter-hour records of forward energy from 2026-01-02 00:00 (BCD count 0x96):
    // 4 + 5 + 47 × 4 bytes fit in the first frame, 48 × 4 + SEQ in the next, 1 in the last.
    let start = MinuteTime {
        year: 2026,
        month: 1,
        day: 2,
        hour: 0,
        minute: 0,
    };
    let di = Di(0x0610_0601);
    let r = sim
        .handle(
            &request(
                to,
                Request::ReadFrom {
                    di,
                    count: 0x96,
                    start,
                },
            ),
            now,
        )
        .unwrap();
    let (first, follow) = items(&r);
    assert!(follow);
    assert_eq!(first[0], "2026-01-02 00:00");
    assert_eq!(first[1], "1052.80 kWh");
    assert_eq!(first[2], "1053.35 kWh");
    let mut records: Vec<String> = first[1..].to_vec();
    let mut seq = 1;
    loop {
        let r = sim
            .handle(&request(to, Request::ReadFollow { di, seq }), now)
            .unwrap();
        let (part, more) = items(&r);
        if seq == 1 {
            // The master lost this reply and asks again: the same part comes back.
            let again = sim
                .handle(&request(to, Request::ReadFollow { di, seq }), now)
                .unwrap();
            assert_eq!(again.bytes, r.bytes);
        }
        records.extend(part);
        if !more {
            break;
        }
        seq += 1;
    }
    assert_eq!(seq, 2);
    assert_eq!(records.len(), 96);
    // The last record, 2026-01-02 23:45: 47.75 h after the start.
    assert_eq!(records[95], "1105.05 kWh");
    // Once done, another follow-up has nothing.
    let r = sim
        .handle(&request(to, Request::ReadFollow { di, seq: 3 }), now)
        .unwrap();
    assert_eq!(error(&r), ErrorWord::V2007(Err2007::NO_DATA));
}

#[test]
fn load_curve_records_in_the_future_are_absent() {
    let mut sim = bus();
    let start = MinuteTime {
        year: 2026,
        month: 1,
        day: 1,
        hour: 0,
        minute: 30,
    };
    let r = sim
        .handle(
            &request(
                addr(1),
                Request::ReadFrom {
                    di: Di(0x0610_0101),
                    count: 0x04,
                    start,
                },
            ),
            at(HOUR),
        )
        .unwrap();
    let (v, follow) = items(&r);
    assert!(!follow);
    assert_eq!(
        v,
        [
            "2026-01-01 00:30",
            "220.0 V",
            "220.0 V",
            "220.0 V",
            "absent"
        ]
    );
}

#[test]
fn edition_1997_reads_and_writes() {
    let mut sim = bus();
    let to = addr(3);
    assert_eq!(read97(&mut sim, to, 0x9010, at(HOUR)), ["1002.20 kWh"]);
    assert_eq!(read97(&mut sim, to, 0xB611, at(0)), ["220 V"]);
    assert_eq!(read97(&mut sim, to, 0xB630, at(0)), ["2.2000 kW"]);
    assert_eq!(read97(&mut sim, to, 0xC032, at(0)), ["000000000003"]);
    let write = |p: Password| {
        request(
            to,
            Request::Write97 {
                di: Di97(0xC011),
                password: p,
                data: Payload::Plain(&[0x00, 0x00, 0x08]),
            },
        )
    };
    let r = sim
        .handle(&write(Password::new(0x02, 9).unwrap()), at(0))
        .unwrap();
    assert_eq!(error(&r), ErrorWord::V1997(Err1997::UNAUTHORISED));
    let r = sim.handle(&write(pw()), at(0)).unwrap();
    assert_eq!(ack(&r), Function::Write97);
    assert_eq!(read97(&mut sim, to, 0xC011, at(0)), ["08:00:00"]);
}

fn read97(sim: &mut MeterSim, to: Address, di: u16, now: Instant) -> Vec<String> {
    let r = sim
        .handle(&request(to, Request::Read97 { di: Di97(di) }), now)
        .expect("a reply");
    items(&r).0
}

#[test]
fn other_functions() {
    let mut sim = bus();
    let to = addr(1);
    let r = sim
        .handle(&request(to, Request::Freeze(FreezeTime::NOW)), at(0))
        .unwrap();
    assert_eq!(ack(&r), Function::Freeze);
    // The same freeze broadcast: every meter freezes, none answers.
    assert!(
        sim.handle(
            &request(Address::BROADCAST, Request::Freeze(FreezeTime::NOW)),
            at(0)
        )
        .is_none()
    );
    assert_eq!(
        sim.take_log()
            .iter()
            .filter(|l| l.ends_with("(broadcast: no reply)"))
            .count(),
        2
    );
    let r = sim
        .handle(
            &request(to, Request::TerminalOutput(OutputMode::ClockPulse)),
            at(0),
        )
        .unwrap();
    let f = Frame::new_checked(frame(&r)).unwrap();
    assert_eq!(
        Repr::parse(&f).unwrap().body,
        Body::Reply(Reply::Output(OutputMode::ClockPulse))
    );
    let r = sim
        .handle(
            &request(to, Request::ChangeBaud(dlt645::Baud::B9600)),
            at(0),
        )
        .unwrap();
    assert_eq!(error(&r), ErrorWord::V2007(Err2007::BAUD_FIXED));
    // Change the password, then the old one no longer clears the meter.
    let new = Password::new(0x02, 654_321).unwrap();
    let r = sim
        .handle(
            &request(
                to,
                Request::ChangePassword {
                    di: Di(0x0400_0C03),
                    old: pw(),
                    new,
                },
            ),
            at(0),
        )
        .unwrap();
    let f = Frame::new_checked(frame(&r)).unwrap();
    assert_eq!(
        Repr::parse(&f).unwrap().body,
        Body::Reply(Reply::Password(new))
    );
    let clear = |p: Password| {
        request(
            to,
            Request::ClearMeter {
                password: p,
                operator: Operator::default(),
            },
        )
    };
    let r = sim.handle(&clear(pw()), at(0)).unwrap();
    assert_eq!(error(&r), ErrorWord::V2007(Err2007::UNAUTHORISED));
    let r = sim.handle(&clear(new), at(HOUR)).unwrap();
    assert_eq!(ack(&r), Function::ClearMeter);
    assert_eq!(read(&mut sim, to, 0x0001_0000, at(2 * HOUR)), ["2.20 kWh"]);
    // Write address (to AAAAAAAAAAAA) renames the meter.
    let mut one = MeterSim::new(SimConfig::new(vec![MeterConfig::new(
        addr(5),
        Edition::V2007,
    )]));
    let r = one
        .handle(
            &request(Address::WILDCARD, Request::WriteAddress(addr(6))),
            at(0),
        )
        .unwrap();
    assert_eq!(ack(&r), Function::WriteAddress);
    assert_eq!(one.addresses(), [addr(6)]);
}

/// One meter 000000000001 with `fault`.
fn faulty(fault: Fault) -> MeterSim {
    MeterSim::new(SimConfig::new(vec![
        MeterConfig::new(addr(1), Edition::V2007).with_fault(fault),
    ]))
}

#[test]
fn faults() {
    let energy = request(
        addr(1),
        Request::Read {
            di: Di(0x0001_0000),
        },
    );
    assert!(faulty(Fault::Silence).handle(&energy, at(0)).is_none());
    let r = faulty(Fault::BadChecksum).handle(&energy, at(0)).unwrap();
    assert!(matches!(
        Frame::new_checked(frame(&r)),
        Err(dlt645::Error::BadChecksum { .. })
    ));
    let r = faulty(Fault::Late(Duration::millis(800)))
        .handle(&energy, at(0))
        .unwrap();
    assert_eq!(r.delay, Duration::millis(830));
    let r = faulty(Fault::ErrorReply).handle(&energy, at(0)).unwrap();
    assert_eq!(error(&r), ErrorWord::V2007(Err2007::OTHER));
    let mut drift = faulty(Fault::ClockDrift {
        offset_s: -90,
        per_hour_s: 20,
    });
    assert_eq!(
        read(&mut drift, addr(1), 0x0400_0102, at(HOUR)),
        ["00:58:50"]
    );
    let mut weak = faulty(Fault::EveryNth(3));
    let answered: Vec<bool> = (0..6)
        .map(|_| weak.handle(&energy, at(0)).is_some())
        .collect();
    assert_eq!(answered, [false, false, true, false, false, true]);
}

#[test]
fn meters_behind_a_carrier_module_answer_through_one_shared_simulator() {
    use examples::meter_sim::{SimClock, behind_carrier};
    use std::sync::{Arc, Mutex};
    let sim = Arc::new(Mutex::new(bus()));
    let clock: SimClock = Arc::new(|| at(HOUR));
    let mut nodes = behind_carrier(&sim, &clock, |i| i as u8);
    assert_eq!(nodes.len(), 3);
    assert_eq!(nodes[2].address.0, addr(3).0);
    assert_eq!((nodes[1].hops, nodes[1].phase), (1, 2));
    let req = request(
        addr(2),
        Request::Read {
            di: Di(0x0001_0000),
        },
    );
    let reply = (nodes[1].responder)(&req).unwrap();
    let r = SimReply {
        from: addr(2),
        delay: Duration::millis(0),
        bytes: reply,
    };
    assert_eq!(items(&r).0, ["1002.20 kWh"]);
    // A switch through the carrier changes the shared simulator's state.
    let off = request(addr(2), switch(SwitchAction::Trip, pw()));
    assert!((nodes[1].responder)(&off).is_some());
    assert_eq!(sim.lock().unwrap().relay_open(addr(2)), Some(true));
}

#[test]
fn load_curve_latest_blocks() {
    // 0x11 with L = 5 (DI + count): the most recent records, aligned to the 15-minute grid.
    let mut sim = bus();
    let r = sim
        .handle(
            &request(
                addr(1),
                Request::ReadBlocks {
                    di: Di(0x0610_0300),
                    count: 0x04,
                },
            ),
            at(HOUR + 5 * 60_000),
        )
        .unwrap();
    let (v, follow) = items(&r);
    assert!(!follow);
    assert_eq!(
        v,
        [
            "2026-01-01 00:15",
            "2.2000 kW",
            "2.2000 kW",
            "2.2000 kW",
            "2.2000 kW"
        ]
    );
    // A count of zero, or a DI that is no curve: no data.
    for (di, count) in [(0x0610_0300, 0x00), (0x0001_0000, 0x04)] {
        let r = sim
            .handle(
                &request(addr(1), Request::ReadBlocks { di: Di(di), count }),
                at(HOUR),
            )
            .unwrap();
        assert_eq!(error(&r), ErrorWord::V2007(Err2007::NO_DATA));
    }
}
