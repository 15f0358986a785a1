//! The daemon killed with SIGKILL at arbitrary points while it reads meters (simulated
//! DL/T 645 meters on a pty pair) and forwards records to a stand-in master: after the
//! restarts no reading it had acknowledged is lost, and no record it had marked forwarded
//! (acknowledged by the master) is ever sent again.

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use dlt645::{Address, Edition};
use examples::meter_sim::{self, MeterConfig, MeterSim, SimConfig};
use examples::pty::Pty;
use rs485_link::LineSettings;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("concentrator-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn start(config: &Path, lines: &Arc<Mutex<Vec<String>>>) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_concentrator"))
        .args(["run", "--config"])
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let lines = Arc::clone(lines);
    thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            lines.lock().unwrap().push(l);
        }
    });
    child
}

/// The stand-in master: acknowledges every record, and notes any record that arrives
/// although the database already says it was forwarded (acknowledged) before.
fn master(sock: &Path, db: PathBuf, received: Arc<Mutex<Vec<i64>>>, twice: Arc<Mutex<Vec<i64>>>) {
    let listener = UnixListener::bind(sock).unwrap();
    thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let (db, received, twice) = (db.clone(), Arc::clone(&received), Arc::clone(&twice));
            thread::spawn(move || {
                let check = rusqlite::Connection::open(&db).unwrap();
                check.busy_timeout(Duration::from_secs(10)).unwrap();
                let mut out = conn.try_clone().unwrap();
                for line in BufReader::new(conn).lines().map_while(Result::ok) {
                    let j: serde_json::Value = serde_json::from_str(&line).unwrap();
                    let id = j["id"].as_i64().unwrap();
                    let done: i64 = check
                        .query_row("SELECT forwarded FROM records WHERE id = ?1", [id], |r| {
                            r.get(0)
                        })
                        .unwrap();
                    if done == 1 {
                        twice.lock().unwrap().push(id);
                    }
                    received.lock().unwrap().push(id);
                    if writeln!(out, "{{\"ack\": {id}}}").is_err() {
                        break;
                    }
                }
            });
        }
    });
}

/// Keeps asking the daemon for reading rounds (it may be dead for a while).
fn round_driver(sock: PathBuf, stop: Arc<AtomicBool>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            let Ok(mut c) = UnixStream::connect(&sock) else {
                thread::sleep(Duration::from_millis(50));
                continue;
            };
            if writeln!(c, r#"{{"cmd": "round", "task": "load_curve"}}"#).is_err() {
                continue;
            }
            for _ in BufReader::new(c).lines().map_while(Result::ok) {}
        }
    })
}

#[test]
fn kill_9_loses_no_acknowledged_reading_and_forwards_nothing_twice() {
    let dir = temp_dir("kill");
    let pty = Pty::open().unwrap();
    let device = pty.slave_path().to_string();
    let Pty {
        master: port,
        slave: _keep,
        ..
    } = pty;
    let meters: Vec<MeterConfig> = (1..=4)
        .map(|n| MeterConfig::new(Address::from_number(100 + n).unwrap(), Edition::V2007))
        .collect();
    let _sim = meter_sim::spawn(
        port,
        LineSettings::DLT645_2400,
        MeterSim::new(SimConfig::new(meters)),
        Box::new(|_| {}),
    );
    let db = dir.join("c.db");
    let mut config = format!(
        "[storage]\npath = \"c.db\"\n[control]\nsocket = \"c.sock\"\n\
         [uplink]\nforward = \"unix:master.sock\"\n\
         [[channel]]\nid = 0\nkind = \"rs485\"\ndevice = \"{device}\"\nbaud = 2400\n"
    );
    for n in 1..=4 {
        config.push_str(&format!(
            "[[meter]]\narchive_no = {n}\nchannel = 0\nprotocol = \"dlt645-2007\"\n\
             address = \"{:012}\"\nreads = [\"energy_import\", \"voltage\"]\n",
            100 + n
        ));
    }
    let cfg_path = dir.join("c.toml");
    std::fs::write(&cfg_path, config).unwrap();

    let (received, twice) = (
        Arc::new(Mutex::new(Vec::new())),
        Arc::new(Mutex::new(Vec::new())),
    );
    master(
        &dir.join("master.sock"),
        db.clone(),
        Arc::clone(&received),
        Arc::clone(&twice),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let driver = round_driver(dir.join("c.sock"), Arc::clone(&stop));

    // Kill points spread over start-up, mid-transaction, mid-commit and mid-forwarding.
    let lines = Arc::new(Mutex::new(Vec::new()));
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..6 {
        let mut child = start(&cfg_path, &lines);
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        thread::sleep(Duration::from_millis(300 + seed % 2500));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    // A last run, left alone until everything is forwarded.
    let mut child = start(&cfg_path, &lines);
    stop.store(true, Ordering::Relaxed);
    let check = rusqlite::Connection::open(&db).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut pending: i64 = -1;
    while Instant::now() < deadline {
        thread::sleep(Duration::from_millis(300));
        pending = check
            .query_row(
                "SELECT count(*) FROM records WHERE forwarded = 0",
                [],
                |r| r.get(0),
            )
            .unwrap();
        if pending == 0 {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    driver.join().unwrap();
    assert_eq!(pending, 0, "records still waiting to be forwarded");

    // Every reading the daemon acknowledged (printed after the store committed it) is there.
    let stored: Vec<String> = lines
        .lock()
        .unwrap()
        .iter()
        .filter_map(|l| l.strip_prefix("stored ").map(str::to_string))
        .collect();
    let readings = stored
        .iter()
        .filter(|s| s.contains("\"kind\":\"reading\""))
        .count();
    assert!(readings >= 8, "only {readings} readings acknowledged");
    for s in &stored {
        let n: i64 = check
            .query_row("SELECT count(*) FROM records WHERE event = ?1", [s], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(n >= 1, "acknowledged but lost: {s}");
    }
    // Good readings carry the simulated values (1000 kWh and more, 220.0 V).
    let good: i64 = check
        .query_row(
            "SELECT count(*) FROM readings WHERE quality = 'good' AND
             ((item = 'energy_import' AND unit = 'kWh' AND mantissa >= 100000 AND exponent = -2)
              OR (item = 'voltage:all' AND value = '220.0' AND unit = 'V'))",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(good >= 8, "{good} good readings with the simulated values");
    // Nothing acknowledged by the master was sent again; everything arrived.
    assert_eq!(twice.lock().unwrap().as_slice(), &[] as &[i64]);
    let ids: Vec<i64> = check
        .prepare("SELECT id FROM records")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let got = received.lock().unwrap();
    for id in &ids {
        assert!(got.contains(id), "record {id} never forwarded");
    }
    let resent: i64 = check
        .query_row(
            "SELECT count(*) FROM records WHERE forward_tries > 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    eprintln!(
        "7 runs (6 killed): {} events acknowledged ({readings} readings), {} records, {} \
         sends, {resent} records sent again after a kill before their ack was committed",
        stored.len(),
        ids.len(),
        got.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
