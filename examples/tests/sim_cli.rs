//! The `meter-sim` and `mbus-sim` binaries: started on a pty (by path, or with `--pty`),
//! read with the `rs485_link` driver, and their log lines checked.

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use dlt645::{Address, Body, Di, Dlt645Framing, Frame, Repr, Request};
use examples::pty::Pty;
use rs485_link::{LineSettings, Link, Margins, ProtocolTiming, SerialUart, StdClock, Timing};

/// The simulators are separate processes: on a loaded 2-core test machine they may be
/// scheduled late, so the link waits up to 1 s more for a reply (and 100 ms more inside one)
/// than the protocols' own figures. A silent meter is still a timeout.
const LOADED_MACHINE: Margins = Margins {
    gap_us: 100_000,
    turnaround_us: 0,
    response_us: 1_000_000,
};
use serialport::TTYPort;
use wired_mbus::{ACK, MbusFraming};

#[test]
fn meter_sim_on_a_port_answers_and_logs() {
    let pty = Pty::open().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_meter-sim"))
        .args(["--port", pty.slave_path(), "--baud", "2400"])
        .args(["--meters", "000000000001,000000000002", "--duration", "5"])
        .args(["--fault", "000000000002:silence"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    // The device line comes once the port is open.
    while !line.starts_with("serial device:") {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "meter-sim ended early"
        );
    }
    let Pty { master, .. } = pty;
    let mut link: Link<SerialUart<TTYPort>, StdClock, Dlt645Framing, 512> = Link::new(
        SerialUart::new(master),
        StdClock::new(),
        Dlt645Framing,
        Timing::new(
            &ProtocolTiming::DLT645,
            LineSettings::DLT645_2400,
            LOADED_MACHINE,
        ),
    );
    let read = |to: u64| {
        let repr = Repr::request(
            Address::from_number(to).unwrap(),
            Request::Read {
                di: Di(0x0001_0000),
            },
        );
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut buf).unwrap();
        buf
    };
    let reply = link.transact(&read(1)).unwrap().to_vec();
    let frame = Frame::new_checked(&reply[..]).unwrap();
    assert!(matches!(Repr::parse(&frame).unwrap().body, Body::Reply(_)));
    assert!(matches!(
        link.transact(&read(2)),
        Err(rs485_link::LinkError::Timeout)
    ));
    let status = child.wait().unwrap();
    assert!(status.success());
    let rest: Vec<String> = out.lines().map(Result::unwrap).collect();
    assert!(
        rest.iter()
            .any(|l| l.contains("000000000001 read: 00010000 -> 1000.00 kWh")),
        "{rest:?}"
    );
    assert!(
        rest.iter()
            .any(|l| l.contains("000000000002 read: silent (fault)")),
        "{rest:?}"
    );
}

#[test]
fn mbus_sim_with_its_own_pty() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/mbus/libmbus/frames/GWF-MTKcoder.hex"
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_mbus-sim"))
        .args(["--pty", "--slaves", &format!("5:{file}"), "--duration", "5"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let path = loop {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "mbus-sim ended early"
        );
        if let Some(p) = line.strip_prefix("serial device: ") {
            break p.trim().to_string();
        }
    };
    let line_settings = LineSettings::MBUS_2400;
    let uart = SerialUart::open(&path, &line_settings).unwrap();
    let mut link: Link<SerialUart<TTYPort>, StdClock, MbusFraming, 512> = Link::new(
        uart,
        StdClock::new(),
        MbusFraming,
        Timing::new(&ProtocolTiming::MBUS, line_settings, LOADED_MACHINE),
    );
    let emit = |r: wired_mbus::Request<'_>| {
        let mut buf = vec![0u8; r.buffer_len()];
        r.emit(&mut buf).unwrap();
        buf
    };
    let five = wired_mbus::Address::from_byte(5);
    assert_eq!(
        link.transact(&emit(wired_mbus::Request::SndNke { address: five }))
            .unwrap(),
        &[ACK]
    );
    let t = link
        .transact(&emit(wired_mbus::Request::ReqUd2 {
            address: five,
            fcb: true,
        }))
        .unwrap()
        .to_vec();
    assert_eq!(
        wired_mbus::Frame::new_checked(&t).unwrap().address(),
        Some(five)
    );
    assert!(child.wait().unwrap().success());
    let rest: Vec<String> = out.lines().map(Result::unwrap).collect();
    assert!(
        rest.iter()
            .any(|l| l.contains("5: REQ_UD2 fcb=1 -> telegram 1/1 (33 bytes)")),
        "{rest:?}"
    );
}

#[test]
fn bad_arguments_are_refused_with_a_reason() {
    let out = Command::new(env!("CARGO_BIN_EXE_meter-sim"))
        .args(["--pty", "--meters", "12345678901234"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad address"));
    let out = Command::new(env!("CARGO_BIN_EXE_mbus-sim"))
        .args(["--port", "/dev/null", "--slaves", "1:/nonexistent.hex"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent.hex"));
}
