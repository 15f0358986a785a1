//! `rs485_link::Deframer` with the real codecs' `Framing` impls (`dlt645::Dlt645Framing`,
//! `wired_mbus::MbusFraming`, `qgdw1376_2::Q1376_2`) over the shared vectors: every vector split
//! at every point and in many seeded chunkings, interleaved with noise; every intact frame comes
//! out, in order, and nothing else does; broken vectors give no frame.

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

use dlt645::Dlt645Framing;
use examples::parse_hex;
use qgdw1376_2::Q1376_2;
use rs485_link::{Deframer, Duration, Event, Framing, Instant};
use wired_mbus::MbusFraming;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors");

/// Deframe `stream` pushed in `chunks` (sizes; the rest goes in one last chunk); the frames.
fn deframe<F: Framing>(framing: F, stream: &[u8], chunks: &[usize]) -> Vec<Vec<u8>> {
    let mut d: Deframer<F, 4096> = Deframer::new(framing, Duration::millis(500));
    let mut out = Vec::new();
    let mut rest = stream;
    let mut sizes = chunks.iter();
    while !rest.is_empty() {
        let n = sizes.next().map_or(rest.len(), |&n| n.min(rest.len()));
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        let mut events = d.feed(chunk, Instant::from_ticks(0));
        while let Some(e) = events.next() {
            if let Event::Frame(f) = e {
                out.push(f.to_vec());
            }
        }
    }
    out
}

/// Chunkings to try: whole, byte by byte, and 40 seeded pseudo-random ones (sizes 1..=17).
fn chunkings(len: usize) -> Vec<Vec<usize>> {
    let mut all = vec![vec![], vec![1; len]];
    let mut state: u32 = 0x9E37_79B9;
    for _ in 0..40 {
        let mut sizes = Vec::new();
        let mut total = 0;
        while total < len {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let n = (state % 17) as usize + 1;
            sizes.push(n);
            total += n;
        }
        all.push(sizes);
    }
    all
}

/// Deterministic noise of `len` bytes, none of them in `forbidden`.
fn noise(seed: u32, len: usize, forbidden: impl Fn(u8) -> bool) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = Vec::new();
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let b = (state >> 8) as u8;
        if !forbidden(b) {
            out.push(b);
        }
    }
    out
}

/// Checks one codec: each frame alone at every split point, then all frames with noise between
/// them in many chunkings. `frames` are (bytes on the wire, frame without preamble).
fn check<F: Framing + Copy>(framing: F, frames: &[(Vec<u8>, Vec<u8>)], forbidden: fn(u8) -> bool) {
    assert!(!frames.is_empty());
    for (wire, frame) in frames {
        for cut in 0..=wire.len() {
            assert_eq!(
                deframe(framing, wire, &[cut]),
                vec![frame.clone()],
                "{wire:02X?} cut at {cut}"
            );
        }
    }
    let mut stream = Vec::new();
    for (i, (wire, _)) in frames.iter().enumerate() {
        stream.extend(noise(i as u32 + 7, i % 5, forbidden));
        stream.extend_from_slice(wire);
    }
    stream.extend(noise(99, 3, forbidden));
    let want: Vec<Vec<u8>> = frames.iter().map(|(_, f)| f.clone()).collect();
    for sizes in chunkings(stream.len()) {
        assert_eq!(deframe(framing, &stream, &sizes), want, "chunks {sizes:?}");
    }
}

