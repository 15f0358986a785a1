//! The `mbus` tool, run as a program.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/mbus/libmbus"
);

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mbus"))
        .args(args)
        .output()
        .expect("run mbus")
}

fn frame(dir: &str, name: &str) -> String {
    fs::read_to_string(Path::new(VECTORS).join(dir).join(name)).unwrap()
}

#[test]
fn json_has_slave_information_and_exact_values() {
    let out = run(&["decode", &frame("frames", "ELV-Elvaco-CMa10.hex")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["header"]["id"], "24011561");
    assert_eq!(v["header"]["manufacturer"], "ELV");
    assert_eq!(v["more_records_follow"], true);
    let records = v["records"].as_array().unwrap();
    assert_eq!(records.len(), 13);
    // 02 FC 03 "HR%" 74 22 15: 5410 × 10^-2 %RH (libmbus: 54.100000).
    assert_eq!(records[1]["quantity"], "%RH");
    assert_eq!(records[1]["value"]["mantissa"], 5410);
    assert_eq!(records[1]["value"]["exponent"], -2);
    assert_eq!(records[1]["value"]["decimal"], "54.10");
    // 02 65 2E 08: external temperature 2094 × 10^-2 °C.
    assert_eq!(records[4]["quantity"], "ExternalTemperature");
    assert_eq!(records[4]["unit"], "°C");
    assert_eq!(records[4]["value"]["decimal"], "20.94");
    assert_eq!(records[12]["function"], "more records follow");
}

#[test]
fn libmbus_xml_is_byte_for_byte_for_the_whole_corpus() {
    let mut n = 0;
    for e in fs::read_dir(Path::new(VECTORS).join("frames")).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_none_or(|x| x != "hex") {
            continue;
        }
        let hex = fs::read_to_string(&path).unwrap();
        let out = run(&["decode", "--format", "libmbus-xml", &hex]);
        assert!(out.status.success(), "{}", path.display());
        assert_eq!(
            out.stdout,
            fs::read(path.with_extension("norm.xml")).unwrap(),
            "{}",
            path.display()
        );
        n += 1;
    }
    assert_eq!(n, 51);
}

#[test]
fn invalid_input_fails_with_a_message() {
    // Not hex.
    let out = run(&["decode", "68 zz"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid hex"));
    // A long frame with L = 0 (libmbus unsupported-frames/invalid_length.hex).
    let out = run(&["decode", &frame("unsupported-frames", "invalid_length.hex")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid frame"));
    // Checksum off by one.
    let out = run(&["decode", "68 03 03 68 08 01 70 7A 16"]);
    assert_eq!(out.status.code(), Some(1));
    // A record cut short: the records before it are printed, then the error.
    let out = run(&[
        "decode",
        &frame("error-frames", "premature_end_of_data1.hex"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["records"].as_array().unwrap().len(), 2);
    assert_eq!(
        v["error"],
        "record at offset 22: data needs 3 bytes, 0 left"
    );
    // The XML path refuses it too.
    let out = run(&[
        "decode",
        "--format",
        "libmbus-xml",
        &frame("error-frames", "too_many_dife.hex"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("more than 10 DIFEs"));
    // Usage errors.
    assert_eq!(run(&["decode"]).status.code(), Some(2));
    assert_eq!(
        run(&["decode", "--format", "yaml", "68"]).status.code(),
        Some(2)
    );
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn slave_error_and_fixed_structure() {
    let out = run(&["decode", &frame("error-frames", "application_busy.hex")]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["structure"], "error");
    assert_eq!(v["error"], "Busy");
    let out = run(&["decode", &frame("frames", "sen_pollusonic_2.hex")]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["structure"], "fixed");
    assert_eq!(v["header"]["id"], "90919293");
    // Counter 1: BCD 6531, unit code 0x05 = 10^3 Wh (libmbus: "kWh", 6531).
    assert_eq!(v["records"][0]["mantissa"], 6531);
    assert_eq!(v["records"][0]["decimal"], "6531000");
}
