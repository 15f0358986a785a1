//! The `dlt645` tool on real pseudo-terminals against the meter simulator (run in-process on
//! the master end of each pair): reads by name and hex, the address, the remote switch, the
//! broadcast time, and the failures (error words, a silent meter, a missing port).

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

use std::process::{Command, Output};

use dlt645::{Address, Edition, Password};
use examples::meter_sim::{self, Fault, MeterConfig, MeterSim, SimConfig, SimHandle};
use examples::pty::Pty;
use rs485_link::LineSettings;
use serde_json::Value as Json;

/// A bus of simulated meters on a pty; the tool opens `path`.
struct Bus {
    handle: SimHandle,
    path: String,
    _slave: serialport::TTYPort,
}

fn bus(meters: Vec<MeterConfig>) -> Bus {
    let pty = Pty::open().expect("pty pair");
    let path = pty.slave_path().to_string();
    let Pty { master, slave, .. } = pty;
    let line = LineSettings::new_8e1(2400).unwrap();
    // Clocks at the system time (UTC), as the tool's switch deadline and time sync use it.
    let sim = MeterSim::new(SimConfig::new(meters).with_system_time());
    let handle = meter_sim::spawn(master, line, sim, Box::new(|l: &str| eprintln!("sim: {l}")));
    Bus {
        handle,
        path,
        _slave: slave,
    }
}

fn addr(n: u64) -> Address {
    Address::from_number(n).unwrap()
}

/// One 2007 meter 000000000161 (1000 kWh, 2.2 kW, 220.0 V).
fn one_meter() -> Bus {
    bus(vec![MeterConfig::new(addr(161), Edition::V2007)])
}

fn run(bus: &Bus, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dlt645"));
    cmd.args(args.iter().take(1))
        .args(["--port", &bus.path])
        .args(args.iter().skip(1));
    cmd.output().expect("run dlt645")
}

fn json(out: &Output) -> Json {
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text:?}"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        stderr(out)
    );
}

/// Seconds since 2000 of a `YYYY-MM-DD ... hh:mm:ss` text (the tool's clock value).
fn seconds_of(text: &str) -> i64 {
    let parts: Vec<&str> = text.split([' ', '-', ':']).collect();
    let n = |i: usize| parts[i].parse::<u16>().unwrap();
    let (h, mi, s) = (parts.len() - 3, parts.len() - 2, parts.len() - 1);
    concentrator_core::DateTime::new(
        n(0),
        n(1) as u8,
        n(2) as u8,
        n(h) as u8,
        n(mi) as u8,
        n(s) as u8,
    )
    .unwrap()
    .seconds_since_2000()
}

fn system_seconds_since_2000() -> i64 {
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    unix - 946_684_800
}

#[test]
fn energy_by_name_and_by_hex_is_the_simulated_register() {
    let b = one_meter();
    for di in ["energy", "00010000", "0001 0000"] {
        let out = run(&b, &["read", "--addr", "161", "--di", di, "--json"]);
        assert!(out.status.success(), "--di {di}: {}", stderr(&out));
        let j = json(&out);
        assert_eq!(j["di"], "00010000");
        assert_eq!(j["edition"], "2007");
        assert_eq!(j["frames"], 1);
        let v = &j["values"][0];
        // 1000 kWh at start plus 2.2 kW for a few seconds (0.01 kWh takes 16 s): XXXXXX.XX.
        assert_eq!(v["exponent"], -2);
        assert_eq!(v["unit"], "kWh");
        let m = v["mantissa"].as_i64().unwrap();
        assert!((100_000..=100_002).contains(&m), "{v}");
    }
    // The plain form names the item and shows the value with its unit.
    let out = run(&b, &["read", "--addr", "161", "--di", "energy"]);
    ok(&out);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("meter 000000000161 (DL/T 645-2007) DI 00010000: forward active energy"),
        "{text}"
    );
    assert!(text.contains("1000.0"), "{text}");
    assert!(text.contains(" kWh"), "{text}");
}

#[test]
fn voltage_block_reads_three_phases_exactly() {
    let b = one_meter();
    for di in ["voltage", "0201FF00"] {
        let out = run(&b, &["read", "--addr", "161", "--di", di, "--json"]);
        ok(&out);
        let j = json(&out);
        assert_eq!(j["di"], "0201FF00");
        let values: Vec<(i64, i64)> = j["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["mantissa"].as_i64().unwrap(),
                    v["exponent"].as_i64().unwrap(),
                )
            })
            .collect();
        // MeterConfig::new: 220.0 V, phase B 0.3 V above, C 0.2 V below (XXX.X V).
        assert_eq!(values, vec![(2200, -1), (2203, -1), (2198, -1)]);
        assert!(
            j["values"]
                .as_array()
                .unwrap()
                .iter()
                .all(|v| v["unit"] == "V")
        );
    }
}