/// Lines of a tab-separated vector file, comments skipped, split into columns.
fn tsv(path: &str) -> Vec<Vec<String>> {
    std::fs::read_to_string(format!("{VECTORS}/{path}"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

fn strip_wake_up(wire: &[u8]) -> Vec<u8> {
    wire.iter().copied().skip_while(|&b| b == 0xFE).collect()
}

#[test]
fn dlt645_vectors() {
    let rows = tsv("dlt645/frames.tsv");
    let mut good = Vec::new();
    for row in &rows {
        let wire = parse_hex(&row[1]).unwrap();
        if row[2].contains("ok=true") {
            good.push((wire.clone(), strip_wake_up(&wire)));
        } else {
            assert!(
                deframe(Dlt645Framing, &wire, &[]).is_empty(),
                "{} must give no frame",
                row[0]
            );
        }
    }
    assert_eq!(good.len(), 20, "ok=true vectors in frames.tsv");
    // Noise never 68 (a start) nor FE (a wake-up byte): it cannot join a frame.
    check(Dlt645Framing, &good, |b| b == 0x68 || b == 0xFE);
}

#[test]
fn dlt645_streams_give_the_expected_frame_counts() {
    for row in tsv("dlt645/streams.tsv") {
        let stream = parse_hex(&row[1]).unwrap();
        let want: usize = row[2].trim().parse().unwrap();
        for sizes in chunkings(stream.len()) {
            assert_eq!(
                deframe(Dlt645Framing, &stream, &sizes).len(),
                want,
                "{}",
                row[0]
            );
        }
    }
}

#[test]
fn dlt645_echo_then_reply() {
    // V04 is a request with 4 FE, V05 its reply: an echoing adapter hands us both.
    let rows = tsv("dlt645/frames.tsv");
    let get = |id: &str| parse_hex(&rows.iter().find(|r| r[0] == id).unwrap()[1]).unwrap();
    let (request, reply) = (get("V04"), get("V05"));
    let mut stream = request.clone();
    stream.extend_from_slice(&reply);
    for sizes in chunkings(stream.len()) {
        let mut d: Deframer<Dlt645Framing, 512> =
            Deframer::new(Dlt645Framing, Duration::millis(500));
        d.expect_request_echo(&request[4..]).unwrap();
        let mut seen = Vec::new();
        let mut rest = &stream[..];
        let mut sizes = sizes.iter();
        while !rest.is_empty() {
            let n = sizes.next().map_or(rest.len(), |&n| n.min(rest.len()));
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            let mut events = d.feed(chunk, Instant::from_ticks(0));
            while let Some(e) = events.next() {
                seen.push(match e {
                    Event::Frame(f) => format!("frame {f:02X?}"),
                    other => format!("{other:?}"),
                });
            }
        }
        assert_eq!(
            seen,
            [
                format!("Echo {{ len: {} }}", request.len()),
                format!("frame {reply:02X?}")
            ]
        );
    }
}

/// The `.hex` files of a libmbus vector folder that hold whole bytes (a few of the error and
/// unsupported ones are cut mid-byte on purpose); (name, bytes).
fn mbus_files(dir: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> =
        std::fs::read_dir(format!("{VECTORS}/mbus/libmbus/{dir}"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "hex"))
            .filter_map(|p| {
                let text = std::fs::read_to_string(&p).unwrap();
                Some((p.display().to_string(), parse_hex(&text).ok()?))
            })
            .collect();
    out.sort();
    out
}

#[test]
fn mbus_libmbus_frames() {
    let frames = mbus_files("frames");
    assert_eq!(frames.len(), 51);
    let good: Vec<(Vec<u8>, Vec<u8>)> = frames.into_iter().map(|(_, f)| (f.clone(), f)).collect();
    check(MbusFraming, &good, wired_mbus::is_start_byte);
}

#[test]
fn mbus_libmbus_error_frames_are_intact_link_frames() {
    // Their errors are in the application layer (EN 13757-3 records): the link layer must
    // deliver each of them whole.
    let frames = mbus_files("error-frames");
    assert_eq!(frames.len(), 20);
    let good: Vec<(Vec<u8>, Vec<u8>)> = frames.into_iter().map(|(_, f)| (f.clone(), f)).collect();
    check(MbusFraming, &good, wired_mbus::is_start_byte);
}

#[test]
fn mbus_libmbus_unsupported_frames() {
    // invalid_length.hex (`68 00 00 68 08 16`: L = 0, too short for a long frame) is no frame; the others
    // are whole link frames with content the application layer does not support.
    // (manual_frame1.hex is cut mid-byte and not read.)
    for (name, bytes) in mbus_files("unsupported-frames") {
        let want = if name.ends_with("/invalid_length.hex") {
            vec![]
        } else {
            vec![bytes.clone()]
        };
        for sizes in chunkings(bytes.len()) {
            assert_eq!(deframe(MbusFraming, &bytes, &sizes), want, "{name}");
        }
    }
}

#[test]
fn qgdw1376_2_vectors() {
    let mut good = Vec::new();
    for row in tsv("plc/frames-1376-2.tsv") {
        let wire = parse_hex(&row[2]).unwrap();
        if row[3].contains("ok=false") {
            assert!(deframe(Q1376_2, &wire, &[]).is_empty(), "{}", row[0]);
        } else {
            good.push((wire.clone(), wire));
        }
    }
    assert_eq!(good.len(), 15);
    check(Q1376_2, &good, |b| b == 0x68);
}

#[test]
fn qgdw1376_2_streams_give_the_expected_frame_counts() {
    for row in tsv("plc/streams-1376-2.tsv") {
        let stream = parse_hex(&row[1]).unwrap();
        let want: usize = row[2].trim().parse().unwrap();
        for sizes in chunkings(stream.len()) {
            assert_eq!(deframe(Q1376_2, &stream, &sizes).len(), want, "{}", row[0]);
        }
    }
}

/// One codec's good frames: its name, the frames as (bytes on the wire, frame without
/// preamble), and which bytes could join a frame (a start or preamble byte) and so are left out
/// of the noise.
type Corpus = (&'static str, Vec<(Vec<u8>, Vec<u8>)>, fn(u8) -> bool);

/// The good frames of each codec.
fn corpus() -> Vec<Corpus> {
    let dlt: Vec<_> = tsv("dlt645/frames.tsv")
        .iter()
        .filter(|r| r[2].contains("ok=true"))
        .map(|r| {
            let wire = parse_hex(&r[1]).unwrap();
            let frame = strip_wake_up(&wire);
            (wire, frame)
        })
        .collect();
    let mbus: Vec<_> = mbus_files("frames")
        .into_iter()
        .map(|(_, f)| (f.clone(), f))
        .collect();
    let plc: Vec<_> = tsv("plc/frames-1376-2.tsv")
        .iter()
        .filter(|r| !r[3].contains("ok=false"))
        .map(|r| {
            let wire = parse_hex(&r[2]).unwrap();
            (wire.clone(), wire)
        })
        .collect();
    vec![
        ("dlt645", dlt, |b| b == 0x68 || b == 0xFE),
        ("mbus", mbus, wired_mbus::is_start_byte),
        ("qgdw1376-2", plc, |b| b == 0x68),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Random frames of one codec in random order, random noise between them, pushed in random
    /// chunk sizes: exactly the frames come out, in order.
    #[test]
    fn random_frames_noise_and_chunking(
        codec in 0usize..3,
        picks in proptest::collection::vec((proptest::num::usize::ANY, proptest::collection::vec(proptest::num::u8::ANY, 0..6)), 1..12),
        chunks in proptest::collection::vec(1usize..40, 0..64),
    ) {
        let all = corpus();
        let (name, frames, forbidden) = &all[codec];
        let mut stream = Vec::new();
        let mut want = Vec::new();
        for (pick, noise) in &picks {
            stream.extend(noise.iter().copied().filter(|&b| !forbidden(b)));
            let (wire, frame) = &frames[pick % frames.len()];
            stream.extend_from_slice(wire);
            want.push(frame.clone());
        }
        let got = match codec {
            0 => deframe(Dlt645Framing, &stream, &chunks),
            1 => deframe(MbusFraming, &stream, &chunks),
            _ => deframe(Q1376_2, &stream, &chunks),
        };
        proptest::prop_assert_eq!(got, want, "{}", name);
    }
}
