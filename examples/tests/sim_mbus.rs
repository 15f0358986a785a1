//! The M-Bus slave simulator's pure API: requests built with `wired-mbus`, answers checked
//! with it, telegrams from the libmbus corpus (`shared/vectors/mbus/libmbus/frames`), and the
//! crate's own sans-IO `Master` reading and scanning the simulated bus.

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

use std::path::PathBuf;

use examples::mbus_sim::{Collision, MbusReply, MbusSim, MbusSimConfig, SlaveConfig};
use rs485_link::Instant;
use wired_mbus::app::{Header, UserData};
use wired_mbus::{
    ACK, Address, Command, Completion, Event, Found, Frame, Master, MasterConfig, Request,
    SecondaryAddress, SecondaryMask, more_records_follow,
};

fn corpus(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/mbus/libmbus/frames"
    ))
    .join(name)
}

fn slave(primary: u8, name: &str) -> SlaveConfig {
    SlaveConfig::from_hex_files(primary, &[corpus(name)]).unwrap()
}

fn emit(r: Request<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; r.buffer_len()];
    r.emit(&mut buf).unwrap();
    buf
}

fn t0() -> Instant {
    Instant::from_ticks(0)
}

fn ask(sim: &mut MbusSim, r: Request<'_>) -> Option<MbusReply> {
    sim.handle(&emit(r), t0())
}

fn req_ud2(address: u8, fcb: bool) -> Request<'static> {
    Request::ReqUd2 {
        address: Address::from_byte(address),
        fcb,
    }
}

fn nke(address: u8) -> Request<'static> {
    Request::SndNke {
        address: Address::from_byte(address),
    }
}

/// The volume of the first record of a built telegram, in litres.
fn litres(bytes: &[u8]) -> i64 {
    let frame = Frame::new_checked(bytes).unwrap();
    let Ok(UserData::Variable(data)) = UserData::from_frame(&frame) else {
        panic!("variable data")
    };
    data.records()
        .next()
        .unwrap()
        .unwrap()
        .number()
        .unwrap()
        .mantissa
}

#[test]
fn snd_nke_and_req_ud2_answer_with_the_corpus_telegram_at_the_slaves_address() {
    let mut sim = MbusSim::new(MbusSimConfig::new(vec![slave(5, "GWF-MTKcoder.hex")]));
    assert_eq!(ask(&mut sim, nke(5)).unwrap().bytes, [ACK]);
    assert!(ask(&mut sim, nke(6)).is_none());
    let r = ask(&mut sim, req_ud2(5, true)).unwrap();
    let original = std::fs::read_to_string(corpus("GWF-MTKcoder.hex")).unwrap();
    let original = examples::parse_hex(&original).unwrap();
    let (f, o) = (
        Frame::new_checked(&r.bytes).unwrap(),
        Frame::new_checked(&original).unwrap(),
    );
    assert_eq!(f.address(), Some(Address::from_byte(5)));
    assert_eq!(o.address(), Some(Address::from_byte(1)));
    assert_eq!(
        (f.control(), f.ci(), f.user_data()),
        (o.control(), o.ci(), o.user_data())
    );
    assert_eq!(r.answers, 1);
}

#[test]
fn every_corpus_rsp_ud_is_served_unchanged_but_for_the_address() {
    let dir = corpus("");
    let (mut served, mut files) = (0, 0);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("hex") {
            continue;
        }
        files += 1;
        // Every file of `frames/` is an RSP_UD long frame.
        let cfg = SlaveConfig::from_hex_files(9, &[&path]).unwrap();
        let original = cfg.telegrams[0].clone();
        let mut sim = MbusSim::new(MbusSimConfig::new(vec![cfg]));
        let r = ask(&mut sim, req_ud2(9, true)).unwrap();
        let (f, o) = (
            Frame::new_checked(&r.bytes).unwrap(),
            Frame::new_checked(&original).unwrap(),
        );
        assert_eq!(f.user_data(), o.user_data(), "{}", path.display());
        assert_eq!(f.address(), Some(Address::from_byte(9)));
        served += 1;
    }
    assert_eq!(served, files);
    assert!(served >= 51, "{served} corpus telegrams");
}

