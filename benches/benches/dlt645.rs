//! DL/T 645 hot path: scan + check + unscramble + decode of one reply, and of a 13-frame
//! stream (requests, echoes, replies, noise), as a concentrator sees them.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group};
use dlt645::{Body, Frame, Repr, Scan, Scanner, Value, frames, scan};

/// frames.tsv V21: `FE FE FE FE` + forward active energy reply, 230.93 kWh.
const REPLY: [u8; 24] = [
    0xFE, 0xFE, 0xFE, 0xFE, 0x68, 0x18, 0x55, 0x60, 0x06, 0x00, 0x00, 0x68, 0x91, 0x08, 0x33, 0x33,
    0x34, 0x33, 0xC6, 0x63, 0x35, 0x33, 0x9A, 0x16,
];

/// Decode everything in a checked frame; returns a sum so nothing is optimised away.
fn decode(frame: &Frame<&[u8]>) -> i64 {
    let mut acc = 0;
    if let Ok(repr) = Repr::parse(frame) {
        acc += i64::from(repr.control().0);
        if let Body::Reply(r) = repr.body
            && let Some(values) = r.values()
        {
            for item in values {
                if let Value::Number(q) = item.value {
                    acc += q.value.mantissa;
                }
            }
        }
    }
    acc
}

/// `frames` runs the scan, whose answer `Scan::Frame` is the full check (start bytes, L,
/// checksum, end byte), then the view; `decode` unscrambles and decodes.
fn one_reply(buf: &[u8]) -> i64 {
    frames(buf).next().map_or(0, |(_, f)| decode(&f))
}

/// The same with the standalone check, as a caller holding one frame does.
fn one_checked(buf: &[u8]) -> i64 {
    match scan(buf) {
        Scan::Frame { start, end } => match buf.get(start..end).map(Frame::new_checked) {
            Some(Ok(f)) => decode(&f),
            _ => 0,
        },
        _ => 0,
    }
}

/// Thirteen frames in one capture: four request/echo + reply pairs, a block reply, an error
/// reply, a 1997 exchange and a read-address reply, with wake-up bytes and noise between.
fn stream() -> Vec<u8> {
    let frames: [&str; 13] = [
        "FE FE FE FE 68 61 01 00 00 00 00 68 11 04 33 33 34 33 14 16", // V04 request (echo)
        "68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16", // V05
        "FE FE FE FE 68 61 01 00 00 00 00 68 11 04 33 34 34 35 17 16", // V06 request (echo)
        "68 61 01 00 00 00 00 68 91 06 33 34 34 35 34 43 10 16",       // V07
        "68 01 00 00 00 00 00 68 91 08 33 33 34 33 59 b3 55 44 dc 16", // V08
        "68 12 00 00 00 10 20 68 91 0A 33 32 34 35 89 55 32 32 32 32 21 16", // V14
        "68 12 00 00 00 10 20 68 91 08 34 34 33 37 34 44 34 49 72 16", // V15
        "68 12 00 00 00 10 20 68 D1 01 35 19 16",                      // V18
        "68 12 00 00 00 10 20 68 91 07 33 40 63 36 5A 33 33 76 16",    // V19
        "FE FE FE FE 68 18 55 60 06 00 00 68 91 08 33 33 34 33 C6 63 35 33 9A 16", // V21
        "68 63 01 43 03 00 00 68 01 02 43 C3 83 16",                   // V26
        "68 11 11 00 00 00 00 68 81 04 46 E9 53 35 2E 16",             // V28
        "FE FE 68 18 55 60 06 00 00 68 93 06 4b 88 93 39 33 33 41 16", // S2
    ];
    let mut out = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        if i % 4 == 3 {
            out.extend_from_slice(&[0xFD, 0xBB, 0xDD]); // noise, as in streams.tsv S2
        }
        out.extend(
            f.split_whitespace()
                .map(|h| u8::from_str_radix(h, 16).expect("hex")),
        );
    }
    out
}

/// The stream through `frames()`, each frame decoded.
fn stream_frames(s: &[u8]) -> i64 {
    frames(s).map(|(_, f)| decode(&f)).sum::<i64>()
}

/// The stream pushed into a `Scanner` and pulled out frame by frame, each frame decoded.
fn stream_scanner(sc: &mut Scanner, s: &[u8]) -> i64 {
    let mut acc = 0;
    let mut rest: &[u8] = s;
    while !rest.is_empty() {
        let n = sc.push(rest);
        rest = rest.get(n..).unwrap_or(&[]);
        while let Some(f) = sc.next_frame() {
            acc += decode(&f);
        }
    }
    acc
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("dlt645");
    g.throughput(Throughput::Elements(1));
    assert_eq!(one_reply(&REPLY), 0x91 + 23093);
    g.bench_function("reply: scan+check+unscramble+decode", |b| {
        b.iter(|| one_reply(black_box(&REPLY)))
    });
    assert_eq!(one_checked(&REPLY), 0x91 + 23093);
    g.bench_function("reply: scan, Frame::new_checked, decode", |b| {
        b.iter(|| one_checked(black_box(&REPLY)))
    });

    let s = stream();
    assert_eq!(frames(&s).count(), 13);
    g.throughput(Throughput::Elements(13));
    g.bench_function("stream of 13 frames: frames()+decode", |b| {
        b.iter(|| stream_frames(black_box(&s)))
    });
    g.bench_function("stream of 13 frames: Scanner push/pull+decode", |b| {
        let mut sc: Scanner = Scanner::new();
        b.iter(|| stream_scanner(&mut sc, black_box(&s)))
    });
    g.finish();
}

/// Instruction counting (load-independent, for valgrind): with `DLT645_IR=<case>:<n>` the
/// binary runs the bench body of `<case>` (`reply`, `checked`, `stream`, `scanner`) `n`
/// times and exits, without criterion. Per iteration:
/// (Ir at n = 10001 − Ir at n = 1) / 10000 (see dlt645/README.md, "Performance").
fn count_instructions(spec: &str) {
    let (case, n) = spec.split_once(':').expect("DLT645_IR=<case>:<n>");
    let n: u32 = n.parse().expect("DLT645_IR iteration count");
    let s = stream();
    let mut sc: Scanner = Scanner::new();
    let mut acc = 0i64;
    // One loop per case, so nothing but the bench body repeats.
    match case {
        "reply" => (0..n).for_each(|_| acc += one_reply(black_box(&REPLY))),
        "checked" => (0..n).for_each(|_| acc += one_checked(black_box(&REPLY))),
        "stream" => (0..n).for_each(|_| acc += stream_frames(black_box(&s))),
        "scanner" => (0..n).for_each(|_| acc += stream_scanner(&mut sc, black_box(&s))),
        _ => panic!("DLT645_IR case: reply, checked, stream or scanner"),
    }
    black_box(acc);
}

criterion_group!(benches, bench);

fn main() {
    if let Ok(spec) = std::env::var("DLT645_IR") {
        count_instructions(&spec);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
