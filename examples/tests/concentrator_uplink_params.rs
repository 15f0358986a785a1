//! AFN 04/0A F1 and F9 and the time label Tp end to end (loopback TCP, one pty): meter 1 is
//! a simulated DL/T 645 meter, meter 2 is configured on a line nobody answers. The master
//! sets 04 F9 making ERC31 general, so the silent meter's ERC31 lands in 0E F2, not F1, and
//! 0A F9 reads the setting back; 04 F1 sets a 1-minute heartbeat and the heartbeats (every
//! second from the configuration until then) stop coming, also after a restart (persisted);
//! 0A F1 reads it back. A 04 F9 with an expired Tp is not executed (no answer, the setting
//! stays, the daemon logs it); the same with a fresh Tp is. The audit log names each change.

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

mod common;

use std::thread;
use std::time::Duration;

use common::daemon::{
    confirmed, fresh_dir, round, start, uplink_config, utc_ago, wait_for, wait_login,
};
use dlt645::{Address, Edition};
use examples::master_station::{
    Command, Db, MasterError, MasterStation, TerminalId, render_frames,
};
use examples::meter_sim::{self, MeterConfig, MeterSim, SimConfig};
use examples::pty::Pty;
use qgdw1376_1::unit::{CommParams, ConfirmClasses, Data, EventConfig};
use qgdw1376_1::{FrameRepr, PW_LEN, Tp};
use rs485_link::LineSettings;

/// The key written in the config below (hex 000102...0f).
const KEY: [u8; PW_LEN] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// The single data unit of a 0A reply.
fn query(ms: &MasterStation, t: TerminalId, fn_number: u16) -> Vec<u8> {
    let frames = ms.request(t, &Command::ParamsQuery { fn_number }).unwrap();
    assert_eq!(frames.len(), 1);
    frames.into_iter().next().unwrap()
}

fn event_config(frame: &[u8]) -> EventConfig {
    let f = FrameRepr::parse_bytes(frame).unwrap();
    let u = f.data_units().next().unwrap().unwrap();
    assert_eq!((f.afn.to_byte(), u.pn, u.fn_number), (0x0A, 0, 9));
    let Ok(Some(Data::EventConfig(c))) = u.data() else {
        panic!("{u:?}")
    };
    c
}

fn comm_params(frame: &[u8]) -> CommParams {
    let f = FrameRepr::parse_bytes(frame).unwrap();
    let u = f.data_units().next().unwrap().unwrap();
    assert_eq!((f.afn.to_byte(), u.pn, u.fn_number), (0x0A, 0, 1));
    let Ok(Some(Data::CommParams(p))) = u.data() else {
        panic!("{u:?}")
    };
    p
}

/// A time label sent `back_s` seconds ago (UTC: the daemon runs with offset 0), allowing
/// `delay` minutes.
fn label(back_s: i64, delay: u8) -> Tp {
    let t = utc_ago(back_s);
    Tp {
        pfc: 0,
        second: t.second(),
        minute: t.minute(),
        hour: t.hour(),
        day: t.day(),
        delay,
    }
}

fn heartbeats(ms: &MasterStation, t: TerminalId) -> u64 {
    ms.terminals()
        .iter()
        .find(|i| i.id == t)
        .map_or(0, |i| i.heartbeats)
}

