//! `MbusFraming` driving `rs485_link`'s deframer: the libmbus corpus as one noisy stream,
//! in UART-sized chunks, comes out frame for frame.
#![cfg(feature = "link")]

use std::fs;

use rs485_link::{Deframer, Duration, Event, Instant};
use wired_mbus::{LineTiming, MbusFraming};

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/mbus/libmbus"
);

fn frames() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for dir in ["frames", "error-frames"] {
        let mut paths: Vec<_> = fs::read_dir(format!("{CORPUS}/{dir}"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "hex"))
            .collect();
        paths.sort();
        for p in paths {
            out.push(
                fs::read_to_string(p)
                    .unwrap()
                    .split_whitespace()
                    .map(|t| u8::from_str_radix(t, 16).unwrap())
                    .collect(),
            );
        }
    }
    out
}

#[test]
fn the_corpus_through_rs485_link() {
    let expected = frames();
    assert_eq!(expected.len(), 71);
    let mut stream = Vec::new();
    for f in &expected {
        // Converter noise before every frame (libmbus #131, #199).
        stream.extend_from_slice(&[0xFE, 0xFD, 0xA5]);
        stream.extend_from_slice(f);
    }
    let gap = LineTiming::default().gap_timeout();
    let mut d: Deframer<MbusFraming, 512> = Deframer::new(MbusFraming, gap);
    let mut got = Vec::new();
    let mut noise = 0;
    let mut now = Instant::from_ticks(0);
    for chunk in stream.chunks(13) {
        now += Duration::millis(10);
        let mut feed = d.feed(chunk, now);
        while let Some(ev) = feed.next() {
            match ev {
                Event::Frame(f) => got.push(f.to_vec()),
                Event::Noise { len } => noise += len,
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert_eq!(got, expected);
    assert_eq!(noise, 3 * expected.len());
}