#[test]
fn clock_by_name_and_hex_shows_the_meter_time() {
    let b = one_meter();
    for di in ["clock", "0400010C"] {
        let out = run(&b, &["read", "--addr", "161", "--di", di, "--json"]);
        ok(&out);
        let j = json(&out);
        assert_eq!(j["di"], "0400010C");
        let t = seconds_of(j["values"][0]["value"].as_str().unwrap());
        assert!((t - system_seconds_since_2000()).abs() <= 3, "{j}");
    }
}

#[test]
fn a_1997_meter_reads_by_4_digit_di_and_by_name() {
    let b = bus(vec![MeterConfig::new(addr(162), Edition::V1997)]);
    let out = run(&b, &["read", "--addr", "162", "--di", "9010", "--json"]);
    ok(&out);
    let j = json(&out);
    assert_eq!(
        (j["edition"].as_str(), j["di"].as_str()),
        (Some("1997"), Some("9010"))
    );
    let m = j["values"][0]["mantissa"].as_i64().unwrap();
    assert!((100_000..=100_002).contains(&m), "{j}");
    let out = run(
        &b,
        &[
            "read",
            "--addr",
            "162",
            "--di",
            "voltage",
            "--edition",
            "1997",
            "--json",
        ],
    );
    ok(&out);
    let j = json(&out);
    assert_eq!(j["di"], "B61F");
    // 1997 voltage is XXX V: 220.0 V, 220.3 V and 219.8 V lose their tenths.
    let v: Vec<i64> = j["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["mantissa"].as_i64().unwrap())
        .collect();
    assert_eq!(v, vec![220, 220, 219]);
}

#[test]
fn a_load_curve_is_collected_over_follow_up_frames() {
    let b = one_meter();
    let out = run(
        &b,
        &[
            "read", "--addr", "161", "--di", "06100101", "--count", "99", "--json",
        ],
    );
    ok(&out);
    let j = json(&out);
    // 99 two-byte records do not fit in one 200-byte frame: 0x11 then 0x12 with SEQ 1.
    assert!(j["frames"].as_u64().unwrap() >= 2, "{j}");
    let values = j["values"].as_array().unwrap();
    assert_eq!(values[0]["name"], "curve start");
    let records: Vec<&Json> = values.iter().skip(1).collect();
    assert_eq!(records.len(), 99);
    // Records up to now are 220.0 V; any still in the future are absent (FF).
    assert!(
        records
            .iter()
            .all(|r| r["value"] == "220.0" || r["absent"] == true)
    );
    assert_eq!(records[0]["value"], "220.0");
}

#[test]
fn frozen_day_n_reads_the_daily_freeze() {
    let b = one_meter();
    let out = run(
        &b,
        &["read", "--addr", "161", "--di", "frozen-day", "1", "--json"],
    );
    ok(&out);
    let j = json(&out);
    assert_eq!(j["di"], "05060101");
    // Total and four tariffs, each at most the register now (frozen at midnight).
    let values = j["values"].as_array().unwrap();
    assert_eq!(values.len(), 5);
    let total = values[0]["mantissa"].as_i64().unwrap();
    assert!(total <= 100_002, "{j}");
    let tariffs: i64 = values[1..]
        .iter()
        .map(|v| v["mantissa"].as_i64().unwrap())
        .sum();
    // The simulator splits the register evenly over four tariffs; each is cut to 0.01 kWh.
    assert!((total - 4..=total).contains(&tariffs), "{j}");
    // Frozen at the meter's midnight: 1000 kWh less 2.2 kW since then (in 0.01 kWh units).
    let since_midnight = system_seconds_since_2000().rem_euclid(86_400);
    let expected = 100_000 - 2_200 * since_midnight / 36_000;
    assert!((total - expected).abs() <= 2, "{total} vs {expected}");
}

#[test]
fn address_of_the_only_meter() {
    let b = bus(vec![MeterConfig::new(
        addr(123_456_789_012),
        Edition::V2007,
    )]);
    let out = run(&b, &["address"]);
    ok(&out);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "123456789012\n");
    let out = run(&b, &["address", "--json"]);
    ok(&out);
    assert_eq!(json(&out)["address"], "123456789012");
}

#[test]
fn switch_off_shows_relay_open_then_on_closes_it() {
    let b = one_meter();
    let out = run(&b, &["switch", "--addr", "161", "--off", "--json"]);
    ok(&out);
    let j = json(&out);
    assert_eq!(j["action_code"], "1A");
    assert_eq!(j["relay"], "open");
    assert_eq!(b.handle.sim().relay_open(addr(161)), Some(true));
    // The status word read on its own agrees.
    let out = run(&b, &["read", "--addr", "161", "--di", "status", "--json"]);
    ok(&out);
    let j = json(&out);
    assert_eq!(j["values"][0]["relay"], "open");
    assert_eq!(j["values"][0]["status_word"], 3);
    let out = run(&b, &["switch", "--addr", "161", "--on"]);
    ok(&out);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("direct close (N1 1C) accepted"), "{text}");
    assert!(text.contains("relay closed"), "{text}");
    assert_eq!(b.handle.sim().relay_open(addr(161)), Some(false));
}

