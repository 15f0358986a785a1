//! The decode path (scan, check, unscramble, parse, decode values) makes no heap allocation:
//! a counting global allocator sees none while every shared vector is decoded.
#![allow(clippy::indexing_slicing)]

use std::alloc::System;

use dlt645::{Body, Frame, Repr, Scanner, Value, frames};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const FRAMES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/dlt645/frames.tsv"
));

/// Decode everything in `bytes` and return a sum of the results so nothing is optimised
/// away.
fn decode_all(bytes: &[u8], scanner: &mut Scanner) -> u64 {
    let mut acc = 0u64;
    for (at, f) in frames(bytes) {
        acc += at as u64;
        if let Ok(repr) = Repr::parse(&f) {
            acc += u64::from(repr.control().0);
            if let Body::Reply(r) = repr.body {
                for item in r.values().into_iter().flatten() {
                    if let Value::Number(q) = item.value {
                        acc = acc.wrapping_add(q.value.mantissa as u64);
                    }
                    acc += u64::from(item.index) + 1;
                }
            }
        }
    }
    let mut taken = 0;
    while taken < bytes.len() {
        taken += scanner.push(&bytes[taken..]);
        while let Some(f) = scanner.next_frame() {
            acc += f.frame_bytes().len() as u64;
        }
    }
    if let Err(e) = Frame::new_checked(bytes) {
        acc += core::mem::size_of_val(&e) as u64;
    }
    acc
}

#[test]
fn decoding_every_vector_allocates_nothing() {
    // Prepare the inputs (allocating) before counting.
    let inputs: Vec<Vec<u8>> = FRAMES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let hex: Vec<u8> = l
                .split('\t')
                .nth(1)
                .unwrap()
                .bytes()
                .filter(u8::is_ascii_hexdigit)
                .collect();
            hex.chunks(2)
                .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
                .collect()
        })
        .collect();
    assert_eq!(inputs.len(), 25);
    let mut scanner: Scanner = Scanner::new();

    let region = Region::new(GLOBAL);
    let mut acc = 0u64;
    for input in &inputs {
        acc = acc.wrapping_add(decode_all(input, &mut scanner));
    }
    let stats = region.change();

    assert_ne!(acc, 0);
    assert_eq!(stats.allocations, 0, "heap allocations on the decode path");
    assert_eq!(
        stats.reallocations, 0,
        "heap reallocations on the decode path"
    );

    // The counter works: an allocation in a region is seen.
    let region = Region::new(GLOBAL);
    let v = std::hint::black_box(vec![acc; 4]);
    assert!(region.change().allocations >= 1);
    drop(v);
}
