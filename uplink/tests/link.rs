//! The `rs485_link::Framing` contract for Q/GDW 1376.1 (feature `link`): every prefix of a
//! frame is incomplete, the whole is a frame, noise is skipped, and no answer for a buffer of
//! `MAX_FRAME_LEN` bytes is `Incomplete`.
#![cfg(feature = "link")]

use proptest::prelude::*;
use qgdw1376_1::Q1376_1;
use rs485_link::{Framing, Scan};

/// Vector U02 of frames-1376-1.tsv: the master's confirm.
const U02: [u8; 20] = [
    0x68, 0x32, 0x00, 0x32, 0x00, 0x68, 0x0B, 0x00, 0x02, 0x34, 0x12, 0x00, 0x00, 0x61, 0x00, 0x00,
    0x01, 0x00, 0xB5, 0x16,
];

#[test]
fn prefixes_frame_and_noise() {
    for n in 0..U02.len() {
        assert!(
            matches!(Q1376_1.scan(&U02[..n]), Scan::Incomplete { .. }),
            "prefix {n}"
        );
    }
    assert_eq!(Q1376_1.scan(&U02), Scan::Frame { start: 0, end: 20 });
    let mut noisy = vec![0xFE, 0x00];
    noisy.extend_from_slice(&U02);
    assert_eq!(Q1376_1.scan(&noisy), Scan::Skip(2));
    // A 0x68 whose header fails (length copies differ) is dropped alone, at once.
    assert_eq!(
        Q1376_1.scan(&[0x68, 0x32, 0x00, 0x36, 0x00, 0x68]),
        Scan::Skip(1)
    );
}

proptest! {
    #[test]
    fn scan_is_total_and_inside_the_buffer(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        match Q1376_1.scan(&bytes) {
            Scan::Frame { start, end } => prop_assert!(start < end && end <= bytes.len()),
            Scan::Skip(n) => prop_assert!(n >= 1 && n <= bytes.len()),
            Scan::Incomplete { needed } => {
                prop_assert!(needed >= 1);
                prop_assert!(bytes.len() < Q1376_1::MAX_FRAME_LEN);
            }
        }
    }

    #[test]
    fn full_buffer_is_never_incomplete(head in proptest::collection::vec(any::<u8>(), 0..8)) {
        let mut buf = vec![0x68; Q1376_1::MAX_FRAME_LEN];
        buf[..head.len()].copy_from_slice(&head);
        let incomplete = matches!(Q1376_1.scan(&buf), Scan::Incomplete { .. });
        prop_assert!(!incomplete);
    }
}
