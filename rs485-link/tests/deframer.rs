//! Deframer behaviour with a test-only framing (`common::Toy`): chunking, preamble, noise,
//! resynchronisation, inter-byte gap, echo.

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

mod common;

use common::{Toy, toy_frame};
use proptest::prelude::*;
use rs485_link::{Deframer, Duration, EchoTooLong, Event, Framing, Instant, Scan};

const GAP: Duration = Duration::millis(500);

fn at(ms: u64) -> Instant {
    Instant::from_ticks(ms)
}

/// Owned copy of an event, to collect them.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Frame(Vec<u8>),
    Noise(usize),
    Desync(usize),
    Gap(usize),
    Echo(usize),
    EchoMismatch(usize),
}

fn own(e: Event<'_>) -> Ev {
    match e {
        Event::Frame(f) => Ev::Frame(f.to_vec()),
        Event::Noise { len } => Ev::Noise(len),
        Event::Desync { dropped } => Ev::Desync(dropped),
        Event::Gap { len } => Ev::Gap(len),
        Event::Echo { len } => Ev::Echo(len),
        Event::EchoMismatch { offset } => Ev::EchoMismatch(offset),
    }
}

fn feed<F: Framing, const N: usize>(d: &mut Deframer<F, N>, bytes: &[u8], now: Instant) -> Vec<Ev> {
    let mut out = Vec::new();
    let mut feed = d.feed(bytes, now);
    while let Some(e) = feed.next() {
        out.push(own(e));
    }
    out
}

fn frames(evs: &[Ev]) -> Vec<Vec<u8>> {
    evs.iter()
        .filter_map(|e| match e {
            Ev::Frame(f) => Some(f.clone()),
            _ => None,
        })
        .collect()
}

fn toy() -> Deframer<Toy, 40> {
    Deframer::new(Toy, GAP)
}

#[test]
fn one_frame_in_one_chunk() {
    let f = toy_frame(&[1, 2, 3]);
    assert_eq!(feed(&mut toy(), &f, at(0)), vec![Ev::Frame(f)]);
}

#[test]
fn preamble_is_dropped_with_the_frame_not_reported_as_noise() {
    let f = toy_frame(&[0x16, 0x68]);
    let mut s = vec![0xFE; 4];
    s.extend_from_slice(&f);
    assert_eq!(feed(&mut toy(), &s, at(0)), vec![Ev::Frame(f)]);
}

#[test]
fn byte_by_byte_gives_the_same_frames() {
    let a = toy_frame(&[9; 32]);
    let b = toy_frame(&[]);
    let mut s = a.clone();
    s.extend_from_slice(&[0xFE, 0xFE]);
    s.extend_from_slice(&b);
    let mut d = toy();
    let mut evs = Vec::new();
    for (i, byte) in s.iter().enumerate() {
        evs.extend(feed(&mut d, core::slice::from_ref(byte), at(i as u64)));
    }
    assert_eq!(evs, vec![Ev::Frame(a), Ev::Frame(b)]);
    assert_eq!(d.buffered(), 0);
}

#[test]
fn noise_and_a_broken_frame_are_skipped() {
    let good = toy_frame(&[7, 7]);
    let mut bad = toy_frame(&[1, 2, 3]);
    bad[5] ^= 0xFF; // checksum
    let mut s = vec![0x00, 0x11, 0x22];
    s.extend_from_slice(&bad);
    s.extend_from_slice(&good);
    let evs = feed(&mut toy(), &s, at(0));
    assert_eq!(evs, vec![Ev::Noise(3 + bad.len()), Ev::Frame(good)]);
}

#[test]
fn many_frames_in_one_long_chunk_through_a_minimal_buffer() {
    let fs: Vec<Vec<u8>> = (0..50u8)
        .map(|i| toy_frame(&vec![i; usize::from(i % 33)]))
        .collect();
    let s: Vec<u8> = fs.iter().flatten().copied().collect();
    let evs = feed(&mut toy(), &s, at(0));
    assert_eq!(frames(&evs), fs);
    assert_eq!(evs.len(), fs.len());
}

