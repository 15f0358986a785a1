//! Interop with a master written by others: the PyPI package `pyMeterBus` reads OUR simulated
//! slaves (`examples::mbus_sim`) over a pty, by primary address and by the secondary address
//! that OUR `mbus scan-secondary` printed, and what it decodes is checked against the libmbus
//! corpus expectations (`.norm.xml`) of the telegrams the simulator sends.
//!
//! The package is installed with pip into a venv under the target directory (reused when it
//! is already there). The test is skipped, with a message saying so, only when pip cannot
//! reach the package index; any other failure fails the test.
//!
//! pyMeterBus 0.8.5 declares console scripts (`mbus-serial-req-single`, ...) that import a
//! `meterbus.tools` module its wheel does not ship, so the requests are made with its library
//! functions (`send_ping_frame`, `send_request_frame`, `send_select_frame`, `recv_frame`,
//! `load`) from a small script, as its README shows them.

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use examples::mbus_sim::{self, MbusSim, MbusSimConfig, SlaveConfig};
use examples::pty::Pty;
use rs485_link::LineSettings;
use serde_json::Value;

const FRAMES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/mbus/libmbus/frames"
);

/// The requests pyMeterBus makes, at 2400 Bd 8E1 (its default line): SND_NKE + REQ_UD2 to
/// a primary address, then a CI 0x52 selection by a 16-hex-digit secondary address and
/// REQ_UD2 to 253. Prints one JSON object with both decoded telegrams.
const SCRIPT: &str = r#"
import json, sys
import serial
import meterbus

port, primary, secondary = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def reply(ser, what):
    data = meterbus.recv_frame(ser, 1)
    if not data:
        sys.exit("no reply to " + what)
    return data

with serial.Serial(port, 2400, bytesize=8, parity=serial.PARITY_EVEN, stopbits=1,
                   timeout=1.0) as ser:
    meterbus.send_ping_frame(ser, primary)
    if bytes(reply(ser, "SND_NKE")) != b"\xe5":
        sys.exit("SND_NKE not acknowledged")
    meterbus.send_request_frame(ser, primary)
    by_primary = meterbus.load(reply(ser, "REQ_UD2"))
    meterbus.send_select_frame(ser, secondary)
    if bytes(reply(ser, "selection")) != b"\xe5":
        sys.exit("selection not acknowledged")
    meterbus.send_request_frame(ser, meterbus.ADDRESS_NETWORK_LAYER)
    by_secondary = meterbus.load(reply(ser, "REQ_UD2 to 253"))

print(json.dumps({
    "primary": json.loads(by_primary.to_JSON()),
    "secondary": json.loads(by_secondary.to_JSON()),
}))
"#;

/// The target directory (the test binary's `mbus` lives in `<target>/<profile>/`).
fn target_dir() -> PathBuf {
    let exe = Path::new(env!("CARGO_BIN_EXE_mbus"));
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// What pip prints when it cannot reach the index (urllib3 / requests / resolver messages).
const NETWORK_FAILURES: [&str; 8] = [
    "NewConnectionError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "ConnectTimeoutError",
    "ProxyError",
    "Connection refused",
];

/// The venv's python with pyMeterBus importable, or `None` when the index is unreachable.
fn python_with_pymeterbus() -> Option<PathBuf> {
    let venv = target_dir().join("pymeterbus-venv");
    let python = venv.join("bin/python");
    let importable = |python: &Path| {
        python.exists()
            && Command::new(python)
                .args(["-c", "import meterbus, serial"])
                .output()
                .is_ok_and(|o| o.status.success())
    };
    if importable(&python) {
        return Some(python);
    }
    let out = run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    assert!(out.status.success(), "python3 -m venv: {}", text(&out));
    let out = run(Command::new(venv.join("bin/pip")).args([
        "install",
        "--disable-pip-version-check",
        "--timeout",
        "20",
        "--retries",
        "1",
        "pyMeterBus",
    ]));
    if !out.status.success() {
        let log = text(&out);
        if NETWORK_FAILURES.iter().any(|m| log.contains(m)) {
            eprintln!(
                "SKIPPED mbus_interop: the package index cannot be reached, so pyMeterBus \
                 cannot be installed:\n{log}"
            );
            return None;
        }
        panic!("pip install pyMeterBus failed (not a network failure):\n{log}");
    }
    assert!(
        importable(&python),
        "pyMeterBus installed but not importable"
    );
    Some(python)
}

/// `<Tag>` values of a libmbus `.norm.xml` file, in order.
fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.split(&open)
        .skip(1)
        .map(|s| s.split(&close).next().unwrap().to_owned())
        .collect()
}