#[test]
fn a_wrong_switch_password_gives_the_meters_error_word() {
    let mut m = MeterConfig::new(addr(161), Edition::V2007);
    m.switch_password = Password::new(0x02, 123_456).unwrap();
    let b = bus(vec![m]);
    let out = run(&b, &["switch", "--addr", "161", "--off", "--json"]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let j = json(&out);
    assert_eq!(j["kind"], "error_reply");
    // 0xDC with the two-byte control error word, bit 2: unauthorised (State-Grid 2014).
    assert_eq!(j["error_word"]["word"], "0004");
    assert!(stderr(&out).contains("error word 0004"), "{}", stderr(&out));
    assert_eq!(b.handle.sim().relay_open(addr(161)), Some(false));
    // The right password works.
    let out = run(
        &b,
        &[
            "switch",
            "--addr",
            "161",
            "--off",
            "--password",
            "123456",
            "--level",
            "02",
        ],
    );
    ok(&out);
    assert_eq!(b.handle.sim().relay_open(addr(161)), Some(true));
}

#[test]
fn an_unknown_di_gives_error_word_02() {
    let b = one_meter();
    let out = run(&b, &["read", "--addr", "161", "--di", "04A00000", "--json"]);
    assert_eq!(out.status.code(), Some(5));
    let j = json(&out);
    assert_eq!(j["error_word"]["word"], "02");
    assert_eq!(j["error_word"]["meanings"][0], "no requested data");
}

#[test]
fn a_silent_meter_times_out_with_exit_3() {
    let b = bus(vec![
        MeterConfig::new(addr(161), Edition::V2007).with_fault(Fault::Silence),
    ]);
    let start = std::time::Instant::now();
    let out = run(
        &b,
        &["read", "--addr", "161", "--di", "energy", "--retries", "0"],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("no reply from 000000000161 within 500 ms"),
        "{}",
        stderr(&out)
    );
    // DL/T 645 response timeout: 500 ms (2007 §5.3.3), not a guess of our own.
    assert!(start.elapsed() >= std::time::Duration::from_millis(500));
    let out = run(
        &b,
        &[
            "read",
            "--addr",
            "161",
            "--di",
            "energy",
            "--retries",
            "0",
            "--margin-ms",
            "100",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(json(&out)["kind"], "timeout");
    assert!(
        json(&out)["error"]
            .as_str()
            .unwrap()
            .contains("within 600 ms")
    );
}

#[test]
fn broadcast_time_sets_a_drifted_clock() {
    let b = bus(vec![
        MeterConfig::new(addr(161), Edition::V2007).with_fault(Fault::ClockDrift {
            offset_s: -120,
            per_hour_s: 0,
        }),
    ]);
    let clock = |b: &Bus| {
        let out = run(b, &["read", "--addr", "161", "--di", "clock", "--json"]);
        ok(&out);
        seconds_of(json(&out)["values"][0]["value"].as_str().unwrap()) - system_seconds_since_2000()
    };
    let before = clock(&b);
    assert!((-123..=-117).contains(&before), "{before}");
    let out = run(&b, &["time"]);
    ok(&out);
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("broadcast time ")
    );
    let after = clock(&b);
    assert!(after.abs() <= 2, "{after}");
}

#[test]
fn a_missing_port_and_bad_options_are_clear_errors() {
    let out = Command::new(env!("CARGO_BIN_EXE_dlt645"))
        .args([
            "read",
            "--port",
            "/dev/no-such-port",
            "--addr",
            "1",
            "--di",
            "energy",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot open serial port /dev/no-such-port"),
        "{}",
        stderr(&out)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_dlt645"))
        .args([
            "read",
            "--port",
            "/dev/null",
            "--addr",
            "1",
            "--di",
            "watts",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown DI \"watts\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn address_with_two_meters_on_the_bus_is_a_garbled_reply() {
    // Both answer the AA..AA wildcard at once; the collision fails every checksum.
    let b = bus(vec![
        MeterConfig::new(addr(161), Edition::V2007),
        MeterConfig::new(addr(162), Edition::V2007),
    ]);
    let out = run(&b, &["address", "--retries", "0", "--json"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(json(&out)["kind"], "garbled");
    assert!(
        stderr(&out).contains("several meters answering at once"),
        "{}",
        stderr(&out)
    );
}
