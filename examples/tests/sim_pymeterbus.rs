//! Interoperability: the PyPI package `pymeterbus` (a Python M-Bus master written by others)
//! reads our M-Bus slave simulator on a pty: SND_NKE, REQ_UD2 and its decoding of the
//! telegram, a secondary selection with wildcards, the readout at 253.
//!
//! Set-up installs `pymeterbus` with pip if it is missing; the test is skipped, saying so,
//! only when it cannot be installed (no package index). Its 0.8.5 wheel lacks the
//! `meterbus.tools` module its console scripts import, so the script below calls the
//! library's own request functions (`send_ping_frame`, `send_request_frame`,
//! `send_select_frame`, `recv_frame`, `load`), which is what those tools do.

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

use std::process::Command;

use examples::mbus_sim::{self, MbusSim, MbusSimConfig, SlaveConfig};
use examples::pty::Pty;
use rs485_link::LineSettings;

const SCRIPT: &str = r#"
import sys, json, serial, meterbus
ser = serial.Serial(sys.argv[1], 2400, 8, 'E', 1, timeout=1)
out = {}
meterbus.send_ping_frame(ser, 5)
out["ping"] = list(meterbus.recv_frame(ser, 1) or b"")
meterbus.send_request_frame(ser, 5)
out["request"] = json.loads(meterbus.load(meterbus.recv_frame(ser, meterbus.FRAME_DATA_LENGTH)).to_JSON())
meterbus.send_select_frame(ser, "11111111FFFFFFFF")
out["select"] = list(meterbus.recv_frame(ser, 1) or b"")
req = meterbus.TelegramShort()
req.header.cField.parts = [meterbus.CONTROL_MASK_REQ_UD2 | meterbus.CONTROL_MASK_DIR_M2S]
req.header.aField.parts = [meterbus.ADDRESS_NETWORK_LAYER]
meterbus.send_request_frame(ser, req=req)
out["selected"] = json.loads(meterbus.load(meterbus.recv_frame(ser, meterbus.FRAME_DATA_LENGTH)).to_JSON())
# pymeterbus writes the manufacturer of a selection string in wire order (E61E for GWF).
meterbus.send_select_frame(ser, "22222222E61E3507")
out["exact"] = list(meterbus.recv_frame(ser, 1) or b"")
print(json.dumps(out))
"#;

/// Is `pymeterbus` importable, after installing it if needed?
fn pymeterbus() -> Result<(), String> {
    let importable = || {
        Command::new("python3")
            .args(["-c", "import meterbus, serial"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if importable() {
        return Ok(());
    }
    let pip = Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", "pymeterbus"])
        .output()
        .map_err(|e| format!("python3 not runnable: {e}"))?;
    if pip.status.success() && importable() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&pip.stderr).into_owned())
    }
}

#[test]
fn pymeterbus_reads_and_selects_our_slaves() {
    if let Err(e) = pymeterbus() {
        eprintln!("SKIPPED: pymeterbus cannot be installed (package index unreachable?): {e}");
        return;
    }
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/mbus/libmbus/frames/GWF-MTKcoder.hex"
    );
    let a = SlaveConfig::from_hex_files(5, &[file])
        .unwrap()
        .with_id(22_222_222)
        .unwrap();
    let b = SlaveConfig::from_hex_files(6, &[file])
        .unwrap()
        .with_id(11_111_111)
        .unwrap();
    let pty = Pty::open().unwrap();
    let path = pty.slave_path().to_string();
    let Pty { master, slave, .. } = pty;
    let sim = mbus_sim::spawn(
        master,
        LineSettings::MBUS_2400,
        MbusSim::new(MbusSimConfig::new(vec![a, b])),
        Box::new(|_| {}),
    );
    let out = Command::new("python3")
        .args(["-c", SCRIPT, &path])
        .output()
        .unwrap();
    drop(slave);
    sim.stop();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["ping"], serde_json::json!([0xE5]));
    let r = &j["request"];
    assert_eq!(r["head"]["a"], "0x5");
    assert_eq!(
        r["body"]["header"]["identification"],
        "0x22, 0x22, 0x22, 0x22"
    );
    assert_eq!(r["body"]["header"]["manufacturer"], "GWF");
    // The corpus telegram's two records: fabrication number 182007 and volume 269.
    assert_eq!(r["body"]["records"][0]["value"], 182_007);
    assert_eq!(r["body"]["records"][1]["value"], 269);
    assert_eq!(j["select"], serde_json::json!([0xE5]));
    let s = &j["selected"];
    assert_eq!(s["head"]["a"], "0x6");
    assert_eq!(
        s["body"]["header"]["identification"],
        "0x11, 0x11, 0x11, 0x11"
    );
    assert_eq!(j["exact"], serde_json::json!([0xE5]));
}