#[test]
fn a_gap_mid_frame_discards_the_partial_frame() {
    let f = toy_frame(&[1, 2, 3, 4]);
    let mut d = toy();
    assert_eq!(feed(&mut d, &f[..3], at(1000)), vec![]);
    assert_eq!(d.poll_timeout(), Some(at(1500)));
    // 501 ms of silence (> 500 ms): the 3 bytes go, the rest is no frame.
    let evs = feed(&mut d, &f[3..], at(1501));
    assert_eq!(evs, vec![Ev::Gap(3), Ev::Noise(f.len() - 3)]);
    // The next frame is intact.
    assert_eq!(feed(&mut d, &f, at(1502)), vec![Ev::Frame(f)]);
}

#[test]
fn a_gap_of_exactly_the_limit_is_allowed() {
    let f = toy_frame(&[1, 2, 3, 4]);
    let mut d = toy();
    assert_eq!(feed(&mut d, &f[..3], at(1000)), vec![]);
    assert_eq!(feed(&mut d, &f[3..], at(1500)), vec![Ev::Frame(f)]);
}

#[test]
fn silence_is_an_event_carrying_now() {
    let f = toy_frame(&[5]);
    let mut d = toy();
    assert_eq!(feed(&mut d, &f[..2], at(10)), vec![]);
    d.silence(at(510));
    assert_eq!(d.poll(), None);
    assert_eq!(d.buffered(), 2);
    d.silence(at(511));
    assert_eq!(d.poll(), Some(Event::Gap { len: 2 }));
    assert_eq!(d.poll(), None);
    assert_eq!(d.buffered(), 0);
    assert_eq!(d.poll_timeout(), None);
}

#[test]
fn the_echo_of_our_request_is_dropped() {
    let req = toy_frame(&[0x11, 0x22]);
    let reply = toy_frame(&[0x91, 0x22, 0x33]);
    let mut d = toy();
    d.expect_echo(&[Toy.preamble(), &req]).unwrap();
    assert!(d.echo_pending());
    let mut s = Toy.preamble().to_vec();
    s.extend_from_slice(&req);
    s.extend_from_slice(&[0xFE, 0xFE]);
    s.extend_from_slice(&reply);
    // In two chunks, split inside the echo.
    let mut evs = feed(&mut d, &s[..5], at(0));
    evs.extend(feed(&mut d, &s[5..], at(1)));
    assert_eq!(evs, vec![Ev::Echo(2 + req.len()), Ev::Frame(reply)]);
    assert!(!d.echo_pending());
}

#[test]
fn without_an_echo_the_reply_is_kept_and_the_mismatch_reported() {
    let req = toy_frame(&[0x11, 0x22]);
    let reply = toy_frame(&[0x11, 0x23]);
    let mut d = toy();
    d.expect_echo(&[&req]).unwrap();
    // The reply shares 3 bytes with the request (68 02 11), then differs.
    let evs = feed(&mut d, &reply, at(0));
    assert_eq!(evs, vec![Ev::EchoMismatch(3), Ev::Frame(reply)]);
}

#[test]
fn echo_longer_than_the_buffer_is_refused() {
    let mut d = toy();
    assert_eq!(
        d.expect_echo(&[&[0; 30], &[0; 11]]),
        Err(EchoTooLong {
            len: 41,
            capacity: 40
        })
    );
    assert!(d.expect_echo(&[&[0; 40]]).is_ok());
}

#[test]
fn resync_is_bounded() {
    let mut d = toy().with_resync_limit(10);
    let evs = feed(&mut d, &[0x00; 25], at(0));
    assert_eq!(
        evs,
        vec![
            Ev::Noise(10),
            Ev::Desync(10),
            Ev::Noise(10),
            Ev::Desync(10),
            Ev::Noise(5)
        ]
    );
    let f = toy_frame(&[1]);
    assert_eq!(feed(&mut d, &f, at(0)), vec![Ev::Frame(f)]);
}

