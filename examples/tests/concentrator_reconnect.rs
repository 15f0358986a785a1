//! An adapter that comes late, is unplugged and plugged in again: the daemon (channel with
//! `required = false`) starts without it, opens it when it appears, reports it down when the
//! pty hangs up, keeps answering (reads fail with no answer, nothing is lost), and reopens it
//! when it is back. The device path is a symlink re-pointed at a fresh pty pair, as udev
//! re-creates `/dev/serial/by-id/...` for a re-plugged adapter. Its own test binary, so the
//! daemon child inherits no other pty.

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use dlt645::{Address, Edition};
use examples::meter_sim::{self, MeterConfig, MeterSim, SimConfig};
use examples::pty::Pty;
use rs485_link::LineSettings;
use serde_json::Value;

fn json(sock: &Path, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_concentrator"))
        .args(args)
        .arg("--socket")
        .arg(sock)
        .arg("--json")
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

fn port_state(sock: &Path) -> String {
    json(sock, &["status"])["channels"][0]["port"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn wait_for(sock: &Path, prefix: &str) -> String {
    let t0 = Instant::now();
    loop {
        let s = port_state(sock);
        if s.starts_with(prefix) || t0.elapsed() > Duration::from_secs(10) {
            return s;
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// Plug in: a fresh pty pair with the simulated meter, the symlink pointing at it.
fn plug(link: &Path) -> (meter_sim::SimHandle, serialport::TTYPort) {
    let pty = Pty::open().unwrap();
    let _ = std::fs::remove_file(link);
    std::os::unix::fs::symlink(pty.slave_path(), link).unwrap();
    let Pty { master, slave, .. } = pty;
    let sim = MeterSim::new(SimConfig::new(vec![MeterConfig::new(
        Address::from_number(201).unwrap(),
        Edition::V2007,
    )]));
    let h = meter_sim::spawn(master, LineSettings::DLT645_2400, sim, Box::new(|_| {}));
    (h, slave)
}

#[test]
fn late_unplugged_and_replugged_adapter() {
    let dir = std::env::temp_dir().join(format!("concentrator-replug-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("ttyBus");
    std::fs::write(
        dir.join("c.toml"),
        format!(
            "[storage]\npath = \"c.db\"\n[control]\nsocket = \"c.sock\"\n\
             [[channel]]\nid = 0\nkind = \"rs485\"\ndevice = \"{}\"\nrequired = false\n\
             [[meter]]\narchive_no = 1\nchannel = 0\nprotocol = \"dlt645-2007\"\n\
             address = \"000000000201\"\n",
            link.display()
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_concentrator"))
        .args(["run", "--config"])
        .arg(dir.join("c.toml"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let sock = dir.join("c.sock");
    let t0 = Instant::now();
    while !sock.exists() && t0.elapsed() < Duration::from_secs(10) {
        thread::sleep(Duration::from_millis(20));
    }
    let energy = ["read", "--meter", "1", "--item", "energy"];

    // No device yet: the daemon runs and says it is waiting.
    assert!(
        port_state(&sock).starts_with("waiting"),
        "{}",
        port_state(&sock)
    );
    // Plugged in late: opened within a couple of seconds, and read.
    let (sim, slave) = plug(&link);
    assert_eq!(wait_for(&sock, "open"), "open");
    let a = json(&sock, &energy);
    assert_eq!(a["result"]["outcome"], "done", "{a}");
    // Unplugged: the pty hangs up; the port is reported down; a read fails cleanly.
    sim.stop();
    drop(slave);
    let _ = std::fs::remove_file(&link);
    assert!(wait_for(&sock, "down").starts_with("down"));
    let a = json(&sock, &energy);
    assert_eq!(a["result"]["outcome"], "no_answer", "{a}");
    // Plugged in again: reopened, read again.
    let (_sim, _slave) = plug(&link);
    assert_eq!(wait_for(&sock, "open"), "open");
    let a = json(&sock, &energy);
    assert_eq!(a["result"]["outcome"], "done", "{a}");
    // Both good readings are in the store.
    let e = json(&sock, &["export", "--format", "json"]);
    let good = e["readings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["item"] == "energy_import" && r["quality"] == "good")
        .count();
    assert_eq!(good, 2, "{e}");
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