#[test]
fn fcb_repeats_or_advances_a_multi_telegram_readout() {
    let cfg = SlaveConfig::built(7, 12_345_678, "ABC", 0x07, &[100, 200, 300]).unwrap();
    let mut sim = MbusSim::new(MbusSimConfig::new(vec![cfg]));
    assert_eq!(ask(&mut sim, nke(7)).unwrap().bytes, [ACK]);
    let first = ask(&mut sim, req_ud2(7, true)).unwrap().bytes;
    assert_eq!(litres(&first), 100);
    assert!(more_records_follow(&Frame::new_checked(&first).unwrap()));
    // The same FCB again: the master lost the answer, the slave repeats it.
    assert_eq!(ask(&mut sim, req_ud2(7, true)).unwrap().bytes, first);
    let second = ask(&mut sim, req_ud2(7, false)).unwrap().bytes;
    assert_eq!(litres(&second), 200);
    let third = ask(&mut sim, req_ud2(7, true)).unwrap().bytes;
    assert_eq!(litres(&third), 300);
    assert!(!more_records_follow(&Frame::new_checked(&third).unwrap()));
    // Toggled once more: the cycle starts again; SND_NKE also restarts it.
    assert_eq!(
        litres(&ask(&mut sim, req_ud2(7, false)).unwrap().bytes),
        100
    );
    assert_eq!(litres(&ask(&mut sim, req_ud2(7, true)).unwrap().bytes), 200);
    ask(&mut sim, nke(7)).unwrap();
    assert_eq!(
        litres(&ask(&mut sim, req_ud2(7, false)).unwrap().bytes),
        100
    );
}

/// Two slaves from the same corpus file, told apart by their identification numbers.
fn two_water_meters(collision: Collision) -> MbusSim {
    let a = slave(1, "GWF-MTKcoder.hex").with_id(11_111_111).unwrap();
    let b = slave(2, "GWF-MTKcoder.hex").with_id(22_222_222).unwrap();
    MbusSim::new(MbusSimConfig {
        collision,
        ..MbusSimConfig::new(vec![a, b])
    })
}

fn select(mask: u64) -> Request<'static> {
    Request::Select {
        fcb: false,
        mask: SecondaryMask::from_u64(mask),
    }
}

#[test]
fn secondary_selection_with_wildcards_and_collisions() {
    let mut sim = two_water_meters(Collision::Overlap);
    let b = sim.secondaries()[1];
    assert_eq!(b.id(), 0x2222_2222);
    // Exact selection of the second slave, then a readout at 253.
    assert_eq!(ask(&mut sim, select(b.as_u64())).unwrap().bytes, [ACK]);
    let r = ask(&mut sim, req_ud2(253, true)).unwrap();
    let f = Frame::new_checked(&r.bytes).unwrap();
    assert_eq!(f.address(), Some(Address::from_byte(2)));
    assert_eq!(
        SecondaryAddress::from_long_header(f.ci().unwrap(), f.user_data()),
        Some(b)
    );
    // The ID digits wildcarded: both match and answer at once.
    let r = ask(
        &mut sim,
        select(0xFFFF_FFFF_0000_0000 | (b.as_u64() & 0xFFFF_FFFF)),
    )
    .unwrap();
    assert_eq!((r.answers, r.bytes.as_slice()), (2, &[ACK, ACK][..]));
    let r = ask(&mut sim, req_ud2(253, true)).unwrap();
    assert_eq!(r.answers, 2);
    assert!(Frame::parse_prefix(&r.bytes).unwrap().1 < r.bytes.len());
    // A mask nobody matches deselects everybody.
    assert!(ask(&mut sim, select(0x9999_9999_FFFF_FFFF)).is_none());
    assert!(ask(&mut sim, req_ud2(253, true)).is_none());
    // SND_NKE to 253 deselects too.
    ask(&mut sim, select(b.as_u64())).unwrap();
    assert_eq!(ask(&mut sim, nke(253)).unwrap().bytes, [ACK]);
    assert!(ask(&mut sim, req_ud2(253, true)).is_none());

    let mut garbled = two_water_meters(Collision::Garbage);
    let r = ask(&mut garbled, select(SecondaryMask::ALL.as_u64())).unwrap();
    assert_eq!(r.answers, 2);
    assert_ne!(r.bytes, [ACK]);
}

#[test]
fn set_primary_address() {
    let mut sim = two_water_meters(Collision::Overlap);
    let r = ask(
        &mut sim,
        Request::SetPrimaryAddress {
            address: Address::from_byte(2),
            fcb: true,
            new_address: 42,
        },
    )
    .unwrap();
    assert_eq!(r.bytes, [ACK]);
    assert!(ask(&mut sim, nke(2)).is_none());
    let r = ask(&mut sim, req_ud2(42, true)).unwrap();
    assert_eq!(
        Frame::new_checked(&r.bytes).unwrap().address(),
        Some(Address::from_byte(42))
    );
    assert_eq!(sim.primaries(), [1, 42]);
    // Broadcast without reply: everybody hears, nobody answers.
    assert!(ask(&mut sim, nke(255)).is_none());
}

