//! The `mbus` port commands against the simulated slaves of `examples::mbus_sim`, on real
//! pseudo-terminal pairs: the simulator on the master end, the tool (a separate process)
//! opens the slave end by its path.

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

use std::collections::BTreeSet;
use std::fs;
use std::process::{Command, Output};

use examples::mbus_sim::{self, Collision, MbusSim, MbusSimConfig, SlaveConfig};
use examples::pty::Pty;
use examples::sim_port::{self, Responder};
use rs485_link::{Duration, Instant, LineSettings, Timing};
use serde_json::Value;
use serialport::TTYPort;

const FRAMES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/mbus/libmbus/frames"
);

/// The line of the tests: 9600 Bd keeps the silent probes of a scan short (85 ms window).
const LINE: LineSettings = LineSettings::MBUS_9600;

/// Port options of every run: the line speed, and a margin for a loaded test machine (the
/// simulator's thread may answer late when the two cores are busy).
const PORT_OPTS: [&str; 4] = ["--baud", "9600", "--margin-ms", "100"];

/// A simulated bus on a pty; dropping it stops the simulator.
struct Bus {
    path: String,
    sim: mbus_sim::SimHandle,
    _slave: TTYPort,
}

fn bus(slaves: Vec<SlaveConfig>, collision: Collision) -> Bus {
    let pty = Pty::open().unwrap();
    let path = pty.slave_path().to_owned();
    let Pty { master, slave, .. } = pty;
    let config = MbusSimConfig {
        collision,
        ..MbusSimConfig::new(slaves)
    };
    let sim = mbus_sim::spawn(master, LINE, MbusSim::new(config), Box::new(|_| {}));
    Bus {
        path,
        sim,
        _slave: slave,
    }
}

fn corpus(name: &str) -> String {
    format!("{FRAMES}/{name}")
}

/// Three slaves: GWF-MTKcoder at 1, Elvaco CMa10 at 7 (one telegram that says "more records
/// follow"), and a built water meter at 12 with three telegrams (100, 200, 300 litres).
fn three_slaves() -> Vec<SlaveConfig> {
    vec![
        SlaveConfig::from_hex_files(1, &[corpus("GWF-MTKcoder.hex")]).unwrap(),
        SlaveConfig::from_hex_files(7, &[corpus("ELV-Elvaco-CMa10.hex")]).unwrap(),
        SlaveConfig::built(12, 12345678, "SIM", 0x07, &[100, 200, 300]).unwrap(),
    ]
}