/// A framing that breaks every rule of the trait: the deframer must neither panic nor hang.
struct Liar(u8);

impl Framing for Liar {
    const MAX_FRAME_LEN: usize = 8;
    fn scan(&self, buf: &[u8]) -> Scan {
        match self.0 {
            0 => Scan::Incomplete { needed: 0 },
            1 => Scan::Skip(0),
            2 => Scan::Skip(buf.len() + 5),
            3 => Scan::Frame { start: 3, end: 2 },
            _ => Scan::Frame {
                start: 0,
                end: buf.len() + 1,
            },
        }
    }
}

#[test]
fn a_framing_that_lies_cannot_make_it_panic_or_hang() {
    for mode in 0..5 {
        let mut d: Deframer<Liar, 8> = Deframer::new(Liar(mode), GAP);
        let evs = feed(&mut d, &[0xAB; 100], at(0));
        assert!(frames(&evs).is_empty(), "mode {mode}: {evs:?}");
        assert!(d.buffered() <= 8);
    }
}

/// One item of a generated stream.
#[derive(Debug, Clone)]
enum Item {
    /// A frame payload with `pre` wake-up bytes.
    Frame { pre: usize, payload: Vec<u8> },
    /// Noise: never 0x68, so it cannot begin a frame by itself.
    Noise(Vec<u8>),
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        (0..=4usize, prop::collection::vec(any::<u8>(), 0..=32))
            .prop_map(|(pre, payload)| Item::Frame { pre, payload }),
        prop::collection::vec(
            any::<u8>().prop_filter("no start byte", |b| *b != 0x68),
            1..20
        )
        .prop_map(Item::Noise),
    ]
}

/// Split `s` at the given fractions (any chunking, including empty chunks).
fn split(s: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (s.len() + 1)).collect();
    points.sort_unstable();
    let mut out = Vec::new();
    let mut last = 0;
    for p in points {
        out.push(s[last..p].to_vec());
        last = p;
    }
    out.push(s[last..].to_vec());
    out
}

