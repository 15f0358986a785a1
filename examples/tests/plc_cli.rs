//! The `plc` tool, run as a program, on the shared 1376.2 vectors and HPLC logs.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plc"))
        .args(args)
        .output()
        .expect("run plc")
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const LOGS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/plc/hplc-logs"
);

#[test]
fn decode_shows_every_field_and_the_embedded_dlt645_frame() {
    // Vector P09 of frames-1376-2.tsv.
    let out = run(&[
        "decode",
        "68 30 00 43 04 00 00 B0 04 00 11 11 11 11 11 11 00 01 00 00 00 00 13 01 00 02 00 00 11 FE 68 00 01 00 00 00 00 68 11 04 33 32 34 35 B4 16 05 16",
    ]);
    assert!(out.status.success());
    let j = &json_lines(&out)[0];
    assert_eq!(j["control"]["byte"], "43");
    assert_eq!(j["control"]["direction"], "down");
    assert_eq!(j["info"]["rate"], 1200);
    assert_eq!(j["address"]["source"], "111111111111");
    assert_eq!(j["address"]["destination"], "000000000100");
    assert_eq!(j["afn"], "13");
    assert_eq!(j["fn"], serde_json::json!([1]));
    assert_eq!(j["unit"]["type"], "monitor_request");
    assert_eq!(j["unit"]["protocol"], "DL/T 645-2007");
    assert_eq!(j["unit"]["dlt645"][0]["di"], "0201FF00");
    assert_eq!(j["unit"]["dlt645"][0]["function_name"], "read");
}

#[test]
fn decode_of_a_bad_frame_is_a_typed_error_with_its_offset() {
    // Vector N21: checksum.
    let out = run(&["decode", "68 0F 00 41 00 00 28 00 00 00 12 02 00 7E 16"]);
    assert_eq!(out.status.code(), Some(1));
    let j = &json_lines(&out)[0];
    assert_eq!(j["kind"], "checksum");
    assert_eq!(j["offset"], 13);
    // The 2009 confirm (vector P02) decodes in 2009 and is a data-unit error in 2013.
    let p02 = "68 13 00 81 00 00 40 00 00 00 00 01 00 FF FF 00 00 C0 16";
    let out = run(&["decode", "--2009", p02]);
    assert!(out.status.success());
    assert_eq!(json_lines(&out)[0]["unit"]["status"], "0000FFFF");
    let out = run(&["decode", p02]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_lines(&out)[0]["kind"], "data unit");
    // Usage errors.
    assert_eq!(run(&["decode"]).status.code(), Some(2));
    assert_eq!(run(&["decode", "6"]).status.code(), Some(2));
}

#[test]
fn decode_splits_a_stream_into_frames() {
    // Vector N24 of streams-1376-2.tsv: garbage, a frame, a truncated start, a frame.
    let out = run(&[
        "decode",
        "FF 00 68 0F 00 41 00 00 28 00 00 00 12 02 00 7D 16 68 05 68 13 00 81 00 00 40 00 00 00 00 01 00 FF FF 00 00 C0 16",
        "--2009",
    ]);
    let lines = json_lines(&out);
    let frames: Vec<_> = lines.iter().filter(|j| j.get("afn").is_some()).collect();
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0]["afn"], "12");
    assert_eq!(frames[1]["unit"]["type"], "confirm");
    assert_eq!(out.status.code(), Some(1), "the garbage is reported");
}

#[test]
fn replay_of_every_hplc_log_ends_with_the_summary() {
    let mut paths: Vec<_> = std::fs::read_dir(LOGS)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let (mut n, mut p, mut e) = (0, 0, 0);
    for path in paths {
        let out = run(&["replay", path.to_str().unwrap()]);
        assert!(out.status.success());
        let stdout = String::from_utf8(out.stdout.clone()).unwrap();
        let last = stdout.lines().last().unwrap();
        let w: Vec<&str> = last.split(' ').collect();
        assert_eq!((w[0], w[2], w[4]), ("frames", "parsed", "errors"), "{last}");
        let (fr, pa, er): (usize, usize, usize) = (
            w[1].parse().unwrap(),
            w[3].parse().unwrap(),
            w[5].parse().unwrap(),
        );
        assert_eq!(fr, pa + er);
        assert_eq!(json_lines(&out).len(), fr, "one JSON object per line");
        n += fr;
        p += pa;
        e += er;
    }
    // The same counts as the crate's replay test: 5624 whole frames, 5621 of them decode.
    assert_eq!((n, p, e), (5664, 5621, 43));
}
