//! Every libmbus corpus file (`../shared/vectors/mbus/libmbus/{frames,error-frames,
//! unsupported-frames}`) through the link layer: the frame check, `Repr` parse/emit, the
//! request reader and the deframer, with the outcome each file should have at this layer.

// Test helpers index golden frames directly, like the tests themselves (clippy.toml).
#![allow(clippy::indexing_slicing)]

use std::fs;
use std::path::{Path, PathBuf};

use wired_mbus::{
    Address, Control, Deframer, Frame, FrameError, FrameFormat, Repr, Request, RequestError,
    ScanResult, scan,
};

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/mbus/libmbus"
);

/// Bytes of a `.hex` file: whitespace-separated hex tokens (one file, `manual_frame1.hex`,
/// starts with the odd token `D`, read here as 0x0D).
fn read_hex(path: &Path) -> Vec<u8> {
    fs::read_to_string(path)
        .unwrap()
        .split(|c: char| !c.is_ascii_hexdigit())
        .filter(|t| !t.is_empty())
        .map(|t| u8::from_str_radix(t, 16).unwrap())
        .collect()
}

fn hex_files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<_> = fs::read_dir(Path::new(CORPUS).join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "hex"))
        .collect();
    v.sort();
    v
}

/// The frame must be a checked slave reply; emit its `Repr` again and get the same bytes,
/// and the deframer must find it byte by byte.
fn assert_valid_reply<'a>(bytes: &'a [u8], name: &str) -> Frame<'a> {
    let frame = Frame::new_checked(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        matches!(frame.format(), FrameFormat::Long | FrameFormat::Control),
        "{name}"
    );
    assert!(
        matches!(frame.control(), Some(Control::RspUd { .. })),
        "{name}: {:?}",
        frame.control()
    );
    assert!(!frame.control().unwrap().is_request(), "{name}");
    // L = C + A + CI + data (EN 13757-2); the user data is what the application layer reads.
    assert_eq!(frame.user_data().len(), usize::from(bytes[1]) - 3, "{name}");
    assert_eq!(frame.ci(), Some(bytes[6]), "{name}");
    let repr = Repr::parse(&frame);
    let mut out = [0u8; 300];
    let n = repr.emit(&mut out).unwrap();
    assert_eq!(&out[..n], bytes, "{name}: emit(parse) differs");
    assert_eq!(
        Request::parse(&frame).unwrap_err(),
        RequestError::NotARequest {
            offset: 4,
            byte: bytes[4]
        }
    );
    let mut d = Deframer::new();
    let mut found = 0;
    for b in bytes {
        assert_eq!(d.push(&[*b]), 1);
        if let Some(f) = d.next_frame() {
            assert_eq!(f.as_bytes(), bytes, "{name}");
            found += 1;
        }
    }
    assert_eq!(found, 1, "{name}");
    frame
}

#[test]
fn real_meter_frames_are_valid_rsp_ud_long_frames() {
    let files = hex_files("frames");
    assert_eq!(files.len(), 51, "corpus size changed");
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy();
        let bytes = read_hex(path);
        let frame = assert_valid_reply(&bytes, &name);
        assert_eq!(frame.format(), FrameFormat::Long, "{name}");
        // Every corpus telegram is variable data (0x72) or fixed data (0x73).
        assert!(matches!(frame.ci(), Some(0x72 | 0x73)), "{name}");
    }
}

#[test]
fn error_frames_are_valid_at_the_link_layer() {
    // All 20 are well-formed RSP_UD frames; their faults are in the application layer
    // (CI 0x70 error reports, truncated records, too many DIFE/VIFE).
    let files = hex_files("error-frames");
    assert_eq!(files.len(), 20);
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = read_hex(path);
        let frame = assert_valid_reply(&bytes, &name);
        if name == "error.hex" {
            // 68 03 03 68 08 01 70 79 16: a control frame, CI 0x70 without an error byte.
            assert_eq!(frame.format(), FrameFormat::Control);
            assert!(frame.user_data().is_empty());
        }
    }
}

