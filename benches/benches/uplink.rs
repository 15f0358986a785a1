//! Q/GDW 1376.1 hot path: check + parse + decode of every typed data unit of the valid frames
//! of `shared/vectors/plc/frames-1376-1.tsv`, emit of the same frames, and the stream scanner
//! over the frames run together with noise.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use qgdw1376_1::{Data, Frame, FrameRepr, Scanner};

const TSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/plc/frames-1376-1.tsv"
));

/// The frames of the TSV that check (7 of 8; N31 is a broken frame).
fn corpus() -> Vec<Vec<u8>> {
    TSV.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').nth(1))
        .map(|h| {
            let d: String = h.chars().filter(char::is_ascii_hexdigit).collect();
            (0..d.len())
                .step_by(2)
                .filter_map(|i| d.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok()))
                .collect::<Vec<u8>>()
        })
        .filter(|b| Frame::new_checked(b).is_ok())
        .collect()
}

/// Check, parse and decode every data unit; returns a sum so nothing is optimised away.
fn decode_all(frames: &[Vec<u8>]) -> usize {
    let mut n = 0;
    for f in frames {
        let Ok(r) = FrameRepr::parse_bytes(f) else {
            continue;
        };
        for u in r.data_units().flatten() {
            if let Ok(Some(d)) = u.data() {
                n += match d {
                    Data::Events(e) => e.records.iter().count(),
                    other => other.buffer_len(),
                };
            }
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let frames = corpus();
    assert_eq!(frames.len(), 7);
    let bytes: usize = frames.iter().map(Vec::len).sum();

    let mut g = c.benchmark_group("uplink");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("check_7_frames", |b| {
        b.iter(|| {
            frames
                .iter()
                .filter(|f| Frame::new_checked(black_box(f)).is_ok())
                .count()
        })
    });
    g.bench_function("parse_decode_7_frames", |b| {
        b.iter(|| decode_all(black_box(&frames)))
    });
    let reprs: Vec<FrameRepr<'_>> = frames
        .iter()
        .filter_map(|f| FrameRepr::parse_bytes(f).ok())
        .collect();
    let mut out = vec![0u8; 512];
    g.bench_function("emit_7_frames", |b| {
        b.iter(|| {
            reprs
                .iter()
                .map(|r| black_box(r).emit(&mut out).unwrap_or(0))
                .sum::<usize>()
        })
    });

    // 1000 rounds of the frames with 3 noise bytes between them, pushed in 64-byte chunks.
    let mut stream = Vec::new();
    for _ in 0..1000 {
        for f in &frames {
            stream.extend_from_slice(&[0xFE, 0x00, 0x55]);
            stream.extend_from_slice(f);
        }
    }
    g.throughput(Throughput::Bytes(stream.len() as u64));
    g.bench_function("scanner_7000_frames_64b_chunks", |b| {
        b.iter(|| {
            let mut s = Scanner::<1024>::new();
            let mut found = 0usize;
            for chunk in stream.chunks(64) {
                let mut rest = chunk;
                while !rest.is_empty() {
                    let n = s.push(rest);
                    rest = rest.get(n..).unwrap_or(&[]);
                    while s.next_frame().is_some() {
                        found += 1;
                    }
                }
            }
            assert_eq!(found, 7000);
            found
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
