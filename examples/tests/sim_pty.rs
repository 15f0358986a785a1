//! The simulators on real pseudo-terminal pairs, driven by the `rs485_link` blocking driver
//! as a concentrator would: a DL/T 645 energy read, a switch-off then a status read that shows
//! the relay open, a load curve with follow-up frames, an M-Bus readout and a secondary
//! selection.

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

use dlt645::{
    Address, Body, DateTime, Di, Dlt645Framing, Edition, Frame, MinuteTime, Operator, Password,
    Reply, Repr, Request, SwitchAction, Value,
};
use examples::mbus_sim::{self, MbusSim, MbusSimConfig, SlaveConfig};
use examples::meter_sim::{self, MeterConfig, MeterSim, SimConfig};
use examples::pty::Pty;
use rs485_link::{LineSettings, Link, SerialUart, StdClock, Timing};
use serialport::TTYPort;
use wired_mbus::{ACK, MbusFraming, SecondaryMask};

mod common;

use common::addr;

type DltLink = Link<SerialUart<TTYPort>, StdClock, Dlt645Framing, 512>;
type MbusLink = Link<SerialUart<TTYPort>, StdClock, MbusFraming, 512>;

const LINE: LineSettings = LineSettings::DLT645_2400;

fn quiet() -> examples::sim_port::Logger {
    Box::new(|_| {})
}

/// Two 2007 meters on the master end of a pty; the driver's link on the slave end.
fn meter_bus() -> (DltLink, meter_sim::SimHandle) {
    let Pty { master, slave, .. } = Pty::open().unwrap();
    let sim = MeterSim::new(SimConfig::new(vec![
        MeterConfig::new(addr(1), Edition::V2007),
        MeterConfig::new(addr(2), Edition::V2007),
    ]));
    let handle = meter_sim::spawn(master, LINE, sim, quiet());
    let mut uart = SerialUart::new(slave);
    uart.configure(&LINE).unwrap();
    let link = Link::new(uart, StdClock::new(), Dlt645Framing, Timing::dlt645(LINE));
    (link, handle)
}

/// A request frame (the link sends the wake-up bytes itself).
fn request(to: Address, r: Request<'_>) -> Vec<u8> {
    let repr = Repr::request(to, r);
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(&mut buf).unwrap();
    buf
}

/// Send `r`, return the decoded items of the read reply and its follow flag.
fn read(link: &mut DltLink, to: Address, r: Request<'_>) -> (Vec<String>, bool) {
    let reply = link.transact(&request(to, r)).unwrap();
    let frame = Frame::new_checked(reply).unwrap();
    let repr = Repr::parse(&frame).unwrap();
    let Body::Reply(reply) = repr.body else {
        panic!("{repr:?}")
    };
    let items = match reply {
        Reply::ReadFollow { di, data, .. } => dlt645::catalogue::decode(di, data, true)
            .map(|i| i.value.to_string())
            .collect(),
        _ => reply
            .values()
            .unwrap()
            .map(|i| i.value.to_string())
            .collect(),
    };
    (items, repr.follow)
}

#[test]
fn energy_read_on_a_pty() {
    let (mut link, sim) = meter_bus();
    let (v, _) = read(
        &mut link,
        addr(2),
        Request::Read {
            di: Di(0x0001_0000),
        },
    );
    // 1000 kWh at start; a fraction of a second of 2.2 kW does not reach 0.01 kWh.
    assert_eq!(v, ["1000.00 kWh"]);
    assert!(sim.is_running());
    sim.stop();
}

#[test]
fn switch_off_then_status_shows_the_relay_open() {
    let (mut link, sim) = meter_bus();
    let to = addr(1);
    let off = Request::Switch {
        password: Password {
            level: 0x02,
            code: [0; 3],
        },
        operator: Operator([0x78, 0x56, 0x34, 0x12]),
        action: SwitchAction::Trip,
        delay: 0,
        valid_until: DateTime {
            year: 2099,
            month: 12,
            day: 31,
            hour: 23,
            minute: 59,
            second: 59,
        },
    };
    let reply = link.transact(&request(to, off)).unwrap();
    let frame = Frame::new_checked(reply).unwrap();
    assert_eq!(
        Repr::parse(&frame).unwrap().body,
        Body::Reply(Reply::Ack(dlt645::Function::RemoteSwitch))
    );
    let reply = link
        .transact(&request(
            to,
            Request::Read {
                di: Di(0x0400_0503),
            },
        ))
        .unwrap();
    let frame = Frame::new_checked(reply).unwrap();
    let Body::Reply(r) = Repr::parse(&frame).unwrap().body else {
        panic!()
    };
    let Value::Status(s) = r.values().unwrap().next().unwrap().value else {
        panic!()
    };
    assert_eq!(s.relay_open(), Some(true));
    assert_eq!(sim.sim().relay_open(to), Some(true));
    assert_eq!(sim.sim().relay_open(addr(2)), Some(false));
}

#[test]
fn load_curve_with_follow_up_frames_on_a_pty() {
    let (mut link, _sim) = meter_bus();
    let to = addr(1);
    let di = Di(0x0610_0601);
    // 96 records from the day before the simulation start (2025-12-31 00:00).
    let start = MinuteTime {
        year: 2025,
        month: 12,
        day: 31,
        hour: 0,
        minute: 0,
    };
    let (first, mut more) = read(
        &mut link,
        to,
        Request::ReadFrom {
            di,
            count: 0x96,
            start,
        },
    );
    assert!(more);
    assert_eq!(first[0], "2025-12-31 00:00");
    let mut records = first.len() - 1;
    let mut seq = 0;
    while more {
        seq += 1;
        let (part, m) = read(&mut link, to, Request::ReadFollow { di, seq });
        records += part.len();
        more = m;
    }
    assert_eq!((records, seq), (96, 2));
}