#[test]
fn unsupported_frames_give_the_expected_link_outcome() {
    let files = hex_files("unsupported-frames");
    assert_eq!(files.len(), 7);
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = read_hex(path);
        match name.as_str() {
            // 68 00 00 68 08 16: L = 0 cannot hold C, A and CI.
            "invalid_length.hex" => {
                assert_eq!(
                    Frame::new_checked(&bytes),
                    Err(FrameError::BadLength { offset: 1, len: 0 })
                );
                assert!(matches!(scan(&bytes), ScanResult::Garbage { skip: 1, .. }));
            }
            // Starts with the odd token `D`: no frame starts with 0x0D.
            "manual_frame1.hex" => {
                assert_eq!(
                    Frame::new_checked(&bytes),
                    Err(FrameError::BadStart {
                        offset: 0,
                        byte: 0x0D
                    })
                );
                // The scanner resyncs to the 0x68 at offset 3 and then rejects it as well
                // (68 53 FE ... is no header): no frame in this file.
                let mut d = Deframer::new();
                d.push(&bytes);
                assert!(d.next_frame().is_none());
                assert!(d.take_noise() > 0);
            }
            // Master-to-slave SND_UD frames (CI 0x51) from a manual, broadcast to 254: valid
            // frames that a slave-side reader takes as requests.
            "manual_frame4.hex" => {
                let frame = Frame::new_checked(&bytes).unwrap();
                assert!(frame.control().unwrap().is_request());
                // 01 7A 08: set primary address 8.
                assert_eq!(
                    Request::parse(&frame),
                    Ok(Request::SetPrimaryAddress {
                        address: Address::BROADCAST_REPLY,
                        fcb: false,
                        new_address: 8
                    })
                );
            }
            "manual_frame5.hex" | "manual_frame6.hex" => {
                let frame = Frame::new_checked(&bytes).unwrap();
                let req = Request::parse(&frame).unwrap();
                let Request::SendData {
                    address, ci, data, ..
                } = req
                else {
                    panic!("{name}: {req:?}");
                };
                assert_eq!((address, ci), (Address::BROADCAST_REPLY, 0x51));
                assert_eq!(data, frame.user_data());
                let mut out = [0u8; 64];
                let n = req.emit(&mut out).unwrap();
                assert_eq!(&out[..n], &bytes[..]);
            }
            // Well-formed at the link layer: a fixed-data frame one byte short of the fixed
            // structure (an application-layer error) and a telegram that libmbus parses.
            "invalid_length2.hex" | "svm_f22_telegram2.hex" => {
                assert_valid_reply(&bytes, &name);
            }
            other => panic!("unexpected corpus file {other}"),
        }
    }
}

#[test]
fn the_whole_corpus_as_one_noisy_stream() {
    // All valid frames back to back, with converter noise (FD FE A5) between them, fed in
    // 7-byte chunks: the deframer returns every frame and nothing else.
    let mut stream = Vec::new();
    let mut expected = Vec::new();
    for dir in ["frames", "error-frames"] {
        for path in hex_files(dir) {
            let bytes = read_hex(&path);
            stream.extend_from_slice(&[0xFD, 0xFE, 0xA5]);
            stream.extend_from_slice(&bytes);
            expected.push(bytes);
        }
    }
    let mut d = Deframer::new();
    let mut got = Vec::new();
    for chunk in stream.chunks(7) {
        let mut rest = chunk;
        while !rest.is_empty() {
            let n = d.push(rest);
            rest = &rest[n..];
            while let Some(f) = d.next_frame() {
                got.push(f.as_bytes().to_vec());
            }
        }
    }
    assert_eq!(got, expected);
    assert_eq!(d.take_noise(), 3 * expected.len());
}