fn mbus(bus: &Bus, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mbus"))
        .args(args)
        .args(["--port", &bus.path])
        .args(PORT_OPTS)
        .output()
        .expect("run mbus")
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn found_primaries(v: &Value) -> Vec<(u64, String)> {
    v["found"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["address"].as_u64().unwrap(),
                f["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The secondary address text of a corpus telegram, straight from its bytes: the long header
/// starts after `68 L L 68 C A CI`; the ID is 4 bytes LSB first, printed as its 8 digits,
/// then manufacturer, version and medium as sent (libmbus's text form).
fn secondary_text(telegram: &[u8]) -> String {
    let h = &telegram[7..15];
    format!(
        "{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}",
        h[3], h[2], h[1], h[0], h[4], h[5], h[6], h[7]
    )
}

#[test]
fn scan_finds_the_configured_slaves() {
    let bus = bus(three_slaves(), Collision::Overlap);
    let out = mbus(&bus, &["scan", "--first", "0", "--last", "14", "--json"]);
    let v = json_of(&out);
    assert_eq!(
        found_primaries(&v),
        vec![(1, "ok".into()), (7, "ok".into()), (12, "ok".into())]
    );
    assert_eq!(v["probes"], 15);
    // Not a terminal: plain progress lines, no carriage returns or escapes.
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("found a slave at primary address 12"), "{err}");
    assert!(!err.contains('\r') && !err.contains('\x1b'), "{err:?}");
    // The table says the same.
    let out = mbus(&bus, &["scan", "--first", "5", "--last", "12", "--quiet"]);
    assert!(out.status.success());
    assert!(out.stderr.is_empty());
    let table = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(
        rows[0].split_whitespace().collect::<Vec<_>>(),
        ["ADDRESS", "STATUS"]
    );
    assert_eq!(rows[1].split_whitespace().collect::<Vec<_>>(), ["7", "ok"]);
    assert_eq!(rows[2].split_whitespace().collect::<Vec<_>>(), ["12", "ok"]);
    assert_eq!(rows[3], "2 found at 5..=12 (8 probes)");
    assert!(bus.sim.is_running());
}

#[test]
fn scan_secondary_finds_them_by_secondary_address() {
    let bus = bus(three_slaves(), Collision::Overlap);
    let out = mbus(&bus, &["scan-secondary", "--json"]);
    let v = json_of(&out);
    let found: BTreeSet<String> = v["found"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["secondary"].as_str().unwrap().to_owned())
        .collect();
    let expected: BTreeSet<String> = three_slaves()
        .iter()
        .map(|s| secondary_text(&s.telegrams[0]))
        .collect();
    assert_eq!(found, expected);
    // GWF-MTKcoder.hex: `07 20 18 00 E6 1E 35 07`: ID 00182007, GWF, version 0x35, water.
    assert!(found.contains("00182007E61E3507"));
    let gwf = v["found"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "00182007")
        .unwrap();
    assert_eq!(gwf["manufacturer"], "GWF");
    assert_eq!(gwf["version"], 0x35);
    assert_eq!(gwf["medium"]["code"], 7);
    assert_eq!(v["capped"], false);
    assert!(v["duplicates"].as_array().unwrap().is_empty());
    // Each address found reads back the slave it belongs to.
    let out = mbus(&bus, &["read", "--addr", "00182007E61E3507", "--json"]);
    let v = json_of(&out);
    assert_eq!(v["count"], 1);
    assert_eq!(v["telegrams"][0]["header"]["id"], "00182007");
    assert_eq!(v["telegrams"][0]["a"], 1);
}

#[test]
fn read_returns_every_telegram_with_exact_values() {
    let bus = bus(three_slaves(), Collision::Overlap);
    let check = |v: &Value| {
        assert_eq!(v["count"], 3);
        assert_eq!(v["capped"], false);
        let telegrams = v["telegrams"].as_array().unwrap();
        for (k, litres) in [100, 200, 300].into_iter().enumerate() {
            let t = &telegrams[k];
            assert_eq!(t["index"], k);
            assert_eq!(t["more"], k < 2);
            assert_eq!(t["header"]["id"], "12345678");
            assert_eq!(t["header"]["manufacturer"], "SIM");
            assert_eq!(t["header"]["access_number"], k);
            let r = &t["records"][0];
            assert_eq!(r["quantity"], "Volume");
            assert_eq!(r["unit"], "m³");
            assert_eq!(r["storage"], k);
            // Litres: VIF 0x13 = m³ × 10^-3, a BCD mantissa kept exact.
            assert_eq!(r["value"]["mantissa"], litres);
            assert_eq!(r["value"]["exponent"], -3);
            assert_eq!(r["value"]["decimal"], format!("0.{litres}"));
            let last = t["records"].as_array().unwrap().last().unwrap();
            assert_eq!(last["function"] == "more records follow", k < 2);
        }
    };
    check(&json_of(&mbus(&bus, &["read", "--addr", "12", "--json"])));
    // The same slave by its secondary address (selection, then the readout at 253).
    let v = json_of(&mbus(
        &bus,
        &["read", "--addr", "123456782D4D0107", "--json"],
    ));
    check(&v);
    assert_eq!(v["address"], "123456782D4D0107");
    // A corpus telegram: ELV-Elvaco-CMa10.hex, `02 FC 03 48 52 25 74 22 15` is 5410 × 10^-2
    // %RH (libmbus: 54.100000). It always says "more records follow": the readout stops at
    // --max-telegrams and says so.
    let out = mbus(
        &bus,
        &["read", "--addr", "7", "--max-telegrams", "2", "--json"],
    );
    let v = json_of(&out);
    assert_eq!(v["count"], 2);
    assert_eq!(v["capped"], true);
    assert!(String::from_utf8_lossy(&out.stderr).contains("still has more records"));
    let r = &v["telegrams"][1]["records"][1];
    assert_eq!(r["quantity"], "%RH");
    assert_eq!(r["value"]["mantissa"], 5410);
    assert_eq!(r["value"]["exponent"], -2);
    // The table shows every telegram and the exact decimals.
    let out = mbus(&bus, &["read", "--addr", "12"]);
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("telegram 1 of 3 (more records follow): id 12345678"));
    assert!(table.contains("telegram 3 of 3: id 12345678"));
    for v in ["0.100", "0.200", "0.300"] {
        assert!(
            table
                .lines()
                .any(|l| l.contains("Volume") && l.split_whitespace().any(|c| c == v)),
            "{table}"
        );
    }
    // The frame as received is in the JSON too, byte for byte the corpus file.
    let v = json_of(&mbus(&bus, &["read", "--addr", "1", "--json"]));
    let file = fs::read_to_string(corpus("GWF-MTKcoder.hex")).unwrap();
    let want: Vec<&str> = file.split_whitespace().collect();
    assert_eq!(v["telegrams"][0]["frame"], want.join(" "));
}

#[test]
fn set_address_then_scan_shows_the_new_address() {
    let bus = bus(three_slaves(), Collision::Overlap);
    let v = json_of(&mbus(
        &bus,
        &["set-address", "--addr", "12", "--new", "20", "--json"],
    ));
    assert_eq!(v["acknowledged"], true);
    assert_eq!(v["verified"], true);
    // By secondary address: the Elvaco (ELV-Elvaco-CMa10.hex header `61 15 01 24 96 15 16 00`).
    let v = json_of(&mbus(
        &bus,
        &[
            "set-address",
            "--addr",
            "2401156196151600",
            "--new",
            "30",
            "--json",
        ],
    ));
    assert_eq!(v["verified"], true);
    let v = json_of(&mbus(
        &bus,
        &["scan", "--first", "0", "--last", "31", "--json"],
    ));
    assert_eq!(
        found_primaries(&v),
        vec![(1, "ok".into()), (20, "ok".into()), (30, "ok".into())]
    );
    // The moved slave reads at its new address.
    let v = json_of(&mbus(&bus, &["read", "--addr", "20", "--json"]));
    assert_eq!(v["count"], 3);
    assert_eq!(v["telegrams"][0]["a"], 20);
    // A taken address is refused, and nothing changes.
    let out = mbus(&bus, &["set-address", "--addr", "1", "--new", "20"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already answers"));
    assert_eq!(bus.sim.sim().primaries(), vec![1, 30, 20]);
}

#[test]
fn errors_are_clear_and_exit_non_zero() {
    // No such port.
    let out = Command::new(env!("CARGO_BIN_EXE_mbus"))
        .args(["scan", "--port", "/dev/no-such-mbus-port"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot open /dev/no-such-mbus-port"), "{err}");
    // Usage errors.
    let out = Command::new(env!("CARGO_BIN_EXE_mbus"))
        .args(["read", "--port", "/dev/null", "--addr", "252"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("reserved"));

    // Two slaves share primary address 5; their answers collide into garbage.
    let bus = bus(
        vec![
            SlaveConfig::built(5, 11111111, "SIM", 0x07, &[1]).unwrap(),
            SlaveConfig::built(5, 22222222, "SIM", 0x07, &[2]).unwrap(),
            SlaveConfig::built(6, 33333333, "SIM", 0x07, &[3]).unwrap(),
        ],
        Collision::Garbage,
    );
    // Nobody at 9.
    let out = mbus(&bus, &["read", "--addr", "9"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no reply from address 9"), "{err}");
    // The collision at 5.
    let out = mbus(&bus, &["read", "--addr", "5"]);
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("garbled reply from address 5"), "{err}");
    assert!(err.contains("collision"), "{err}");
    // The scan reports it as such.
    let v = json_of(&mbus(
        &bus,
        &["scan", "--first", "4", "--last", "6", "--json"],
    ));
    assert_eq!(
        found_primaries(&v),
        vec![(5, "collision".into()), (6, "ok".into())]
    );
    // The secondary scan tells the two apart by their IDs.
    let v = json_of(&mbus(&bus, &["scan-secondary", "--json"]));
    let ids: BTreeSet<String> = v["found"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    let want: BTreeSet<String> = ["11111111", "22222222", "33333333"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(ids, want);
}

#[test]
fn progress_on_a_terminal_is_one_line_rewritten_in_place() {
    use std::io::Read;
    let bus = bus(three_slaves(), Collision::Overlap);
    // stderr is the slave end of a second pty: a terminal.
    let term = Pty::open().unwrap();
    let stderr = fs::OpenOptions::new()
        .write(true)
        .open(term.slave_path())
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mbus"))
        .args(["scan", "--first", "0", "--last", "8", "--port", &bus.path])
        .args(PORT_OPTS)
        .stderr(stderr)
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut master = term.master;
    serialport::SerialPort::set_timeout(&mut master, std::time::Duration::from_millis(300))
        .unwrap();
    let mut shown = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = master.read(&mut buf) {
        if n == 0 {
            break;
        }
        shown.extend_from_slice(&buf[..n]);
    }
    let shown = String::from_utf8(shown).unwrap();
    // The status line is rewritten for every address (carriage return, erase line) ...
    assert_eq!(shown.matches("\r\x1b[Kscan [").count(), 9, "{shown:?}");
    assert!(
        shown.contains("address 8 (8/9 probed), 2 found"),
        "{shown:?}"
    );
    // ... and a slave found gets a line of its own.
    assert!(shown.contains("\r\x1b[Kfound a slave at primary address 1"));
    assert!(shown.contains("found a slave at primary address 7"));
    // stdout is untouched by progress.
    assert!(!String::from_utf8(out.stdout).unwrap().contains("scan ["));
}

#[test]
fn a_port_that_disappears_mid_scan_is_an_error() {
    use std::io::BufRead;
    // The simulator in its own process, so that its end of the pty really closes when it
    // exits (pty descriptors opened in this process are inherited by the tool's process).
    let mut sim = Command::new(env!("CARGO_BIN_EXE_mbus-sim"))
        .args(["--pty", "--duration", "2", "--slaves"])
        .arg(format!("1:{}", corpus("GWF-MTKcoder.hex")))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(sim.stdout.take().unwrap()).lines();
    let path = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("serial device: ").map(str::to_owned))
        .unwrap();
    let started = std::time::Instant::now();
    // A whole primary scan takes far longer than the simulator lives.
    let out = Command::new(env!("CARGO_BIN_EXE_mbus"))
        .args(["scan", "--port", &path, "--quiet"])
        .args(PORT_OPTS)
        .output()
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("serial port failed"), "{err}");
    assert!(out.stdout.is_empty());
    assert!(sim.wait().unwrap().success());
}

/// A level converter that echoes every request back to the master before the slaves' answer
/// (libmbus issue #24; notes §0, "Serial defaults").
struct Echoing(MbusSim);

impl Responder for Echoing {
    fn respond(&mut self, request: &[u8], now: Instant) -> Option<(Duration, Vec<u8>)> {
        let mut bytes = request.to_vec();
        if let Some(reply) = self.0.handle(request, now) {
            bytes.extend_from_slice(&reply.bytes);
        }
        Some((Duration::millis(0), bytes))
    }

    fn take_log(&mut self) -> Vec<String> {
        self.0.take_log()
    }
}

#[test]
fn echo_of_a_converter_is_dropped_with_echo() {
    let pty = Pty::open().unwrap();
    let path = pty.slave_path().to_owned();
    let Pty { master, slave, .. } = pty;
    let sim = MbusSim::new(MbusSimConfig::new(three_slaves()));
    let _sim = sim_port::run(
        Echoing(sim),
        master,
        wired_mbus::MbusFraming,
        Timing::mbus(LINE),
        Box::new(|_| {}),
    );
    let bus = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_mbus"))
            .args(args)
            .args(["--port", &path, "--quiet"])
            .args(PORT_OPTS)
            .output()
            .unwrap()
    };
    let v = json_of(&bus(&["read", "--addr", "12", "--echo", "--json"]));
    assert_eq!(v["count"], 3);
    assert_eq!(v["telegrams"][2]["records"][0]["value"]["mantissa"], 300);
    let v = json_of(&bus(&[
        "scan", "--first", "0", "--last", "8", "--echo", "--json",
    ]));
    assert_eq!(
        found_primaries(&v),
        vec![(1, "ok".into()), (7, "ok".into())]
    );
    // Without --echo the echoed SND_NKE is taken for the answer: not an acknowledgement.
    let out = bus(&["read", "--addr", "12"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unexpected reply from address 12"), "{err}");
    drop(slave);
}

#[test]
fn a_slow_converter_needs_the_usb_margin() {
    // Every answer 180 ms after the request: past the 85 ms window of a direct line at
    // 9600 Bd (330 bit times + 50 ms), inside it with the USB preset (+150 ms).
    let pty = Pty::open().unwrap();
    let path = pty.slave_path().to_owned();
    let Pty { master, slave, .. } = pty;
    let config = MbusSimConfig {
        turnaround: Duration::millis(180),
        ..MbusSimConfig::new(three_slaves())
    };
    let _sim = mbus_sim::spawn(master, LINE, MbusSim::new(config), Box::new(|_| {}));
    let read = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_mbus"))
            .args([
                "read", "--addr", "1", "--baud", "9600", "--json", "--port", &path,
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    // No retries: a retry's window would catch the late answer to the attempt before it,
    // which is then a reply of the wrong kind (E5 where a telegram is due).
    let out = read(&["--retries", "0"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--usb or --margin-ms"));
    // Let the late answer to that run go by before the next one starts.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let v = json_of(&read(&["--usb"]));
    assert_eq!(v["telegrams"][0]["header"]["id"], "00182007");
    let v = json_of(&read(&["--margin-ms", "150"]));
    assert_eq!(v["count"], 1);
    drop(slave);
}
