//! Deframing throughput of `rs485_link::Deframer` with the DL/T 645 framing on a long mixed
//! stream: the ok=true frames of `shared/vectors/dlt645/frames.tsv` (with and without wake-up
//! bytes), noise between some of them, repeated to about 1 MiB, pushed in chunks of 4096
//! bytes (replaying a capture) and of 64 bytes (UART reads). Target: ≥ 500 MB/s. The codec's
//! scan alone over the same stream is the baseline.

#![allow(clippy::indexing_slicing)] // bench code over known vectors, like tests (clippy.toml)

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dlt645::Dlt645Framing;
use rs485_link::{Deframer, Duration, Event, Instant};

const FRAMES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/dlt645/frames.tsv"
));

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s
        .bytes()
        .filter(u8::is_ascii_hexdigit)
        .map(|c| match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => c - b'A' + 10,
        })
        .collect();
    digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect()
}

/// The stream and the number of frames in it.
fn stream() -> (Vec<u8>, usize) {
    let frames: Vec<Vec<u8>> = FRAMES
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains("ok=true"))
        .filter_map(|l| l.split('\t').nth(1))
        .map(hex)
        .collect();
    assert_eq!(frames.len(), 20);
    let mut s = Vec::with_capacity(1 << 20);
    let mut n = 0;
    while s.len() < 1 << 20 {
        for (i, f) in frames.iter().enumerate() {
            if i % 4 == 0 {
                // Noise of the kind streams.tsv S2 shows between frames.
                s.extend_from_slice(&[0xFD, 0xBB, 0xDD]);
            }
            s.extend_from_slice(f);
            n += 1;
        }
    }
    (s, n)
}

fn deframe(stream: &[u8], chunk: usize) -> usize {
    let mut d: Deframer<Dlt645Framing, 512> = Deframer::new(Dlt645Framing, Duration::millis(500));
    let mut frames = 0;
    for c in stream.chunks(chunk) {
        let mut events = d.feed(c, Instant::from_ticks(0));
        while let Some(e) = events.next() {
            if let Event::Frame(f) = e {
                black_box(f);
                frames += 1;
            }
        }
    }
    frames
}

/// The codec's scan alone over the same stream, without the deframer: the ceiling the
/// deframer's bookkeeping is measured against.
fn scan_only(stream: &[u8]) -> usize {
    use rs485_link::{Framing, Scan};
    let mut rest = stream;
    let mut n = 0;
    while !rest.is_empty() {
        match Dlt645Framing.scan(rest) {
            Scan::Frame { end, .. } => {
                n += 1;
                rest = &rest[end..];
            }
            Scan::Skip(k) => rest = &rest[k..],
            Scan::Incomplete { .. } => break,
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let (s, n) = stream();
    assert_eq!(deframe(&s, 4096), n);
    assert_eq!(deframe(&s, 64), n);
    assert_eq!(scan_only(&s), n);
    let mut g = c.benchmark_group("rs485_link_deframe_dlt645");
    g.throughput(Throughput::Bytes(s.len() as u64));
    for chunk in [64, 4096] {
        g.bench_function(format!("chunks_of_{chunk}"), |b| {
            b.iter(|| deframe(black_box(&s), chunk))
        });
    }
    g.bench_function("dlt645_scan_only_baseline", |b| {
        b.iter(|| scan_only(black_box(&s)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
