//! The `link` tool, run as a program: timing figures, and `send` / `listen` on the slave end of
//! a pseudo-terminal pair with a simulated DL/T 645 meter on the master end (frames from
//! `shared/vectors/dlt645/frames.tsv`).

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

use std::io::Write;
use std::process::{Command, Output};
use std::sync::mpsc;
use std::thread;

use dlt645::Dlt645Framing;
use rs485_link::{Duration, LineSettings, Link, SerialUart, StdClock, Timing};
use serialport::{SerialPort, TTYPort};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_link"))
        .args(args)
        .output()
        .expect("run link")
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// V04 without its 4 wake-up bytes (read 00010000 at 000000000161) and V05, its reply.
const REQUEST: &str = "68 61 01 00 00 00 00 68 11 04 33 33 34 33 14 16";
const REPLY: &str = "68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16";

fn bytes(hex: &str) -> Vec<u8> {
    examples::parse_hex(hex).unwrap()
}

#[test]
fn timing_prints_the_figures() {
    let out = run(&["timing", "dlt645", "2400"]);
    assert!(out.status.success());
    let v = &json_lines(&out)[0];
    assert_eq!(v["char_us"], 4584);
    assert_eq!(v["gap_us"], 500_000);
    assert_eq!(v["turnaround_us"], 20_000);
    assert_eq!(v["response_us"], 500_000);
    let out = run(&["timing", "mbus", "300", "--usb"]);
    let v = &json_lines(&out)[0];
    // 330 bits at 300 Bd + 50 ms + 150 ms USB margin.
    assert_eq!(v["response_us"], 1_100_000 + 50_000 + 150_000);
    assert_eq!(v["turnaround_us"], 36_667);
}

#[test]
fn usage_errors_exit_with_2() {
    for args in [
        &["timing", "modbus", "9600"][..],
        &["timing", "dlt645", "110"],
        &["timing", "dlt645"],
        &["send", "/dev/null", "dlt645", "2400"],
        &["send", "/dev/null", "dlt645", "2400", "6"],
        &["listen", "/dev/null", "dlt645", "2400", "--frames", "x"],
        &["frobnicate"],
    ] {
        assert_eq!(run(args).status.code(), Some(2), "{args:?}");
    }
}

/// A pty pair; the meter thread on the master end writes `script` after each request it
/// receives, until told to stop. Returns the slave's path, the slave (kept open), the stop
/// sender and the thread (which returns the requests it saw, as received).
fn meter(
    requests: usize,
    script: Vec<Vec<u8>>,
) -> (
    String,
    TTYPort,
    mpsc::Sender<()>,
    thread::JoinHandle<Vec<Vec<u8>>>,
) {
    let (master, slave) = TTYPort::pair().unwrap();
    let path = slave.name().unwrap();
    let (stop, stopped) = mpsc::channel();
    let handle = thread::spawn(move || {
        let timing = Timing::dlt645(LineSettings::DLT645_9600);
        let mut side: Link<_, _, _, 512> = Link::new(
            SerialUart::new(master),
            StdClock::new(),
            Dlt645Framing,
            timing,
        );
        let mut seen = Vec::new();
        for _ in 0..requests {
            seen.push(side.receive(Duration::millis(5000)).unwrap().to_vec());
            thread::sleep(std::time::Duration::from_millis(30));
            for b in &script {
                side.uart_mut().port_mut().write_all(b).unwrap();
            }
        }
        if requests == 0 {
            thread::sleep(std::time::Duration::from_millis(200));
            for b in &script {
                side.uart_mut().port_mut().write_all(b).unwrap();
            }
        }
        stopped.recv().unwrap();
        seen
    });
    (path, slave, stop, handle)
}

#[test]
fn send_prints_the_reply() {
    let (path, _slave, stop, m) = meter(1, vec![bytes(&format!("FE FE {REPLY}"))]);
    let out = run(&["send", &path, "dlt645", "9600", REQUEST]);
    stop.send(()).unwrap();
    assert!(out.status.success(), "{:?}", out);
    let v = &json_lines(&out)[0];
    assert_eq!(v["reply"], REPLY);
    assert_eq!(v["request"], REQUEST);
    assert_eq!(m.join().unwrap(), vec![bytes(REQUEST)]);
}

#[test]
fn send_reports_a_timeout_and_exits_with_1() {
    let (path, _slave, stop, m) = meter(1, vec![]);
    let out = run(&["send", &path, "dlt645", "9600", REQUEST]);
    stop.send(()).unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = &json_lines(&out)[0];
    assert_eq!(v["error"], "timeout");
    assert!(v["elapsed_ms"].as_u64().unwrap() >= 500);
    m.join().unwrap();
}

#[test]
fn listen_prints_each_frame() {
    // Two read-address replies with noise between them: streams.tsv S2.
    let s2 = "fe fe 68 18 55 60 06 00 00 68 93 06 4b 88 93 39 33 33 41 16 fd bb dd \
              fe fe 68 18 55 60 06 00 00 68 93 06 4b 88 93 39 33 33 41 16";
    let (path, _slave, stop, m) = meter(0, vec![bytes(s2)]);
    let out = run(&["listen", &path, "dlt645", "9600", "--frames", "2"]);
    stop.send(()).unwrap();
    assert!(out.status.success(), "{:?}", out);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    for l in &lines {
        assert_eq!(
            l["frame"],
            "68 18 55 60 06 00 00 68 93 06 4B 88 93 39 33 33 41 16"
        );
    }
    m.join().unwrap();
}
