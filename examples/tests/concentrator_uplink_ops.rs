//! The master station's forwarding, archive, clock, port and power commands end to end: a
//! `MasterStation` (library) on 127.0.0.1:0, the `concentrator` daemon connecting out to it,
//! and simulated DL/T 645 meters on a pty (the daemon's channel 1 = terminal port 1).
//!
//! A transparent forward (10 F1) of a DL/T 645 read returns the meter's reply bytes (an
//! empty frame when nobody answers); an
//! archive entry downloaded for a new meter (04 F10) is read with 0C F129 and answered back by
//! 0A F10, and both survive a daemon restart; a time set (05 F31) is what 0C F2 reads after
//! it, also after the restart; 05 F49/F50 pause and resume the port; 0C F25 carries the
//! meter's instantaneous values exactly. Each state-changing command with a wrong PW is
//! denied (AFN 00 F2) and changes nothing.

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

mod common;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use dlt645::{Address, Di, Edition, Request};
use examples::master_station::{Command, MasterStation, TerminalId, render_frames};
use examples::meter_sim::{self, MeterConfig, MeterSim, SimConfig};
use examples::pty::Pty;
use qgdw1376_1::unit::{Data, MeterEntry, MeterProtocol};
use qgdw1376_1::value::DateTime as UpTime;
use qgdw1376_1::{FrameRepr, PW_LEN};
use rs485_link::LineSettings;

use common::daemon::{DENIED, DONE, afn_fn, fresh_dir, start, utc_ago, wait_login};
use common::{addr, request};

/// The key written in the config below (hex 000102...0f).
const KEY: [u8; PW_LEN] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
const WRONG: [u8; PW_LEN] = [0xAA; PW_LEN];

/// The test's directory, removed at the end unless the test failed.
struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        if !thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A DL/T 645 frame `68 A 68 C L DATA CS 16` with its checksum (notes §1.2).
fn dlt645_frame(address: [u8; 6], control: u8, data: &[u8]) -> Vec<u8> {
    let mut f = vec![0x68];
    f.extend(address);
    f.push(0x68);
    f.push(control);
    f.push(u8::try_from(data.len()).unwrap());
    f.extend(data);
    let cs = f.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    f.extend([cs, 0x16]);
    f
}

/// The forward active total of a 0C F129 reply, as (mantissa, exponent).
fn f129_total(frames: &[Vec<u8>]) -> (Option<i64>, Option<i64>) {
    let v = render_frames(frames);
    let fa = &v["units"][0]["value"]["forward_active"][0];
    (fa["mantissa"].as_i64(), fa["exponent"].as_i64())
}

/// The concentrator's clock in a 0C F2 reply, seconds since 2000.
fn clock_of(frames: &[Vec<u8>]) -> i64 {
    let v = render_frames(frames);
    let text = v["units"][0]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"));
    examples::concentrator::json::parse_time(text)
        .unwrap()
        .seconds_since_2000()
}

