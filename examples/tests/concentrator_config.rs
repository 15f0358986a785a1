//! The daemon's configuration: the shipped example is valid, and bad files are refused with
//! the file, the line and what is wrong; a missing serial device is named.

use std::path::PathBuf;
use std::process::{Command, Output};

fn concentrator(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_concentrator"))
        .args(args)
        .output()
        .unwrap()
}

fn write(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("concentrator-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const GOOD: &str = "[storage]
path = \"x.db\"

[[channel]]
id = 0
kind = \"rs485\"
device = \"/dev/ttyS1\"

[[meter]]
archive_no = 1
channel = 0
protocol = \"dlt645-2007\"
address = \"000000000161\"
reads = [\"energy_import\"]
";

#[test]
fn the_example_config_is_valid() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/concentrator.toml");
    let out = concentrator(&["check", "--config", path]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("ok (4 channels, 5 meters)"), "{text}");
}

/// `check` of `text` fails with `file:line: message` containing `what`.
fn refused(name: &str, text: &str, line: usize, what: &str) {
    let p = write(name, text);
    let out = concentrator(&["check", "--config", p.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let want = format!("{}:{line}: ", p.display());
    assert!(err.contains(&want), "{err} (wanted {want})");
    assert!(err.contains(what), "{err} (wanted {what})");
}

#[test]
fn bad_configs_name_file_line_and_fault() {
    refused(
        "ok-but.toml",
        &GOOD.replace("000000000161", "0000161"),
        9,
        "address '0000161' is not 12 decimal digits",
    );
    refused(
        "channel.toml",
        &GOOD.replace("channel = 0", "channel = 3"),
        9,
        "channel 3 is not configured",
    );
    refused(
        "kind.toml",
        &GOOD.replace("\"rs485\"", "\"rs232\""),
        4,
        "kind 'rs232' is not rs485, mbus or carrier",
    );
    refused(
        "proto.toml",
        &GOOD.replace("dlt645-2007", "mbus-primary"),
        9,
        "meter 1: protocol mbus-primary cannot run on channel 0 (rs485)",
    );
    refused(
        "read.toml",
        &GOOD.replace("\"energy_import\"", "\"energy\""),
        9,
        "unknown read 'energy'",
    );
    refused(
        "key.toml",
        &GOOD.replace("device =", "devise ="),
        7,
        "unknown field `devise`",
    );
    refused("syntax.toml", &GOOD.replace("id = 0", "id = "), 5, "");
    refused(
        "twice.toml",
        &format!(
            "{GOOD}\n[[meter]]\narchive_no = 1\nchannel = 0\nprotocol = \"dlt645-2007\"\naddress = \"000000000162\"\n"
        ),
        16,
        "meter 1: archive_no used twice",
    );
    refused(
        "offset.toml",
        &format!("{GOOD}\n[clock]\nutc_offset_min = 900\n"),
        17,
        "clock: utc_offset_min 900 outside -720..=840",
    );
    refused(
        "sched.toml",
        &format!("{GOOD}\n[schedule]\ndaily_at = \"25:00\"\n"),
        17,
        "daily_at '25:00' is not a time HH:MM",
    );
}

#[test]
fn a_missing_serial_device_is_named() {
    let p = write(
        "nodev.toml",
        &GOOD.replace("/dev/ttyS1", "/dev/nonexistent-concentrator-port"),
    );
    let out = concentrator(&["run", "--config", p.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("channel 0 (rs485): cannot open /dev/nonexistent-concentrator-port"),
        "{err}"
    );
}
