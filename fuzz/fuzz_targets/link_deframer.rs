//! `rs485_link::Deframer` with the three codecs' framings in turn: arbitrary bytes in arbitrary
//! chunks (`meterline_fuzz::chunked`), a clock that jumps past the gap limit now and then, and
//! an echo expected when the input says so. Nothing may panic; every frame that comes out must
//! be one whole frame by the framing's own scan; and the zero-copy path (`feed`) must give the
//! same frames and the same dropped-byte count as `push` + `poll`.
#![no_main]

use dlt645::Dlt645Framing;
use libfuzzer_sys::fuzz_target;
use meterline_fuzz::chunked;
use qgdw1376_2::Q1376_2;
use rs485_link::{Deframer, Duration, Event, Framing, Instant, Scan};
use wired_mbus::MbusFraming;

/// What came out: the frames, and the bytes dropped (noise, gaps) or taken as echo.
#[derive(Debug, Default, PartialEq, Eq)]
struct Out {
    frames: Vec<Vec<u8>>,
    dropped: usize,
    echoed: usize,
}

impl Out {
    fn take<F: Framing>(&mut self, framing: &F, e: Event<'_>) {
        match e {
            Event::Frame(f) => {
                assert_eq!(
                    framing.scan(f),
                    Scan::Frame {
                        start: 0,
                        end: f.len()
                    }
                );
                self.frames.push(f.to_vec());
            }
            Event::Noise { len } | Event::Gap { len } => self.dropped += len,
            Event::Echo { len } => self.echoed += len,
            Event::Desync { .. } | Event::EchoMismatch { .. } => {}
        }
    }
}

fn deframer<F: Framing, const N: usize>(framing: F, data: &[u8]) -> Deframer<F, N> {
    let mut d = Deframer::new(framing, Duration::millis(5)).with_resync_limit(300);
    // An odd first byte: expect the echo of the input's first 16 bytes (they come back, or a
    // mismatch is reported).
    if data.first().is_some_and(|b| b & 1 == 1) {
        let echo = data.get(1..17).unwrap_or(&[]);
        d.expect_echo(&[echo]).unwrap();
    }
    d
}

/// The clock after `chunk`: its first byte moves it 0..=7 ms, so gaps of 6 and 7 ms exceed the
/// 5 ms limit.
fn tick(now: u64, chunk: &[u8]) -> u64 {
    now + u64::from(chunk.first().copied().unwrap_or(0) & 7)
}

fn run<F: Framing + Copy, const N: usize>(framing: F, data: &[u8]) {
    let mut fed = Out::default();
    let mut d: Deframer<F, N> = deframer(framing, data);
    let mut now = 0;
    for chunk in chunked(data) {
        now = tick(now, chunk);
        d.silence(Instant::from_ticks(now));
        let mut events = d.feed(chunk, Instant::from_ticks(now));
        while let Some(e) = events.next() {
            fed.take(&framing, e);
        }
        assert!(d.buffered() <= N);
    }
    let mut polled = Out::default();
    let mut d: Deframer<F, N> = deframer(framing, data);
    let mut now = 0;
    for chunk in chunked(data) {
        now = tick(now, chunk);
        d.silence(Instant::from_ticks(now));
        let mut rest = chunk;
        loop {
            while let Some(e) = d.poll() {
                polled.take(&framing, e);
            }
            if rest.is_empty() {
                break;
            }
            let n = d.push(rest, Instant::from_ticks(now));
            rest = &rest[n..];
        }
    }
    assert_eq!(fed, polled);
    assert!(
        fed.dropped + fed.echoed + fed.frames.iter().map(Vec::len).sum::<usize>()
            < data.len().max(1)
    );
}

fuzz_target!(|data: &[u8]| {
    run::<_, 512>(Dlt645Framing, data);
    run::<_, 512>(MbusFraming, data);
    run::<_, 4096>(Q1376_2, data);
});