/// Check a telegram decoded by pyMeterBus against the corpus expectation `name.norm.xml`:
/// the identification number, the manufacturer, and every record's value as libmbus prints
/// it (`%f`: six decimals; pyMeterBus scales through floats, so it is compared at that
/// precision).
fn check_against_corpus(decoded: &Value, name: &str) -> usize {
    let xml = std::fs::read(format!("{FRAMES}/{name}.norm.xml")).unwrap();
    let xml: String = xml.iter().map(|&b| char::from(b)).collect(); // ISO-8859-1
    let header = &decoded["body"]["header"];
    let id: String = header["identification"]
        .as_str()
        .unwrap()
        .split(", ")
        .map(|b| format!("{:02X}", u8::from_str_radix(&b[2..], 16).unwrap()))
        .collect();
    assert_eq!(
        id.trim_start_matches('0'),
        xml_values(&xml, "Id")[0],
        "{name}: identification"
    );
    assert_eq!(
        header["manufacturer"],
        xml_values(&xml, "Manufacturer")[0].as_str(),
        "{name}: manufacturer"
    );
    let records = decoded["body"]["records"].as_array().unwrap();
    let expected = xml_values(&xml, "Value");
    assert_eq!(records.len(), expected.len(), "{name}: record count");
    for (i, (r, want)) in records.iter().zip(&expected).enumerate() {
        let got = r["value"]
            .as_f64()
            .unwrap_or_else(|| panic!("{name} record {i}: {r}"));
        assert_eq!(&format!("{got:.6}"), want, "{name} record {i}");
    }
    records.len()
}

#[test]
fn pymeterbus_reads_our_simulator() {
    let Some(python) = python_with_pymeterbus() else {
        return;
    };
    let script = target_dir().join("pymeterbus-venv/read_mbus_sim.py");
    std::fs::write(&script, SCRIPT).unwrap();

    // GWF-MTKcoder (water) at primary 1, EMU Professional 375 (electricity, 32 records) at 2.
    let gwf = SlaveConfig::from_hex_files(1, &[format!("{FRAMES}/GWF-MTKcoder.hex")]).unwrap();
    let emu =
        SlaveConfig::from_hex_files(2, &[format!("{FRAMES}/EMU_EMU-Professional-375-M-Bus.hex")])
            .unwrap();
    let pty = Pty::open().unwrap();
    let path = pty.slave_path().to_owned();
    let Pty { master, slave, .. } = pty;
    let line = LineSettings::MBUS_2400;
    let sim = MbusSim::new(MbusSimConfig::new(vec![gwf, emu]));
    let handle = mbus_sim::spawn(master, line, sim, Box::new(|_| {}));

    // Our tool finds the secondary addresses; pyMeterBus selects by the text it printed.
    let out = run(Command::new(env!("CARGO_BIN_EXE_mbus")).args([
        "scan-secondary",
        "--port",
        &path,
        "--margin-ms",
        "60",
        "--quiet",
        "--json",
    ]));
    assert!(out.status.success(), "{}", text(&out));
    let scan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let emu_secondary = scan["found"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "00032629")
        .unwrap_or_else(|| panic!("EMU not found: {scan}"))["secondary"]
        .as_str()
        .unwrap()
        .to_owned();

    let out = run(Command::new(&python)
        .arg(&script)
        .arg(&path)
        .arg("1")
        .arg(&emu_secondary));
    assert!(out.status.success(), "pyMeterBus: {}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("pyMeterBus output {e}: {}", text(&out)));

    // Read by primary address 1: the simulator answers from address 1.
    assert_eq!(v["primary"]["head"]["a"], "0x1");
    assert_eq!(check_against_corpus(&v["primary"], "GWF-MTKcoder"), 2);
    // Read after the selection: the EMU telegram, from its primary address 2.
    assert_eq!(v["secondary"]["head"]["a"], "0x2");
    assert_eq!(
        check_against_corpus(&v["secondary"], "EMU_EMU-Professional-375-M-Bus"),
        32
    );
    assert!(handle.is_running());
    drop(slave);
}
