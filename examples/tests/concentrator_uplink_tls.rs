//! The uplink over TLS through the real programs: `master-station --tls-ca/--tls-cert/
//! --tls-key` on 127.0.0.1:0 and two `concentrator` daemons with `[uplink] tls_*` settings,
//! certificates made by rcgen at test time. The one whose certificate the master's CA signed
//! logs in and answers a read of its simulated DL/T 645 meter (exact register), and its
//! certificate subject is in the master's sessions table; the one with a certificate from
//! another CA is refused (the master says why on standard error, the daemon logs the alert)
//! and does not log in.

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command as Process, Stdio};
use std::thread;

use dlt645::{Address, Edition};
use examples::master_station::Db;
use examples::meter_sim::{self, MeterConfig, MeterSim, SimConfig};
use examples::pty::Pty;
use rs485_link::LineSettings;

use common::daemon::{Daemon, fresh_dir, start};
use common::pki::Ca;

const MASTER_NAME: &str = "master.meterline.test";

/// Writes a leaf's certificate and key as `<name>.pem` and `<name>.key` in `dir`.
fn write_leaf(dir: &Path, name: &str, (cert, key): (String, String)) {
    std::fs::write(dir.join(format!("{name}.pem")), cert).unwrap();
    std::fs::write(dir.join(format!("{name}.key")), key).unwrap();
}

/// Starts the daemon of terminal 0200:`terminal` on `device`, with `cert`.pem/.key from `dir`,
/// logging to `dir/<cert>.log`.
fn daemon(dir: &Path, master: &str, terminal: &str, device: &str, cert: &str) -> Daemon {
    let cfg = format!(
        "[storage]\npath = \"{cert}.db\"\n\
         [uplink]\nmaster = \"tcp:{master}\"\narea = \"0200\"\nterminal = \"{terminal}\"\n\
         heartbeat_s = 1\nkey = \"000102030405060708090a0b0c0d0e0f\"\n\
         tls_ca = \"ca.pem\"\ntls_cert = \"{cert}.pem\"\ntls_key = \"{cert}.key\"\n\
         tls_server_name = \"{MASTER_NAME}\"\n\
         [[channel]]\nid = 0\nkind = \"rs485\"\ndevice = \"{device}\"\n\
         [[meter]]\narchive_no = 1\nchannel = 0\nprotocol = \"dlt645-2007\"\n\
         address = \"000000000201\"\nreads = [\"energy_import\"]\n"
    );
    std::fs::write(dir.join(format!("{cert}.toml")), cfg).unwrap();
    start(dir, &format!("{cert}.toml"), &format!("{cert}.log"))
}

#[test]
fn master_station_and_daemons_over_tls_with_client_certificates() {
    let dir = fresh_dir("concentrator-uptls");
    let ca = Ca::new("meterline test CA");
    let rogue = Ca::new("someone else's CA");
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    write_leaf(
        &dir,
        "master",
        ca.leaf("master station", &[MASTER_NAME], true),
    );
    write_leaf(&dir, "good", ca.leaf("concentrator 0200:1234", &[], false));
    write_leaf(
        &dir,
        "rogue",
        rogue.leaf("concentrator 0200:0666", &[], false),
    );

    // One meter with no load: its register stays at 1234.56 kWh.
    let pty = Pty::open().unwrap();
    let device = pty.slave_path().to_string();
    let Pty { master, slave, .. } = pty;
    let mut meter = MeterConfig::new(Address::from_number(201).unwrap(), Edition::V2007);
    meter.power_w = 0;
    meter.energy_wh = 1_234_560;
    let _sim = meter_sim::spawn(
        master,
        LineSettings::DLT645_2400,
        MeterSim::new(SimConfig::new(vec![meter])),
        Box::new(|_| {}),
    );
    let _slave = slave;
    // The refused daemon's line: a pty nobody answers on.
    let quiet = Pty::open().unwrap();

    let db = dir.join("master.sqlite");
    let mut ms = Process::new(env!("CARGO_BIN_EXE_master-station"))
        .args(["--listen", "127.0.0.1:0", "--json", "--db"])
        .arg(&db)
        .arg("--tls-ca")
        .arg(dir.join("ca.pem"))
        .arg("--tls-cert")
        .arg(dir.join("master.pem"))
        .arg("--tls-key")
        .arg(dir.join("master.key"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(ms.stderr.take().unwrap());
    let mut first = String::new();
    err.read_line(&mut first).unwrap();
    assert!(
        first.starts_with("master-station (TLS, client certificates required) listening on "),
        "{first}"
    );
    let addr = first.trim().rsplit(' ').next().unwrap().to_string();
    let stderr = thread::spawn(move || {
        let mut rest = String::new();
        for line in err.lines() {
            rest.push_str(&line.unwrap());
            rest.push('\n');
        }
        rest
    });

    let _good = daemon(&dir, &addr, "1234", &device, "good");
    let _rogue = daemon(&dir, &addr, "0666", quiet.slave_path(), "rogue");

    let mut stdin = ms.stdin.take().unwrap();
    writeln!(stdin, "wait-login 0200:1234 20").unwrap();
    writeln!(stdin, "read 0200:1234 1 129").unwrap();
    // The rogue daemon tried at about the same time as the good one.
    writeln!(stdin, "wait-login 0200:0666 3").unwrap();
    writeln!(stdin, "quit").unwrap();
    let out = ms.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "0200:1234 logged in", "{text}");
    let read: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    let fa = &read["units"][0]["value"]["forward_active"];
    assert_eq!(
        (fa[0]["mantissa"].as_i64(), fa[0]["exponent"].as_i64()),
        (Some(12_345_600), Some(-4)),
        "{read}"
    );
    assert_eq!(lines[2], "error: 0200:0666 did not log in within 3 s");

    let stderr = stderr.join().unwrap();
    assert!(
        stderr.contains("failed: invalid peer certificate: UnknownIssuer"),
        "{stderr}"
    );
    let sessions = Db::open(&db).unwrap().session_peers().unwrap();
    assert_eq!(
        sessions[0],
        (
            "0200:1234".to_string(),
            "login".to_string(),
            Some("CN=concentrator 0200:1234, O=meterline test".to_string())
        )
    );
    assert!(sessions.iter().all(|s| s.0 != "0200:0666"), "{sessions:?}");

    let good = std::fs::read_to_string(dir.join("good.log")).unwrap();
    assert!(
        good.contains("over TLS (server name master.meterline.test)"),
        "{good}"
    );
    assert!(good.contains("uplink: LoggedIn"), "{good}");
    let rogue = std::fs::read_to_string(dir.join("rogue.log")).unwrap();
    // Refused on its first try (the daemon's back-off is 5 s at least, so a retry is not
    // awaited here; uplink_tls shows the retries).
    assert!(
        rogue.contains("uplink: link failed: read: received fatal alert: UnknownCA"),
        "{rogue}"
    );
    assert!(!rogue.contains("uplink: LoggedIn"), "{rogue}");
    let _ = std::fs::remove_dir_all(&dir);
}
