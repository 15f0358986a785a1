//! Events from the daemon to the master station end to end (loopback TCP, two ptys): meters
//! 1 and 2 are simulated DL/T 645 meters on channels 0 and 1; meter 2's simulator stops
//! after a good round. With active reporting forbidden (05 F37) the round that fails meter 2
//! stores ERC31 with its last good reading (once: a second failed round finds the failure
//! open) and reports nothing;
//! a 0E F1 query returns the records with EC1 and the pointers pm..pn, ACD = 1 on the reply;
//! after 05 F29 the records arrive at the master as active reports (AFN 0E, CON), which it
//! confirms and stores decoded. A restart of the daemon raises ERC14 (power off at the last
//! alive time, power on now) and reports it, and the confirmed ERC31 is not sent again.
//! When meter 2 answers again, ERC31 "ends" is reported.

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

mod common;

use std::process::{Command as Process, Stdio};
use std::thread;
use std::time::Duration;

use dlt645::{Address, Edition};
use examples::master_station::{Command, Db, MasterStation, TerminalId, render_frames};
use examples::meter_sim::{self, MeterConfig, MeterSim, SimConfig};
use examples::pty::Pty;
use qgdw1376_1::{Ec, FrameRepr, PW_LEN};
use rs485_link::LineSettings;
use serde_json::Value;

use common::daemon::{
    confirmed, fresh_dir, round, start, uplink_config, utc_ago, wait_for, wait_login,
};

/// The key written in the config below (hex 000102...0f).
const KEY: [u8; PW_LEN] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// 05 F29 / F37 with the right PW: confirmed with AFN 00 F1.
fn reporting(ms: &MasterStation, t: TerminalId, allow: bool) {
    let frames = ms
        .request(t, &Command::Reporting { allow, pw: KEY })
        .unwrap();
    confirmed(&frames);
}