#[test]
fn master_forwards_downloads_sets_time_pauses_and_reads_power_through_the_daemon() {
    // 201 and 203 are in the daemon's config (points 1 and 3); 202 is not (the master
    // downloads it); 204 is in no archive (only forwards reach it, so its requests count them).
    let pty = Pty::open().unwrap();
    let device = pty.slave_path().to_string();
    let Pty { master, slave, .. } = pty;
    let a201 = Address::from_number(201).unwrap();
    let a202 = Address::from_number(202).unwrap();
    let a203 = Address::from_number(203).unwrap();
    let a204 = Address::from_number(204).unwrap();
    let still = |a: Address, wh: u64| {
        let mut m = MeterConfig::new(a, Edition::V2007);
        m.power_w = 0;
        m.energy_wh = wh;
        m
    };
    let mut m203 = MeterConfig::new(a203, Edition::V2007);
    m203.power_w = 2_200;
    m203.voltage_dv = 2_200;
    m203.power_factor_milli = 950;
    let meters = vec![
        still(a201, 1_234_560),
        still(a202, 5_432_100),
        m203,
        still(a204, 987_650),
    ];
    let heard = Arc::new(Mutex::new(Vec::<String>::new()));
    let lines = Arc::clone(&heard);
    let _sim = meter_sim::spawn(
        master,
        LineSettings::DLT645_2400,
        MeterSim::new(SimConfig::new(meters)),
        Box::new(move |l| lines.lock().unwrap().push(l.to_string())),
    );
    let _slave = slave;
    let heard_204 = || {
        heard
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("000000000204"))
            .count()
    };

    let ms = MasterStation::start("127.0.0.1:0".parse().unwrap(), None, 1).unwrap();
    let dir = Dir(fresh_dir("concentrator-upops"));
    let cfg = format!(
        "[storage]\npath = \"c.db\"\n\
         [schedule]\ncurve_period_min = 0\n\
         [uplink]\nmaster = \"tcp:{}\"\narea = \"0200\"\nterminal = \"1234\"\nheartbeat_s = 1\n\
         key = \"000102030405060708090a0b0c0d0e0f\"\n\
         [[channel]]\nid = 1\nkind = \"rs485\"\ndevice = \"{device}\"\n\
         [[meter]]\narchive_no = 1\nchannel = 1\nprotocol = \"dlt645-2007\"\n\
         address = \"000000000201\"\nreads = [\"energy_import\"]\n\
         [[meter]]\narchive_no = 3\nchannel = 1\nprotocol = \"dlt645-2007\"\n\
         address = \"000000000203\"\nreads = [\"energy_import\"]\n",
        ms.local_addr()
    );
    std::fs::write(dir.0.join("c.toml"), cfg).unwrap();
    let t: TerminalId = "0200:1234".parse().unwrap();
    let started = SystemTime::now();
    let daemon = start(&dir.0, "c.toml", "out.log");
    wait_login(&ms, t, Some(started));

    // ---- 10 F1: a DL/T 645-2007 read of DI 00010000 (vector V04's shape) at meter 204 ----
    let read_204 = request(
        a204,
        Request::Read {
            di: Di(0x0001_0000),
        },
    );
    let wrong = ms
        .request(
            t,
            &Command::Forward {
                port: 1,
                frame: read_204.clone(),
                pw: WRONG,
            },
        )
        .unwrap();
    assert_eq!(afn_fn(&wrong), DENIED);
    assert_eq!(heard_204(), 0, "a denied forward reached the bus");
    let frames = ms
        .request(
            t,
            &Command::Forward {
                port: 1,
                frame: read_204,
                pw: KEY,
            },
        )
        .unwrap();
    let reply = FrameRepr::parse_bytes(&frames[0]).unwrap();
    let unit = reply.data_units().next().unwrap().unwrap();
    assert_eq!((unit.pn, unit.fn_number), (0, 1));
    let Some(Data::ForwardReply(fr)) = unit.data().unwrap() else {
        panic!("{unit:?}")
    };
    // 987.65 kWh as XXXXXX.XX BCD, low byte first, each byte + 33H (notes §1.2).
    let expected = dlt645_frame(
        [0x04, 0x02, 0, 0, 0, 0],
        0x91,
        &[0x33, 0x33, 0x34, 0x33, 0x98, 0xBA, 0x3C, 0x33],
    );
    assert_eq!(fr.port, 1);
    assert_eq!(fr.frame, &expected[..]);
    assert_eq!(heard_204(), 1);
    // Nobody answers (no meter 205): after the 10 s the master asked for, an empty frame.
    let silent = request(
        addr(205),
        Request::Read {
            di: Di(0x0001_0000),
        },
    );
    let asked = Instant::now();
    let frames = ms
        .request(
            t,
            &Command::Forward {
                port: 1,
                frame: silent,
                pw: KEY,
            },
        )
        .unwrap();
    assert!(asked.elapsed() >= Duration::from_secs(10));
    let reply = FrameRepr::parse_bytes(&frames[0]).unwrap();
    let unit = reply.data_units().next().unwrap().unwrap();
    let Some(Data::ForwardReply(fr)) = unit.data().unwrap() else {
        panic!("{unit:?}")
    };
    assert_eq!((fr.port, fr.frame), (1, &[][..]));
    // A port with no channel behind it: denied.
    let none = ms
        .request(
            t,
            &Command::Forward {
                port: 5,
                frame: vec![0x68, 0x16],
                pw: KEY,
            },
        )
        .unwrap();
    assert_eq!(afn_fn(&none), DENIED);

    // ---- 04 F10: meter 202 as point 2 on port 1; 0C F129 reads it; 0A F10 answers it ----
    let entry = MeterEntry {
        serial: 5,
        point: 2,
        port: 1,
        baud: 3,
        protocol: MeterProtocol::Dlt645_2007,
        address: [0x02, 0x02, 0, 0, 0, 0],
        password: [0; 6],
        tariffs: 4,
        digits: 0b1001,
        collector: [0; 6],
        class: 0x11,
    };
    let read_p2 = Command::ReadNow {
        pn: 2,
        fn_number: 129,
    };
    let query = Command::ArchiveQuery { serials: vec![5] };
    let set = |pw| Command::ArchiveSet {
        entries: vec![entry],
        pw,
    };
    assert_eq!(afn_fn(&ms.request(t, &set(WRONG)).unwrap()), DENIED);
    assert_eq!(afn_fn(&ms.request(t, &read_p2).unwrap()), DENIED);
    assert_eq!(afn_fn(&ms.request(t, &query).unwrap()), DENIED);
    assert_eq!(afn_fn(&ms.request(t, &set(KEY)).unwrap()), DONE);
    let frames = ms.request(t, &read_p2).unwrap();
    assert_eq!(f129_total(&frames), (Some(54_321_000), Some(-4)));
    let check_query = |frames: &[Vec<u8>]| {
        let reply = FrameRepr::parse_bytes(&frames[0]).unwrap();
        let unit = reply.data_units().next().unwrap().unwrap();
        assert_eq!((unit.pn, unit.fn_number), (0, 10));
        let Some(Data::Archive(list)) = unit.data().unwrap() else {
            panic!("{unit:?}")
        };
        let got: Vec<MeterEntry> = list.iter().collect();
        assert_eq!(got, [entry]);
    };
    check_query(&ms.request(t, &query).unwrap());
    // An entry the daemon refuses (port 6 has no channel): denied, and not stored.
    let bad = MeterEntry {
        serial: 6,
        point: 4,
        port: 6,
        ..entry
    };
    let refused = ms
        .request(
            t,
            &Command::ArchiveSet {
                entries: vec![bad],
                pw: KEY,
            },
        )
        .unwrap();
    assert_eq!(afn_fn(&refused), DENIED);
    let q6 = ms
        .request(t, &Command::ArchiveQuery { serials: vec![6] })
        .unwrap();
    assert_eq!(afn_fn(&q6), DENIED);

    // The same serial moved to point 4: point 2 is gone, point 4 reads meter 202.
    let moved = MeterEntry { point: 4, ..entry };
    let set4 = Command::ArchiveSet {
        entries: vec![moved],
        pw: KEY,
    };
    assert_eq!(afn_fn(&ms.request(t, &set4).unwrap()), DONE);
    assert_eq!(afn_fn(&ms.request(t, &read_p2).unwrap()), DENIED);
    let read_p4 = Command::ReadNow {
        pn: 4,
        fn_number: 129,
    };
    let frames = ms.request(t, &read_p4).unwrap();
    assert_eq!(f129_total(&frames), (Some(54_321_000), Some(-4)));
    // And back to point 2 for the rest.
    assert_eq!(afn_fn(&ms.request(t, &set(KEY)).unwrap()), DONE);
    assert_eq!(afn_fn(&ms.request(t, &read_p4).unwrap()), DENIED);

    // ---- 0C F25 of meter 203: the simulator's instantaneous values, exactly ----
    let frames = ms
        .request(
            t,
            &Command::ReadNow {
                pn: 3,
                fn_number: 25,
            },
        )
        .unwrap();
    let reply = FrameRepr::parse_bytes(&frames[0]).unwrap();
    let unit = reply.data_units().next().unwrap().unwrap();
    assert_eq!((unit.pn, unit.fn_number), (3, 25));
    let Some(Data::Power(p)) = unit.data().unwrap() else {
        panic!("{unit:?}")
    };
    let q = |x: Option<qgdw1376_1::value::Quantity>| x.map(|q| (q.mantissa, q.exponent));
    assert_eq!(q(p.active[0]), Some((22_000, -4)), "2.2000 kW");
    assert_eq!(q(p.power_factor[0]), Some((950, -1)), "95.0 %");
    assert_eq!(
        p.voltage.map(q),
        [Some((2_200, -1)), Some((2_203, -1)), Some((2_198, -1))]
    );
    // The simulator's I = P / (U · PF) per phase, in mA (2200 W split 734/733/733).
    let ma = |w: i64, dv: i64| w * 10_000_000 / (dv * 950);
    assert_eq!(
        p.current.map(q),
        [
            Some((ma(734, 2_200), -3)),
            Some((ma(733, 2_203), -3)),
            Some((ma(733, 2_198), -3))
        ]
    );
    // What the core does not read is "no data".
    assert_eq!(
        (p.reactive[0], p.apparent[0], p.zero_current),
        (None, None, None)
    );
    assert_eq!((p.active[1], p.power_factor[2]), (None, None));

    // ---- 05 F49 / F50: pause and resume port 1 ----
    let port = |pause, pw| Command::PortControl { port: 1, pause, pw };
    let log = || std::fs::read_to_string(dir.0.join("out.log")).unwrap();
    assert_eq!(afn_fn(&ms.request(t, &port(true, WRONG)).unwrap()), DENIED);
    assert!(!log().contains("scheduled reading paused"), "{}", log());
    assert_eq!(afn_fn(&ms.request(t, &port(true, KEY)).unwrap()), DONE);
    assert!(log().contains("channel 1: scheduled reading paused by master-station"));
    // Real-time reads still run on a paused port.
    let frames = ms
        .request(
            t,
            &Command::ReadNow {
                pn: 1,
                fn_number: 129,
            },
        )
        .unwrap();
    assert_eq!(f129_total(&frames), (Some(12_345_600), Some(-4)));
    assert_eq!(afn_fn(&ms.request(t, &port(false, KEY)).unwrap()), DONE);
    assert!(log().contains("channel 1: scheduled reading resumed by master-station"));
    // A port beyond the channels: denied.
    let p9 = Command::PortControl {
        port: 9,
        pause: true,
        pw: KEY,
    };
    assert_eq!(afn_fn(&ms.request(t, &p9).unwrap()), DENIED);

    // ---- 05 F31: set the clock; 0C F2 reads it ----
    let clock = Command::ReadNow {
        pn: 0,
        fn_number: 2,
    };
    let target = concentrator_core::DateTime::new(2025, 6, 15, 12, 34, 56).unwrap();
    let set_time = |pw| Command::SetTime {
        time: UpTime {
            year: 25,
            month: 6,
            day: 15,
            hour: 12,
            minute: 34,
            second: 56,
            weekday: 7,
        },
        pw,
    };
    assert_eq!(afn_fn(&ms.request(t, &set_time(WRONG)).unwrap()), DENIED);
    let before = clock_of(&ms.request(t, &clock).unwrap());
    assert!(
        (before - utc_ago(0).seconds_since_2000()).abs() <= 5,
        "{before}"
    );
    assert_eq!(afn_fn(&ms.request(t, &set_time(KEY)).unwrap()), DONE);
    let set_at = Instant::now();
    let after = clock_of(&ms.request(t, &clock).unwrap());
    let elapsed = i64::try_from(set_at.elapsed().as_secs()).unwrap();
    let drift = after - target.seconds_since_2000();
    assert!((0..=elapsed + 2).contains(&drift), "{after} vs {target}");
    let log_now = log();
    assert!(log_now.contains("clock set to 2025-06-15 12:34:56 by master-station"));
    assert!(log_now.contains("uplink: Denied"), "{log_now}");

    // The audit table holds what the master had run, and nothing a wrong PW asked for.
    let db = rusqlite::Connection::open(dir.0.join("c.db")).unwrap();
    let audited = |what: &str| -> i64 {
        db.query_row(
            "SELECT count(*) FROM audit WHERE who = 'master-station' AND what LIKE ?1",
            [format!("{what}%")],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(audited("SetClock("), 1);
    // Port 9 is beyond the channel table: refused before it reaches the engine.
    assert_eq!(audited("Pause {"), 2, "pause, resume");
    assert_eq!(
        audited("SetArchive { serial: 5,"),
        3,
        "point 2, point 4, point 2 again"
    );
    // Port 5 is refused by the engine (no channel 5), after the audit line.
    assert_eq!(
        audited("Forward {"),
        3,
        "read of 204, the silent one, port 5"
    );
    drop(db);

    // ---- restart: the downloaded archive and the clock are still there ----
    drop(daemon);
    let restarted = SystemTime::now();
    let _daemon = start(&dir.0, "c.toml", "out2.log");
    wait_login(&ms, t, Some(restarted));
    let frames = ms.request(t, &read_p2).unwrap();
    assert_eq!(f129_total(&frames), (Some(54_321_000), Some(-4)));
    check_query(&ms.request(t, &query).unwrap());
    let again = clock_of(&ms.request(t, &clock).unwrap());
    let elapsed = i64::try_from(set_at.elapsed().as_secs()).unwrap();
    let drift = again - target.seconds_since_2000();
    assert!((0..=elapsed + 2).contains(&drift), "{again} vs {target}");
}
