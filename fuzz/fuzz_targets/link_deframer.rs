//! `rs485_link::Deframer` with the three codecs' framings in turn: arbitrary bytes in arbitrary
//! chunks (`meterline_fuzz::chunked`), a clock that jumps past the gap limit now and then, and
//! an echo expected when the input says so. Nothing may panic, and every frame that comes out
//! must be one whole frame by the framing's own scan.
#![no_main]

use dlt645::Dlt645Framing;
use libfuzzer_sys::fuzz_target;
use meterline_fuzz::chunked;
use qgdw1376_2::Q1376_2;
use rs485_link::{Deframer, Duration, Event, Framing, Instant, Scan};
use wired_mbus::MbusFraming;

fn run<F: Framing, const N: usize>(framing: F, check: F, data: &[u8]) {
    let mut d: Deframer<F, N> = Deframer::new(framing, Duration::millis(5)).with_resync_limit(300);
    // An odd first byte: expect the echo of the input's first 16 bytes (they come back, or a
    // mismatch is reported).
    if data.first().is_some_and(|b| b & 1 == 1) {
        let echo = data.get(1..17).unwrap_or(&[]);
        d.expect_echo(&[echo]).unwrap();
    }
    let mut now = 0u64;
    let mut out = 0usize;
    for chunk in chunked(data) {
        // The chunk's first byte moves the clock: 0..=7 ms, so gaps of 6 and 7 ms exceed the
        // 5 ms limit.
        now += u64::from(chunk.first().copied().unwrap_or(0) & 7);
        d.silence(Instant::from_ticks(now));
        let mut events = d.feed(chunk, Instant::from_ticks(now));
        while let Some(e) = events.next() {
            match e {
                Event::Frame(f) => {
                    assert_eq!(
                        check.scan(f),
                        Scan::Frame {
                            start: 0,
                            end: f.len()
                        }
                    );
                    out += f.len();
                }
                Event::Noise { len } | Event::Gap { len } => out += len,
                Event::Echo { len } => out += len,
                Event::Desync { .. } | Event::EchoMismatch { .. } => {}
            }
        }
        assert!(d.buffered() <= N);
    }
    assert!(out <= data.len().saturating_sub(1));
}

fuzz_target!(|data: &[u8]| {
    run::<_, 512>(Dlt645Framing, Dlt645Framing, data);
    run::<_, 512>(MbusFraming, MbusFraming, data);
    run::<_, 4096>(Q1376_2, Q1376_2, data);
});