/// The UTC minute `back_s` seconds ago as the master renders ERC times.
fn minute_ago(back_s: i64) -> String {
    let t = utc_ago(back_s);
    format!(
        "{}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// A simulated meter with no load: its register stays at 1234.56 kWh.
fn meter(port: serialport::TTYPort, number: u64) -> meter_sim::SimHandle {
    let mut m = MeterConfig::new(Address::from_number(number).unwrap(), Edition::V2007);
    m.power_w = 0;
    m.energy_wh = 1_234_560;
    meter_sim::spawn(
        port,
        LineSettings::DLT645_2400,
        MeterSim::new(SimConfig::new(vec![m])),
        Box::new(|_| {}),
    )
}

#[test]
fn a_failed_round_is_reported_as_erc31_and_a_restart_as_erc14() {
    use serialport::TTYPort;
    let (pty1, pty2) = (Pty::open().unwrap(), Pty::open().unwrap());
    let devices = [pty1.slave_path().to_string(), pty2.slave_path().to_string()];
    let Pty {
        master: m1,
        slave: s1,
        ..
    } = pty1;
    let Pty {
        master: m2,
        slave: s2,
        ..
    } = pty2;
    // Meter 2's line stays open when its simulator stops: a copy of the pty master, for the
    // simulator that brings it back.
    let m2_again: TTYPort = m2.try_clone_native().unwrap();
    let _sim1 = meter(m1, 201);
    let sim2 = meter(m2, 202);
    let _slaves = (s1, s2);

    let dir = fresh_dir("concentrator-events");
    let db = Db::open(&dir.join("master.db")).unwrap();
    let ms = MasterStation::start("127.0.0.1:0".parse().unwrap(), Some(db), 1).unwrap();
    let cfg = uplink_config(
        ms.local_addr(),
        &devices,
        "password = \"000000\"\noperator = \"00000000\"\n",
    );
    std::fs::write(dir.join("c.toml"), cfg).unwrap();
    let sock = dir.join("c.sock");
    let t: TerminalId = "0200:1234".parse().unwrap();
    let logged_in = |ms: &MasterStation| ms.terminals().iter().any(|i| i.id == t);

    let d = start(&dir, "c.toml", "out1.log");
    wait_login(&ms, t, None);

    // Forbidden: a good round, then meter 2 goes silent; the failed round stores ERC31 for
    // meter 2 and reports nothing.
    reporting(&ms, t, false);
    let r = round(&sock);
    assert_eq!(r["result"]["failed"], 0, "{r}");
    let good_at = minute_ago(0);
    sim2.stop();
    let r = round(&sock);
    assert_eq!(r["result"]["failed"], 1, "{r}");
    // Still silent in the next round: the failure is open, no second ERC31.
    let r = round(&sock);
    assert_eq!(r["result"]["failed"], 1, "{r}");
    thread::sleep(Duration::from_millis(1500));
    assert_eq!(ms.reports_received(), 0);
    assert!(ms.events(None).is_empty());

    // 0E F1 query of pointers 0..16: the records held, from 0 on; EC1 counts them. ACD = 1
    // with EC on the reply: important events wait.
    let frames = ms
        .request(
            t,
            &Command::Events {
                important: true,
                pm: 0,
                pn: 16,
            },
        )
        .unwrap();
    let reply = FrameRepr::parse_bytes(&frames[0]).unwrap();
    let v = render_frames(&frames);
    let ev = &v["units"][0]["value"];
    let n = ev["records"].as_array().unwrap().len();
    assert_eq!(n, 1, "{v}");
    assert_eq!(
        (
            ev["ec1"].as_u64(),
            ev["ec2"].as_u64(),
            ev["pm"].as_u64(),
            ev["pn"].as_u64()
        ),
        (Some(n as u64), Some(0), Some(0), Some(n as u64)),
        "{v}"
    );
    for r in ev["records"].as_array().unwrap() {
        assert_eq!(r["erc"], 31, "{v}");
        assert_eq!(r["body"]["point"]["pn"], 2, "{v}");
        assert_eq!(r["body"]["point"]["starts"], true, "{v}");
        // The last good reading: the first round's, 1234.56 kWh exactly (A.14).
        let last = r["body"]["last_success"].as_str().unwrap();
        assert!(last == good_at || last == minute_ago(60), "{v}");
        assert_eq!(r["body"]["forward_active"]["mantissa"], 12_345_600, "{v}");
        assert_eq!(r["body"]["forward_active"]["exponent"], -4, "{v}");
        assert!(r["body"]["forward_reactive"].is_null(), "{v}");
    }
    assert!(reply.control.fcb_acd, "{v}");
    assert_eq!(
        reply.ec,
        Some(Ec {
            important: u8::try_from(n).unwrap(),
            general: 0
        })
    );

    // Allowed: every record arrives as an active report, confirmed and stored once each.
    reporting(&ms, t, true);
    wait_for("the ERC31 records were not reported", 10, || {
        ms.events(Some(t)).len() == n
    });
    let rows = ms.events(Some(t));
    for (i, row) in rows.iter().enumerate() {
        assert_eq!((row.class, usize::from(row.ptr), row.erc), (1, i, 31));
        assert_eq!(row.record, ev["records"][i], "report and query agree");
    }
    // The daemon marks them reported on the master's confirm (its log says so).
    let log1 = dir.join("out1.log");
    wait_for("the daemon did not see the confirms", 10, || {
        std::fs::read_to_string(&log1)
            .unwrap()
            .matches("uplink: ReportConfirmed")
            .count()
            == n
    });

    // Restart: ERC14 (off = the last-alive time of the first run, on = now), reported, and
    // the confirmed ERC31 are not sent again.
    drop(d);
    wait_for("the link did not drop", 10, || !logged_in(&ms));
    let _d = start(&dir, "c.toml", "out2.log");
    wait_login(&ms, t, None);
    wait_for("ERC14 was not reported", 10, || {
        ms.events(Some(t)).iter().any(|r| r.erc == 14)
    });
    thread::sleep(Duration::from_millis(1000));
    let rows = ms.events(Some(t));
    assert_eq!(rows.len(), n + 1, "{rows:?}");
    let erc14 = &rows[n];
    assert_eq!((erc14.class, usize::from(erc14.ptr)), (1, n));
    let (off, on) = (
        erc14.record["body"]["off"].as_str().unwrap(),
        erc14.record["body"]["on"].as_str().unwrap(),
    );
    assert!(off <= on, "{erc14:?}");
    assert!(on == minute_ago(0) || on == minute_ago(60), "{erc14:?}");
    assert!(off >= minute_ago(180).as_str(), "{erc14:?}");
    assert!(rows.iter().all(|r| r.copies == 1), "{rows:?}");
    assert_eq!(ms.reports_received(), u64::try_from(n + 1).unwrap());

    // The same records by query, the counter now n + 1 (ERC14 at pointer n).
    let frames = ms
        .request(
            t,
            &Command::Events {
                important: true,
                pm: 0,
                pn: u8::try_from(n + 1).unwrap(),
            },
        )
        .unwrap();
    let v = render_frames(&frames);
    let ev = &v["units"][0]["value"];
    assert_eq!(ev["ec1"].as_u64(), Some(n as u64 + 1), "{v}");
    assert_eq!(ev["records"][n], erc14.record, "{v}");

    // Meter 2 answers again: the next round records ERC31 "ends", reported at once.
    let _sim2 = meter(m2_again, 202);
    let r = round(&sock);
    assert_eq!(r["result"]["failed"], 0, "{r}");
    wait_for("ERC31 ends was not reported", 10, || {
        ms.events(Some(t)).len() == n + 2
    });
    let end = &ms.events(Some(t))[n + 1];
    assert_eq!((end.erc, usize::from(end.ptr)), (31, n + 1), "{end:?}");
    assert_eq!(end.record["body"]["point"]["pn"], 2, "{end:?}");
    assert_eq!(end.record["body"]["point"]["starts"], false, "{end:?}");

    // The daemon's audit log has both 05 commands, by the master station.
    let audit: Vec<(String, String)> = {
        let c = rusqlite::Connection::open(dir.join("c.db")).unwrap();
        let mut st = c
            .prepare("SELECT who, what FROM audit WHERE what LIKE 'Reporting%' ORDER BY id")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let who = "master-station".to_string();
    assert_eq!(
        audit,
        [
            (who.clone(), "Reporting { allow: false }".to_string()),
            (who, "Reporting { allow: true }".to_string())
        ]
    );

    // The master-station program lists the same records from its database.
    let mut prog = Process::new(env!("CARGO_BIN_EXE_master-station"))
        .args(["--listen", "127.0.0.1:0", "--json", "--db"])
        .arg(dir.join("master.db"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = prog.stdin.take().unwrap();
        stdin.write_all(b"reports 0200:1234\nquit\n").unwrap();
    }
    let out = prog.wait_with_output().unwrap();
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = ms.events(Some(t));
    assert_eq!(listed.as_array().unwrap().len(), rows.len(), "{listed}");
    for (l, r) in listed.as_array().unwrap().iter().zip(&rows) {
        assert_eq!(
            (&l["erc"], &l["ptr"], &l["record"], &l["copies"]),
            (&r.erc.into(), &r.ptr.into(), &r.record, &r.copies.into()),
            "{listed}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
