//! The operator interface end to end: the daemon on a pty pair with simulated DL/T 645
//! meters, driven by `concentrator read|switch|sync|round|status|export` over its Unix socket;
//! then the bus goes dead mid-round and the daemon reports the meters failed and keeps what it
//! had.
//!
//! (A pty whose master end closes would look like an unplugged adapter, but here the daemon
//! child inherits the master descriptors of ptys this process opened before it (`TTYPort::pair`
//! does not set close-on-exec), so the pty never hangs up; `concentrator_reconnect.rs` covers
//! the unplug and the reopen with ptys opened after the daemon started.)

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use dlt645::{Address, Edition};
use examples::meter_sim::{self, MeterConfig, MeterSim, SimConfig};
use examples::pty::Pty;
use rs485_link::LineSettings;
use serde_json::Value;

fn cli(sock: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_concentrator"))
        .args(args)
        .arg("--socket")
        .arg(sock)
        .output()
        .unwrap()
}

fn json(sock: &Path, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    let out = cli(sock, &a);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

struct Running {
    child: Child,
    dir: PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn daemon(name: &str, device: &str) -> (Running, PathBuf) {
    let dir = std::env::temp_dir().join(format!("concentrator-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut cfg = format!(
        "[storage]\npath = \"c.db\"\n[control]\nsocket = \"c.sock\"\n\
         [[channel]]\nid = 0\nkind = \"rs485\"\ndevice = \"{device}\"\n"
    );
    for n in 1..=2 {
        cfg.push_str(&format!(
            "[[meter]]\narchive_no = {n}\nchannel = 0\nprotocol = \"dlt645-2007\"\n\
             address = \"{:012}\"\nreads = [\"energy_import\", \"voltage\", \"current\", \"active_power\", \"power_factor\", \"clock_check\"]\n\
             password = \"000000\"\noperator = \"00000000\"\n",
            200 + n
        ));
    }
    std::fs::write(dir.join("c.toml"), cfg).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_concentrator"))
        .args(["run", "--config"])
        .arg(dir.join("c.toml"))
        .stdout(std::fs::File::create(dir.join("out.log")).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let sock = dir.join("c.sock");
    let t0 = Instant::now();
    while !sock.exists() && t0.elapsed() < Duration::from_secs(10) {
        thread::sleep(Duration::from_millis(20));
    }
    (Running { child, dir }, sock)
}

fn bus() -> (meter_sim::SimHandle, String, serialport::TTYPort) {
    let pty = Pty::open().unwrap();
    let device = pty.slave_path().to_string();
    let Pty { master, slave, .. } = pty;
    let meters = (1..=2)
        .map(|n| MeterConfig::new(Address::from_number(200 + n).unwrap(), Edition::V2007))
        .collect();
    let sim = meter_sim::spawn(
        master,
        LineSettings::DLT645_2400,
        MeterSim::new(SimConfig::new(meters)),
        Box::new(|_| {}),
    );
    (sim, device, slave)
}

#[test]
fn read_switch_sync_status_export() {
    let (_sim, device, _slave) = bus();
    let (_d, sock) = daemon("ops", &device);

    // Real-time read: the simulator's register starts at 1000 kWh (exact, 2 decimals).
    let a = json(&sock, &["read", "--meter", "1", "--item", "energy"]);
    assert_eq!(a["result"]["outcome"], "done");
    let r = &a["readings"][0];
    assert_eq!(r["item"], "energy_import");
    assert_eq!(r["value"]["unit"], "kWh");
    assert_eq!(r["value"]["exponent"], -2);
    assert!(r["value"]["mantissa"].as_i64().unwrap() >= 100_000);
    // Plain output for people.
    let out = cli(&sock, &["read", "--meter", "2", "--item", "voltage:a"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("meter 2 voltage:a [0] 220.0 V (good)"),
        "{text}"
    );

    // Switch off: the relay reads back open; on: closed again.
    let a = json(&sock, &["switch", "--meter", "2", "off"]);
    assert_eq!(a["result"]["outcome"], "done");
    let a = json(&sock, &["read", "--meter", "2", "--item", "relay"]);
    assert_eq!(a["readings"][0]["value"]["relay"], "open");
    json(&sock, &["switch", "--meter", "2", "on"]);
    let a = json(&sock, &["read", "--meter", "2", "--item", "relay"]);
    assert_eq!(a["readings"][0]["value"]["relay"], "closed");

    // Clock sync round over both meters; a plain-line progress per meter (not a terminal).
    let out = cli(&sock, &["sync"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("round clock_sync: 2 meters, 2 read, 0 failed"),
        "{text}"
    );
    let progress = String::from_utf8_lossy(&out.stderr);
    assert!(progress.contains("clock_sync: 2/2 meters"), "{progress}");

    // Errors are typed and say what: an unknown meter, an unknown item.
    let out = cli(&sock, &["read", "--meter", "9"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no meter with archive number 9"));
    let out = cli(&sock, &["read", "--meter", "1", "--item", "bogus"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown item 'bogus'"));

    let s = json(&sock, &["status"]);
    assert_eq!(s["meters"], 2);
    assert_eq!(s["channels"][0]["port"], "open");
    assert_eq!(s["last_rounds"][0]["task"], "clock_sync");
    assert!(s["store"]["audit"].as_i64().unwrap() >= 7);

    // Export: CSV with a header, and JSON; the same readings.
    let out = cli(&sock, &["export"]);
    let csv = String::from_utf8_lossy(&out.stdout);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("record,meter,item,part,value,unit,meter_time,read_at,quality")
    );
    let rows: Vec<&str> = lines.collect();
    assert!(
        rows.iter().any(|l| l.contains(",2,voltage:a,0,220.0,V,")),
        "{csv}"
    );
    assert!(rows.iter().any(|l| l.contains(",2,relay,0,open,")), "{csv}");
    let j = json(&sock, &["export", "--format", "json"]);
    assert_eq!(j["readings"].as_array().unwrap().len(), rows.len());
    let m1 = json(&sock, &["export", "--meter", "1"]);
    assert!(
        m1["readings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["meter"] == 1)
    );
}

#[test]
fn the_bus_going_dead_mid_round_fails_the_meters_and_loses_nothing() {
    let (sim, device, _slave) = bus();
    let (_d, sock) = daemon("dead", &device);
    let a = json(&sock, &["read", "--meter", "1", "--item", "energy"]);
    assert_eq!(a["result"]["outcome"], "done");
    // The bus dies (simulator gone) while a round runs.
    let round = {
        let sock = sock.clone();
        thread::spawn(move || json(&sock, &["round"]))
    };
    thread::sleep(Duration::from_millis(150));
    sim.stop();
    let r = round.join().unwrap();
    assert_eq!(r["result"]["meters"], 2);
    assert!(r["result"]["failed"].as_u64().unwrap() >= 1, "{r}");
    // The daemon still answers, and what was read before is still there.
    let s = json(&sock, &["status"]);
    assert_eq!(s["last_rounds"][0]["failed"], r["result"]["failed"]);
    let e = json(&sock, &["export", "--meter", "1"]);
    assert!(
        e["readings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["item"] == "energy_import" && r["quality"] == "good")
    );
    // A real-time read now fails cleanly with no answer.
    let a = json(&sock, &["read", "--meter", "2", "--item", "energy"]);
    assert_eq!(a["result"]["outcome"], "no_answer");
}
