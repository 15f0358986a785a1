//! Decoding every libmbus corpus telegram (`shared/vectors/mbus/libmbus/frames`, 51 long
//! frames) with full record decoding, side by side in one criterion run:
//!
//! - `wired-mbus`: `Frame::new_checked` (link checks), `UserData::from_frame` (header), then
//!   per record the value (exact integer, BCD, date, text...) and the description (quantity,
//!   unit, power-of-ten exponent): everything `Record::number` and the tools use;
//! - `m-bus-parser` 0.5: `MbusData::<WiredFrame>::try_from` (link checks, header, records
//!   parsed with their values), then per record the value, labels, units and exponents.
//!
//! No heap allocation on our side by construction: this crate uses `wired-mbus` with only
//! the `link` feature, so the crate is `no_std` without the `alloc` crate, and the decode path
//! has no allocator to call (a counting allocator would need `unsafe`, which the workspace
//! forbids).

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use m_bus_parser::{WiredFrame, mbus_data::MbusData};
use wired_mbus::Frame;
use wired_mbus::app::UserData;

fn corpus() -> Vec<Vec<u8>> {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/mbus/libmbus/frames");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "hex"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .split_whitespace()
                .map(|h| u8::from_str_radix(h, 16).unwrap())
                .collect()
        })
        .collect()
}

/// Our full decode of one telegram; returns the number of records.
fn ours(bytes: &[u8]) -> usize {
    let Ok(frame) = Frame::new_checked(bytes) else {
        return 0;
    };
    let Ok(ud) = UserData::from_frame(&frame) else {
        return 0;
    };
    match ud {
        UserData::Variable(v) => {
            let mut n = 0;
            for r in v.records().flatten() {
                black_box((r.value(), r.describe()));
                n += 1;
            }
            n
        }
        UserData::Fixed(f) => {
            black_box((f.counter1.number(), f.counter2.number()));
            2
        }
        UserData::Error(e) => {
            black_box(e);
            0
        }
    }
}

/// m-bus-parser's full decode of one telegram; returns the number of records.
fn theirs(bytes: &[u8]) -> usize {
    let Ok(parsed) = MbusData::<WiredFrame>::try_from(bytes) else {
        return 0;
    };
    black_box(&parsed.frame);
    let mut n = 0;
    if let Some(records) = parsed.data_records {
        for r in records.flatten() {
            black_box(r.value());
            if let Some(info) = r.value_information() {
                for label in info.labels() {
                    black_box(label);
                }
                for unit in info.units() {
                    black_box(unit);
                }
                black_box((info.decimal_scale_exponent, info.decimal_offset_exponent));
            }
            n += 1;
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let frames = corpus();
    let bytes: usize = frames.iter().map(Vec::len).sum();

    let ours_records: usize = frames.iter().map(|f| ours(f)).sum();
    let theirs_records: usize = frames.iter().map(|f| theirs(f)).sum();
    println!(
        "corpus: {} telegrams, {bytes} bytes; records decoded: wired-mbus {ours_records}, \
         m-bus-parser {theirs_records}",
        frames.len()
    );

    let mut g = c.benchmark_group("mbus_corpus_decode");
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.bench_function("wired-mbus", |b| {
        b.iter(|| frames.iter().map(|f| ours(black_box(f))).sum::<usize>())
    });
    g.bench_function("m-bus-parser", |b| {
        b.iter(|| frames.iter().map(|f| theirs(black_box(f))).sum::<usize>())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