proptest! {
    #[test]
    fn every_intact_frame_comes_out_and_no_false_one(
        items in prop::collection::vec(item(), 0..30),
        cuts in prop::collection::vec(any::<usize>(), 0..40),
    ) {
        let mut stream = Vec::new();
        let mut want = Vec::new();
        for it in &items {
            match it {
                Item::Frame { pre, payload } => {
                    stream.extend(std::iter::repeat_n(0xFE, *pre));
                    let f = toy_frame(payload);
                    stream.extend_from_slice(&f);
                    want.push(f);
                }
                Item::Noise(n) => stream.extend_from_slice(n),
            }
        }
        let mut d = toy();
        let mut evs = Vec::new();
        for chunk in split(&stream, &cuts) {
            evs.extend(feed(&mut d, &chunk, at(0)));
        }
        prop_assert_eq!(frames(&evs), want);
        // Everything is accounted for: nothing stays buffered after a whole frame or noise.
        let noise: usize = evs.iter().map(|e| match e { Ev::Noise(n) => *n, _ => 0 }).sum();
        let framed: usize = evs.iter().map(|e| match e { Ev::Frame(f) => f.len(), _ => 0 }).sum();
        prop_assert!(noise + framed + d.buffered() <= stream.len());
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_only_valid_frames_come_out(
        stream in prop::collection::vec(any::<u8>(), 0..400),
        cuts in prop::collection::vec(any::<usize>(), 0..40),
        gaps in prop::collection::vec(0u64..800, 41),
    ) {
        let mut d = toy().with_resync_limit(64);
        let mut now = 0;
        for (i, chunk) in split(&stream, &cuts).iter().enumerate() {
            now += gaps[i % gaps.len()];
            for e in feed(&mut d, chunk, at(now)) {
                if let Ev::Frame(f) = e {
                    prop_assert_eq!(Toy.scan(&f), Scan::Frame { start: 0, end: f.len() });
                }
            }
        }
    }

    #[test]
    fn echo_then_reply_in_any_chunking(
        req in prop::collection::vec(any::<u8>(), 0..=32),
        reply in prop::collection::vec(any::<u8>(), 0..=32),
        cuts in prop::collection::vec(any::<usize>(), 0..10),
    ) {
        let req = toy_frame(&req);
        let reply = toy_frame(&reply);
        let mut d: Deframer<Toy, 64> = Deframer::new(Toy, GAP);
        d.expect_echo(&[Toy.preamble(), &req]).unwrap();
        let mut s = Toy.preamble().to_vec();
        s.extend_from_slice(&req);
        s.extend_from_slice(&reply);
        let mut evs = Vec::new();
        for chunk in split(&s, &cuts) {
            evs.extend(feed(&mut d, &chunk, at(0)));
        }
        prop_assert_eq!(evs, vec![Ev::Echo(2 + req.len()), Ev::Frame(reply)]);
    }
}

/// Frames and dropped-byte count through `push` + `poll` (the drivers' path).
fn push_poll(stream: &[u8], cuts: &[usize], limit: usize) -> (Vec<Vec<u8>>, usize) {
    let mut d = toy().with_resync_limit(limit);
    let mut frames = Vec::new();
    let mut dropped = 0;
    for chunk in split(stream, cuts) {
        let mut rest = &chunk[..];
        loop {
            while let Some(e) = d.poll() {
                match e {
                    Event::Frame(f) => frames.push(f.to_vec()),
                    Event::Noise { len } | Event::Gap { len } => dropped += len,
                    _ => {}
                }
            }
            if rest.is_empty() {
                break;
            }
            let n = d.push(rest, at(0));
            rest = &rest[n..];
        }
    }
    (frames, dropped)
}

/// The same through `feed` (the zero-copy path).
fn fed(stream: &[u8], cuts: &[usize], limit: usize) -> (Vec<Vec<u8>>, usize) {
    let mut d = toy().with_resync_limit(limit);
    let mut frames = Vec::new();
    let mut dropped = 0;
    for chunk in split(stream, cuts) {
        for e in feed(&mut d, &chunk, at(0)) {
            match e {
                Ev::Frame(f) => frames.push(f),
                Ev::Noise(n) | Ev::Gap(n) => dropped += n,
                _ => {}
            }
        }
    }
    (frames, dropped)
}

proptest! {
    #[test]
    fn feed_and_push_poll_agree(
        items in prop::collection::vec(item(), 0..30),
        garbage in prop::collection::vec(any::<u8>(), 0..60),
        cuts in prop::collection::vec(any::<usize>(), 0..40),
        limit in 1usize..200,
    ) {
        // Frames, noise, and arbitrary bytes (which may hold false starts) at the end.
        let mut stream = Vec::new();
        for it in &items {
            match it {
                Item::Frame { pre, payload } => {
                    stream.extend(std::iter::repeat_n(0xFE, *pre));
                    stream.extend_from_slice(&toy_frame(payload));
                }
                Item::Noise(n) => stream.extend_from_slice(n),
            }
        }
        stream.extend_from_slice(&garbage);
        prop_assert_eq!(fed(&stream, &cuts, limit), push_poll(&stream, &cuts, limit));
    }
}

#[test]
fn a_gap_after_noise_keeps_the_whole_frame_found_behind_it() {
    // Push/poll used out of order: the frame found behind the noise is not polled before a
    // late push; the gap discards only the partial bytes after it.
    let f = toy_frame(&[1, 2]);
    let mut s = vec![0x00, 0x00];
    s.extend_from_slice(&f);
    s.extend_from_slice(&[0x68, 0x05]);
    let mut d = toy();
    assert_eq!(d.push(&s, at(0)), s.len());
    assert_eq!(d.poll(), Some(Event::Noise { len: 2 }));
    assert_eq!(d.push(&[0x01], at(600)), 1);
    let mut evs = Vec::new();
    while let Some(e) = d.poll() {
        evs.push(own(e));
    }
    assert_eq!(evs, vec![Ev::Gap(2), Ev::Frame(f), Ev::Noise(1)]);
}