#[test]
fn meter_sim_opened_by_path() {
    let pty = Pty::open().unwrap();
    let sim = MeterSim::new(SimConfig::new(vec![MeterConfig::new(
        addr(1997),
        Edition::V1997,
    )]));
    let handle = meter_sim::spawn_on_port(pty.slave_path(), LINE, sim, quiet()).unwrap();
    let Pty { master, .. } = pty;
    let mut link: DltLink = Link::new(
        SerialUart::new(master),
        StdClock::new(),
        Dlt645Framing,
        Timing::dlt645(LINE),
    );
    let reply = link
        .transact(&request(
            addr(1997),
            Request::Read97 {
                di: dlt645::Di97(0xB611),
            },
        ))
        .unwrap();
    let frame = Frame::new_checked(reply).unwrap();
    let Body::Reply(Reply::Read97 { di, data }) = Repr::parse(&frame).unwrap().body else {
        panic!()
    };
    let v: Vec<String> = dlt645::catalogue::decode97(di, data)
        .map(|i| i.value.to_string())
        .collect();
    assert_eq!(v, ["220 V"]);
    handle.stop();
}

/// Two water meters (one corpus telegram, two identification numbers) at 1 and 2.
fn mbus_bus() -> (MbusLink, mbus_sim::SimHandle) {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/mbus/libmbus/frames/GWF-MTKcoder.hex"
    );
    let a = SlaveConfig::from_hex_files(1, &[file])
        .unwrap()
        .with_id(11_111_111)
        .unwrap();
    let b = SlaveConfig::from_hex_files(2, &[file])
        .unwrap()
        .with_id(22_222_222)
        .unwrap();
    let line = LineSettings::MBUS_2400;
    let Pty { master, slave, .. } = Pty::open().unwrap();
    let handle = mbus_sim::spawn(
        master,
        line,
        MbusSim::new(MbusSimConfig::new(vec![a, b])),
        quiet(),
    );
    let mut uart = SerialUart::new(slave);
    uart.configure(&line).unwrap();
    let link = Link::new(uart, StdClock::new(), MbusFraming, Timing::mbus(line));
    (link, handle)
}

fn mbus_request(r: wired_mbus::Request<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; r.buffer_len()];
    r.emit(&mut buf).unwrap();
    buf
}

#[test]
fn mbus_readout_and_secondary_selection_on_a_pty() {
    let (mut link, _sim) = mbus_bus();
    let nke = mbus_request(wired_mbus::Request::SndNke {
        address: wired_mbus::Address::from_byte(2),
    });
    assert_eq!(link.transact(&nke).unwrap(), &[ACK]);
    let req = mbus_request(wired_mbus::Request::ReqUd2 {
        address: wired_mbus::Address::from_byte(2),
        fcb: true,
    });
    let telegram = link.transact(&req).unwrap().to_vec();
    let f = wired_mbus::Frame::new_checked(&telegram).unwrap();
    assert_eq!(f.address(), Some(wired_mbus::Address::from_byte(2)));
    let id = wired_mbus::SecondaryAddress::from_long_header(f.ci().unwrap(), f.user_data())
        .unwrap()
        .id();
    assert_eq!(id, 0x2222_2222);
    // Select the first meter by its identification number, read it at 253.
    let select = mbus_request(wired_mbus::Request::Select {
        fcb: false,
        mask: SecondaryMask::id(0x1111_1111),
    });
    assert_eq!(link.transact(&select).unwrap(), &[ACK]);
    let req = mbus_request(wired_mbus::Request::ReqUd2 {
        address: wired_mbus::Address::NETWORK,
        fcb: true,
    });
    let telegram = link.transact(&req).unwrap().to_vec();
    let f = wired_mbus::Frame::new_checked(&telegram).unwrap();
    assert_eq!(f.address(), Some(wired_mbus::Address::from_byte(1)));
    assert_eq!(
        wired_mbus::SecondaryAddress::from_long_header(f.ci().unwrap(), f.user_data())
            .unwrap()
            .id(),
        0x1111_1111
    );
}

#[test]
fn the_simulator_outlives_a_program_that_closes_and_reopens_the_device() {
    // A daemon killed and restarted: every slave descriptor closes for a while.
    let pty = Pty::open().unwrap();
    let path = pty.slave_path().to_string();
    let Pty { master, slave, .. } = pty;
    let sim = MeterSim::new(SimConfig::new(vec![MeterConfig::new(
        addr(1),
        Edition::V2007,
    )]));
    let handle = meter_sim::spawn(master, LINE, sim, quiet());
    drop(slave);
    std::thread::sleep(std::time::Duration::from_millis(300));
    for _ in 0..2 {
        let uart = SerialUart::open(&path, &LINE).unwrap();
        let mut link: DltLink =
            Link::new(uart, StdClock::new(), Dlt645Framing, Timing::dlt645(LINE));
        let (v, _) = read(
            &mut link,
            addr(1),
            Request::Read {
                di: Di(0x0001_0000),
            },
        );
        assert_eq!(v, ["1000.00 kWh"]);
        drop(link);
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(handle.is_running());
    }
}
