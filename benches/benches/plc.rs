//! Q/GDW 1376.2 hot path: check + decode (envelope, typed data unit, embedded DL/T 645 frames)
//! of every frame in the shared HPLC UART logs, and the stream scanner over the same bytes.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use qgdw1376_2::{DataUnit, Edition, Frame, FrameRepr, Scanner};

const LOGS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/plc/hplc-logs"
);

/// Every log line whose hex is one whole frame (5624 of 5664 lines).
fn corpus() -> Vec<Vec<u8>> {
    let mut paths: Vec<_> = std::fs::read_dir(LOGS)
        .expect("hplc-logs")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let text = String::from_utf8_lossy(&std::fs::read(p).expect("log")).into_owned();
        for line in text.lines() {
            let Some(hex) = line.split('\t').nth(2) else {
                continue;
            };
            let bytes: Option<Vec<u8>> = hex
                .split_whitespace()
                .map(|h| u8::from_str_radix(h, 16).ok())
                .collect();
            if let Some(b) = bytes.filter(|b| Frame::new_checked(b).is_ok()) {
                out.push(b);
            }
        }
    }
    out
}

/// Check, decode, and decode the carried DL/T 645 frames; returns a sum so nothing is
/// optimised away.
fn decode(bytes: &[u8]) -> usize {
    let Ok(frame) = Frame::new_checked(bytes) else {
        return 0;
    };
    let Ok(repr) = FrameRepr::parse(&frame, Edition::V2013) else {
        return 1;
    };
    let mut acc = usize::from(repr.afn.to_byte());
    if !matches!(repr.unit, DataUnit::Raw(_)) {
        acc += repr.unit.buffer_len(Edition::V2013);
    }
    if let Some(frames) = repr.unit.dlt645_frames() {
        for (_, f) in frames {
            if let Ok(r) = dlt645::Repr::parse(&f) {
                acc += usize::from(r.control().0);
            }
        }
    }
    acc
}

fn bench(c: &mut Criterion) {
    let frames = corpus();
    let bytes: usize = frames.iter().map(Vec::len).sum();
    let mut g = c.benchmark_group("plc");
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.bench_function("decode_log_corpus", |b| {
        b.iter(|| {
            frames
                .iter()
                .map(|f| decode(black_box(f)))
                .fold(0usize, usize::wrapping_add)
        })
    });
    let stream: Vec<u8> = frames.concat();
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("scan_log_stream", |b| {
        b.iter(|| {
            let mut s = Scanner::<4096>::new();
            let mut n = 0usize;
            for chunk in black_box(&stream).chunks(64) {
                s.push(chunk);
                while let Some(f) = s.next_frame() {
                    n += f.len();
                }
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
