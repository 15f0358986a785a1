//! Replays every line of the HPLC UART logs in `shared/vectors/plc/hplc-logs/` (SPL test tool,
//! 2013 edition): frames with a valid envelope decode (unknown AFN/Fn keep raw data) and
//! re-emit byte for byte; everything else gives a typed error; nothing panics.
#![allow(clippy::indexing_slicing)] // tests index golden frames (clippy.toml)

use std::collections::BTreeMap;
use std::path::PathBuf;

use qgdw1376_2::{DataUnit, Edition, Error, Frame, FrameRepr, Scanner};

fn logs() -> Vec<(String, String)> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/plc/hplc-logs"
    ));
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v.into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// Hex tokens of a log line's third column; `None` when a token is not a hex byte.
fn line_bytes(line: &str) -> Option<Vec<u8>> {
    let hex = line.split('\t').nth(2)?;
    hex.split_whitespace()
        .map(|h| u8::from_str_radix(h, 16).ok())
        .collect()
}

#[derive(Default, Debug)]
struct Tally {
    lines: usize,
    envelope_ok: usize,
    typed: usize,
    raw: usize,
    unit_errors: usize,
    envelope_errors: BTreeMap<&'static str, usize>,
    scanned_frames: usize,
    dlt645_frames: usize,
    dlt645_decoded: usize,
}

fn kind(e: &Error) -> &'static str {
    match e {
        Error::Truncated { .. } => "truncated",
        Error::Start { .. } => "start",
        Error::Length { .. } => "length",
        Error::Trailing { .. } => "trailing",
        Error::End { .. } => "end",
        Error::Checksum { .. } => "checksum",
        Error::Header { .. } => "header",
        Error::DataUnit { .. } => "data unit",
        _ => "other",
    }
}

fn replay() -> Tally {
    let mut t = Tally::default();
    for (_, text) in logs() {
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            t.lines += 1;
            let Some(bytes) = line_bytes(line) else {
                *t.envelope_errors.entry("not hex").or_default() += 1;
                continue;
            };
            // The stream scanner must survive every line too (concatenated captures).
            let mut s = Scanner::<4096>::new();
            let mut rest = &bytes[..];
            while !rest.is_empty() {
                let n = s.push(rest);
                rest = &rest[n..];
                while let Some(f) = s.next_frame() {
                    t.scanned_frames += 1;
                    let _ = FrameRepr::parse(&f, Edition::V2013);
                }
            }
            match Frame::new_checked(&bytes) {
                Err(e) => *t.envelope_errors.entry(kind(&e)).or_default() += 1,
                Ok(f) => {
                    t.envelope_ok += 1;
                    match FrameRepr::parse(&f, Edition::V2013) {
                        Ok(r) => {
                            if matches!(r.unit, DataUnit::Raw(_)) {
                                t.raw += 1;
                            } else {
                                t.typed += 1;
                            }
                            if let Some(frames) = r.unit.dlt645_frames() {
                                for (_, f) in frames {
                                    t.dlt645_frames += 1;
                                    if dlt645::Repr::parse(&f).is_ok() {
                                        t.dlt645_decoded += 1;
                                    }
                                }
                            }
                            let mut out = vec![0; r.buffer_len()];
                            r.emit(&mut out).unwrap();
                            assert_eq!(out, bytes, "round trip of {line}");
                        }
                        Err(e) => {
                            assert!(matches!(e, Error::DataUnit { .. }), "{line}: {e}");
                            println!("data-unit error: {e}: {line}");
                            t.unit_errors += 1;
                        }
                    }
                }
            }
        }
    }
    t
}

#[test]
fn every_log_line_parses_or_gives_a_typed_error() {
    let t = replay();
    println!("{t:#?}");
    let share = (t.typed + t.raw) as f64 / t.envelope_ok as f64;
    println!(
        "lines {} envelope-valid {} decoded {} ({:.2} %): typed {} raw {}; data-unit errors {}",
        t.lines,
        t.envelope_ok,
        t.typed + t.raw,
        share * 100.0,
        t.typed,
        t.raw,
        t.unit_errors
    );
    // Fixed corpus, so exact counts: a change in any of them is a change in behaviour.
    assert_eq!(t.lines, 5664);
    assert_eq!(t.envelope_ok, 5624);
    assert_eq!(t.typed, 3147);
    assert_eq!(t.raw, 2474);
    // The three: a module's AFN 00 F1 carrying a node count (`01 00 F8 03`), and the test
    // tool's AFN 05 F3 and AFN 10 F5 sent without their data units.
    assert_eq!(t.unit_errors, 3);
    // Lines that are not one whole frame: 24 start with a byte other than 0x68 (bare DL/T 645
    // frames, tails of split captures), 10 are truncated, 3 have an impossible length, 3 are
    // two captures run together.
    let errs: Vec<_> = t.envelope_errors.iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(
        errs,
        [
            ("length", 3),
            ("start", 24),
            ("trailing", 3),
            ("truncated", 10)
        ]
    );
    // Every DL/T 645 frame carried in a typed data unit decodes with `dlt645`.
    assert_eq!((t.dlt645_frames, t.dlt645_decoded), (64, 64));
    // The scanner finds every whole frame plus the ones inside run-together captures.
    assert_eq!(t.scanned_frames, 5627);
}
