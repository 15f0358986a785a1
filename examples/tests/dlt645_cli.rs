//! The `dlt645` tool, run as a program.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dlt645"))
        .args(args)
        .output()
        .expect("run dlt645")
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/dlt645/frames.tsv"
);

#[test]
fn vectors_all_match_and_end_with_the_summary() {
    let out = run(&["decode", "--vectors", VECTORS]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(
        stdout.lines().last(),
        Some("vectors 25 ok 20 rejected 5 mismatched 0")
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 25);
    let v14 = lines.iter().find(|l| l["id"] == "V14").unwrap();
    assert_eq!(v14["values"][0]["value"], "225.6");
    assert_eq!(v14["values"][0]["mantissa"], 2256);
    assert_eq!(v14["values"][0]["exponent"], -1);
    assert_eq!(v14["values"][1]["absent"], true);
    let n01 = lines.iter().find(|l| l["id"] == "N01").unwrap();
    assert_eq!(n01["vector"], "rejected");
    assert_eq!(n01["kind"], "bad_checksum");
}

#[test]
fn a_wrong_expectation_is_a_mismatch_and_fails() {
    let dir = std::env::temp_dir().join(format!("dlt645-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("frames.tsv");
    // V05 from the shared vectors, with a wrong value; and a good frame claimed bad.
    std::fs::write(
        &file,
        "# test\nX1\t68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16\tok=true;value=0.27;unit=kWh\n\
         X2\t68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16\tok=false;reason=checksum\n\
         X3\t68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16\tok=true;value=0.26;unit=kWh\n",
    )
    .unwrap();
    let out = run(&["decode", "--vectors", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(
        stdout.lines().last(),
        Some("vectors 3 ok 1 rejected 0 mismatched 2")
    );
    let lines = json_lines(&out);
    assert_eq!(lines[0]["vector"], "mismatched");
    assert_eq!(lines[2]["vector"], "ok");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn decode_prints_one_object_per_frame() {
    // frames.tsv V23 (follow-up read, seq 1) and V18 (error reply, ERR 02).
    let out = run(&[
        "decode",
        "68 12 90 78 56 34 12 68 12 05 34 33 63 36 34 D1 16",
        "68 12 00 00 00 10 20 68 D1 01 35 19 16",
    ]);
    assert!(out.status.success());
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["function"], "12");
    assert_eq!(lines[0]["direction"], "request");
    assert_eq!(lines[0]["di"], "03300001");
    assert_eq!(lines[0]["seq"], 1);
    assert_eq!(lines[0]["edition"], "2007");
    assert_eq!(lines[1]["error"]["word"], "02");
    assert_eq!(lines[1]["error"]["meanings"][0], "no requested data");
    assert_eq!(lines[1]["follow"], false);
}

#[test]
fn an_invalid_frame_fails_with_a_clear_error() {
    // frames.tsv N04: end byte 17.
    let out = run(&[
        "decode",
        "68 12 90 78 56 34 12 68 91 08 33 33 34 33 89 67 45 33 54 17",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("end byte at offset 19 is 0x17"), "{stderr}");
    let out = run(&["decode", "68 zz"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn stream_splits_frames_and_skips_noise() {
    // streams.tsv S2: two read-address replies with fd bb dd between them.
    let out = run(&[
        "decode",
        "--stream",
        "fe fe 68 18 55 60 06 00 00 68 93 06 4b 88 93 39 33 33 41 16 fd bb dd",
        "fe fe 68 18 55 60 06 00 00 68 93 06 4b 88 93 39 33 33 41 16",
    ]);
    assert!(out.status.success());
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["offset"], 2);
    assert_eq!(lines[1]["offset"], 25);
    assert_eq!(lines[1]["text"], "000006605518");
    assert_eq!(lines[2]["frames"], 2);
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&[]).status.code(), Some(2));
    assert_eq!(run(&["decode"]).status.code(), Some(2));
    assert_eq!(run(&["decode", "--vectors"]).status.code(), Some(2));
    assert_eq!(
        run(&["decode", "--vectors", "/nonexistent/frames.tsv"])
            .status
            .code(),
        Some(2)
    );
}