/// Events of one class by 0E query 0..16: (EC1, EC2, the records' ERC codes).
fn class(ms: &MasterStation, t: TerminalId, important: bool) -> (u64, u64, Vec<u64>) {
    let frames = ms
        .request(
            t,
            &Command::Events {
                important,
                pm: 0,
                pn: 16,
            },
        )
        .unwrap();
    let v = render_frames(&frames);
    let ev = &v["units"][0]["value"];
    (
        ev["ec1"].as_u64().unwrap(),
        ev["ec2"].as_u64().unwrap(),
        ev["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["erc"].as_u64().unwrap())
            .collect(),
    )
}

#[test]
fn f9_moves_erc31_to_the_general_class_f1_sets_the_heartbeat_and_late_requests_do_nothing() {
    let pty1 = Pty::open().unwrap();
    let pty2 = Pty::open().unwrap();
    let devices = [pty1.slave_path().to_string(), pty2.slave_path().to_string()];
    let Pty {
        master: m1,
        slave: s1,
        ..
    } = pty1;
    let mut m = MeterConfig::new(Address::from_number(201).unwrap(), Edition::V2007);
    m.power_w = 0;
    let _sim1 = meter_sim::spawn(
        m1,
        LineSettings::DLT645_2400,
        MeterSim::new(SimConfig::new(vec![m])),
        Box::new(|_| {}),
    );
    // Meter 2's line: open, nobody answers.
    let _silent = (s1, pty2);

    let dir = fresh_dir("concentrator-params");
    let db = Db::open(&dir.join("master.db")).unwrap();
    let ms = MasterStation::start("127.0.0.1:0".parse().unwrap(), Some(db), 1).unwrap();
    let cfg = uplink_config(ms.local_addr(), &devices, "");
    std::fs::write(dir.join("c.toml"), cfg).unwrap();
    let sock = dir.join("c.sock");
    let t: TerminalId = "0200:1234".parse().unwrap();
    let logged_in = |ms: &MasterStation| ms.terminals().iter().any(|i| i.id == t);

    let d = start(&dir, "c.toml", "out1.log");
    wait_login(&ms, t, None);

    // Before any 04 F9: every ERC recorded, ERC31 important (the daemon's default).
    let before = event_config(&query(&ms, t, 9));
    assert_eq!(before.valid, u64::MAX);
    assert!(before.is_important(31) && before.is_important(14));

    // 04 F9: ERC31 and ERC14 recorded, ERC14 important, ERC31 general.
    let f9 = EventConfig {
        valid: 1 << 30 | 1 << 13,
        important: 1 << 13,
    };
    confirmed(
        &ms.request(
            t,
            &Command::EventConfigSet {
                config: f9,
                pw: KEY,
            },
        )
        .unwrap(),
    );
    assert_eq!(event_config(&query(&ms, t, 9)), f9);

    // Meter 2 is silent: its ERC31 goes to the general class (0E F2, EC2), F1 stays empty.
    let r = round(&sock);
    assert_eq!(r["result"]["failed"], 1, "{r}");
    let (ec1, ec2, general) = class(&ms, t, false);
    assert_eq!((ec1, ec2, general), (0, 1, vec![31]));
    assert_eq!(class(&ms, t, true), (0, 1, vec![]));

    // Heartbeats every second (heartbeat_s = 1) …
    let h0 = heartbeats(&ms, t);
    wait_for("no heartbeats at the configured 1 s", 10, || {
        heartbeats(&ms, t) >= h0 + 2
    });
    // … until 04 F1 sets 1 minute (and CON flags without D2: reports unconfirmed).
    let f1 = CommParams {
        rts_delay: 0,
        report_delay: 0,
        timeout: 20,
        retries: 1,
        confirm: ConfirmClasses::CLASS1,
        heartbeat: 1,
    };
    // The default F1 first: 30 s, 2 retries, CON 07, 1 s rounded up to 1 minute.
    let p = comm_params(&query(&ms, t, 1));
    assert_eq!(
        (p.timeout, p.retries, p.confirm.bits(), p.heartbeat),
        (30, 2, 0x07, 1)
    );
    confirmed(
        &ms.request(
            t,
            &Command::CommParamsSet {
                params: f1,
                pw: KEY,
            },
        )
        .unwrap(),
    );
    assert_eq!(comm_params(&query(&ms, t, 1)), f1);
    // One may have been on its way; after that none for 5 s (the next is due a minute on).
    thread::sleep(Duration::from_millis(1500));
    let h1 = heartbeats(&ms, t);
    thread::sleep(Duration::from_secs(5));
    assert_eq!(heartbeats(&ms, t), h1, "heartbeats still every second");
    assert!(logged_in(&ms));

    // A 04 F9 (everything recorded and important) with a label 10 minutes old allowing 1:
    // dropped unanswered, not executed.
    let all = EventConfig {
        valid: u64::MAX,
        important: u64::MAX,
    };
    let set_all = Command::EventConfigSet {
        config: all,
        pw: KEY,
    };
    let late = ms.request_labelled(t, &set_all, Some(label(600, 1)), Duration::from_secs(3));
    assert!(matches!(late, Err(MasterError::Timeout)), "{late:?}");
    assert_eq!(event_config(&query(&ms, t, 9)), f9, "the late request ran");
    let log1 = dir.join("out1.log");
    wait_for("the daemon did not log the expired request", 5, || {
        std::fs::read_to_string(&log1)
            .unwrap()
            .contains("uplink: Expired { afn: SetParameters")
    });
    // The same with a label of now allowing 5 minutes: executed.
    confirmed(
        &ms.request_labelled(t, &set_all, Some(label(0, 5)), Duration::from_secs(10))
            .unwrap(),
    );
    assert_eq!(event_config(&query(&ms, t, 9)), all);

    // Restart: F1 and F9 come back from the store; still no heartbeat every second.
    drop(d);
    wait_for("the link did not drop", 10, || !logged_in(&ms));
    let _d = start(&dir, "c.toml", "out2.log");
    wait_login(&ms, t, None);
    assert_eq!(comm_params(&query(&ms, t, 1)), f1);
    assert_eq!(event_config(&query(&ms, t, 9)), all);
    let h2 = heartbeats(&ms, t);
    thread::sleep(Duration::from_secs(4));
    assert_eq!(heartbeats(&ms, t), h2, "the stored period did not apply");

    // The audit log: the three changes that ran, by the master station, in order.
    let audit: Vec<String> = {
        let c = rusqlite::Connection::open(dir.join("c.db")).unwrap();
        let mut st = c
            .prepare("SELECT who || ' ' || what FROM audit WHERE what LIKE 'Set%' ORDER BY id")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(audit.len(), 3, "{audit:?}");
    assert_eq!(
        audit[0],
        "master-station SetEventConfig { valid: 0000000040002000, important: 0000000000002000 }"
    );
    assert!(
        audit[1].starts_with("master-station SetCommParams(CommParams { rts_delay: 0"),
        "{audit:?}"
    );
    assert!(audit[1].contains("heartbeat: 1 })"), "{audit:?}");
    assert_eq!(
        audit[2],
        "master-station SetEventConfig { valid: FFFFFFFFFFFFFFFF, important: FFFFFFFFFFFFFFFF }"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
