//! The wired M-Bus link layer on the libmbus corpus (`shared/vectors/mbus/libmbus`, the 51
//! real-meter frames and the 20 error frames, all valid at the link layer): the frame check
//! per telegram, and the deframer's throughput on a ~1 MiB stream of those frames with
//! converter noise (FD, FE, A5) between some of them, pushed in 64-byte chunks.

use std::fs;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wired_mbus::{Deframer, Frame, Repr};

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/mbus/libmbus"
);

fn corpus() -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    for dir in ["frames", "error-frames"] {
        let mut paths: Vec<_> = fs::read_dir(format!("{CORPUS}/{dir}"))
            .expect("corpus directory")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "hex"))
            .collect();
        paths.sort();
        for p in paths {
            let bytes: Vec<u8> = fs::read_to_string(&p)
                .expect("hex file")
                .split_whitespace()
                .map(|t| u8::from_str_radix(t, 16).expect("hex byte"))
                .collect();
            frames.push(bytes);
        }
    }
    assert_eq!(frames.len(), 71);
    frames
}

fn bench(c: &mut Criterion) {
    let frames = corpus();
    let total: usize = frames.iter().map(Vec::len).sum();

    let mut g = c.benchmark_group("mbus_link");
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.bench_function("check_and_parse_71_frames", |b| {
        b.iter(|| {
            let mut data = 0usize;
            for f in &frames {
                let frame = Frame::new_checked(black_box(f)).expect("valid corpus frame");
                if let Repr::Long { data: d, .. } = Repr::parse(&frame) {
                    data += d.len();
                }
            }
            black_box(data)
        })
    });

    let mut stream = Vec::with_capacity(1 << 20);
    let mut count = 0usize;
    while stream.len() < 1 << 20 {
        for (i, f) in frames.iter().enumerate() {
            if i % 3 == 0 {
                let noise = [0xFD, 0xFE, 0xA5];
                stream.extend(noise.iter().take(1 + i % 3));
            }
            stream.extend_from_slice(f);
            count += 1;
        }
    }
    g.throughput(Throughput::Bytes(stream.len() as u64));
    g.bench_function("deframer_1MiB_64B_chunks", |b| {
        b.iter(|| {
            let mut d = Deframer::new();
            let mut n = 0usize;
            for chunk in stream.chunks(64) {
                let mut rest = chunk;
                while !rest.is_empty() {
                    let k = d.push(rest);
                    rest = rest.get(k..).unwrap_or_default();
                    while d.next_frame().is_some() {
                        n += 1;
                    }
                }
            }
            assert_eq!(n, count);
            black_box(n)
        })
    });
    g.finish();
    black_box(total);
}

criterion_group!(benches, bench);
criterion_main!(benches);