#[test]
fn requests_that_are_not_requests_are_ignored() {
    let mut sim = two_water_meters(Collision::Overlap);
    let telegram = ask(&mut sim, req_ud2(1, true)).unwrap().bytes;
    // Our own answer coming back (an echoing line), a lone E5, and noise.
    assert!(sim.handle(&telegram, t0()).is_none());
    assert!(sim.handle(&[ACK], t0()).is_none());
    assert!(sim.handle(&[0x10, 0x40, 0x01, 0x42, 0x16], t0()).is_none()); // bad checksum
    assert!(sim.take_log().iter().any(|l| l.starts_with("ignored")));
}

/// Run `master` against `sim` on a virtual clock until the command ends; the events.
fn drive(master: &mut Master, sim: &mut MbusSim) -> Vec<Event> {
    let mut now = t0();
    let mut tx = [0u8; 300];
    let mut events = Vec::new();
    for _ in 0..100_000 {
        while let Some(e) = master.poll_event() {
            let done = matches!(e, Event::Done(_));
            events.push(e);
            if done {
                return events;
            }
        }
        if let Some(n) = master.poll_transmit(now, &mut tx) {
            if let Some(r) = sim.handle(&tx[..n], now) {
                now += r.delay;
                master.handle_received(&r.bytes, now);
            }
            continue;
        }
        match master.poll_timeout() {
            Some(t) => {
                now = now.max(t);
                master.handle_timeout(now);
            }
            None => break,
        }
    }
    panic!("the master did not finish: {events:?}")
}

#[test]
fn the_wired_mbus_master_reads_a_multi_telegram_slave() {
    let cfg = SlaveConfig::built(3, 87_654_321, "XYZ", 0x07, &[1, 2, 3, 4]).unwrap();
    let mut sim = MbusSim::new(MbusSimConfig::new(vec![cfg]));
    let mut master = Master::new(MasterConfig::default());
    master
        .start(Command::ReadOut {
            address: Address::from_byte(3),
            reset: true,
        })
        .unwrap();
    let events = drive(&mut master, &mut sim);
    let telegrams = events
        .iter()
        .filter(|e| matches!(e, Event::Telegram { .. }))
        .count();
    assert_eq!(telegrams, 4);
    assert_eq!(
        events.last(),
        Some(&Event::Done(Ok(Completion::Telegrams {
            count: 4,
            capped: false
        })))
    );
}

#[test]
fn the_wired_mbus_master_finds_every_slave_by_wildcard_search() {
    let ids = [11_111_111, 11_111_112, 22_222_222, 31_415_926, 27_182_818];
    let slaves = ids
        .iter()
        .enumerate()
        .map(|(i, id)| SlaveConfig::built(i as u8 + 1, *id, "ABC", 0x07, &[*id]).unwrap())
        .collect();
    let mut sim = MbusSim::new(MbusSimConfig::new(slaves));
    let mut master = Master::new(MasterConfig::default());
    master
        .start(Command::ScanSecondary {
            start: SecondaryMask::ALL,
        })
        .unwrap();
    let events = drive(&mut master, &mut sim);
    let mut found: Vec<u32> = events
        .iter()
        .filter_map(|e| match e {
            Event::Found(Found::Secondary(a)) => Some(a.id()),
            _ => None,
        })
        .collect();
    found.sort_unstable();
    assert_eq!(
        found,
        [
            0x1111_1111,
            0x1111_1112,
            0x2222_2222,
            0x2718_2818,
            0x3141_5926
        ]
    );
    // And each one reads back by secondary address.
    let header = |sim: &mut MbusSim| {
        let r = ask(sim, req_ud2(253, true)).unwrap();
        let f = Frame::new_checked(&r.bytes).unwrap();
        let Ok(UserData::Variable(d)) = UserData::from_frame(&f) else {
            panic!()
        };
        let Header::Long(h) = d.header else { panic!() };
        h.id.decimal()
    };
    ask(&mut sim, select(SecondaryMask::id(0x3141_5926).as_u64())).unwrap();
    assert_eq!(header(&mut sim), Some(31_415_926));
}
