//! The `uplink` tool, run as a program, on the shared Q/GDW 1376.1 vectors.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_uplink"))
        .args(args)
        .output()
        .expect("run uplink")
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const TSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/plc/frames-1376-1.tsv"
));

fn vector(id: &str) -> String {
    TSV.lines()
        .find(|l| l.starts_with(id))
        .and_then(|l| l.split('\t').nth(1))
        .unwrap()
        .to_string()
}

#[test]
fn every_vector_decodes_or_fails_as_the_tsv_says() {
    let mut n = 0;
    for line in TSV.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let out = run(&["decode", cols[1]]);
        let j = json_lines(&out);
        assert_eq!(j.len(), 1, "{}", cols[0]);
        if cols[2].starts_with("ok=false") {
            assert_eq!(out.status.code(), Some(1), "{}", cols[0]);
            assert_eq!(j[0]["ok"], false);
            assert!(!String::from_utf8_lossy(&out.stderr).is_empty());
        } else {
            assert!(out.status.success(), "{}: {}", cols[0], j[0]);
            assert_eq!(j[0]["ok"], true);
            let dir = if cols[2].starts_with("up") {
                "up"
            } else {
                "down"
            };
            assert_eq!(j[0]["control"]["dir"], dir, "{}", cols[0]);
            let afn = cols[2].split("AFN ").nth(1).unwrap();
            assert_eq!(j[0]["afn"]["code"], afn[..2].to_string(), "{}", cols[0]);
        }
        n += 1;
    }
    assert_eq!(n, 8);
}

#[test]
fn login_shows_control_address_seq_and_unit() {
    let j = &json_lines(&run(&["decode", &vector("U01")]))[0];
    assert_eq!(j["control"]["byte"], "C9");
    assert_eq!(j["control"]["function"], "link test");
    assert_eq!(j["address"]["area"], "0200");
    assert_eq!(j["address"]["terminal"], 0x1234);
    assert_eq!(j["seq"]["con"], true);
    assert_eq!(j["seq"]["seq"], 1);
    assert_eq!(j["seq"]["position"], "single");
    assert_eq!(j["units"][0]["pn"], 0);
    assert_eq!(j["units"][0]["fn"], 1);
    assert_eq!(j["units"][0]["data"]["type"], "empty");
}

#[test]
fn parameters_events_and_forward_are_typed() {
    let p = &json_lines(&run(&["decode", &vector("U05")]))[0];
    let d = &p["units"][0]["data"];
    assert_eq!(d["heartbeat_min"], 15);
    assert_eq!(d["rts_delay_20ms"], 10);
    assert_eq!(d["timeout_s"], 798);

    let e = &json_lines(&run(&["decode", &vector("U08")]))[0];
    let r = &e["units"][0]["data"]["records"][0];
    assert_eq!(r["erc"], 14);
    assert_eq!(r["off"], "2010-07-31 14:40");
    assert_eq!(r["on"], "2010-08-03 11:31");

    let f = &json_lines(&run(&["decode", &vector("U10")]))[0];
    let d = &f["units"][0]["data"];
    assert_eq!(d["port"], 0);
    // The carried DL/T 645-1997 reply, decoded by the dlt645 crate.
    assert_eq!(d["dlt645"][0]["address"], "000000000001");
    assert_eq!(d["dlt645"][0]["edition"], "1997");

    let q = &json_lines(&run(&["decode", &vector("U07")]))[0];
    assert_eq!(q["units"][0]["data"]["serials"][0], 22);
}

#[test]
fn several_frames_in_one_input_give_one_object_each() {
    let both = format!("{} FE FE {}", vector("U01"), vector("U02"));
    let out = run(&["decode", &both]);
    let j = json_lines(&out);
    assert_eq!(j.len(), 3, "login, the 2 noise bytes, confirm");
    assert_eq!(j[0]["afn"]["code"], "02");
    assert_eq!(j[1]["kind"], "noise");
    assert_eq!(j[2]["afn"]["code"], "00");
    assert_eq!(out.status.code(), Some(1), "noise is reported as an error");
}

#[test]
fn bad_checksum_and_usage() {
    let mut v = vector("U03");
    // Replace the checksum byte (second to last) by 00.
    let n = v.len();
    v.replace_range(n - 5..n - 3, "00");
    let out = run(&["decode", &v]);
    assert_eq!(out.status.code(), Some(1));
    let j = &json_lines(&out)[0];
    assert_eq!(j["kind"], "checksum");
    assert!(j["error"].as_str().unwrap().contains("offset 18"));
    assert_eq!(run(&[]).status.code(), Some(2));
    assert_eq!(run(&["decode", "6"]).status.code(), Some(2));
}
