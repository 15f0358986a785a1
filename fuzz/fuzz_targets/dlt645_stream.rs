//! DL/T 645 stream scanner under arbitrary chunking: the push/pull scanner yields exactly the
//! frames `dlt645::frames` finds in the whole stream, in order, each one checked.
#![no_main]

use dlt645::{Frame, Scan, Scanner, frames, scan};
use libfuzzer_sys::fuzz_target;
use meterline_fuzz::chunked;

fuzz_target!(|data: &[u8]| {
    let stream = data.get(1..).unwrap_or(&[]);
    let whole: Vec<&[u8]> = frames(stream).map(|(_, f)| f.frame_slice()).collect();

    let mut scanner: Scanner = Scanner::new();
    let mut got: Vec<Vec<u8>> = Vec::new();
    for chunk in chunked(data) {
        let mut rest = chunk;
        while !rest.is_empty() {
            let n = scanner.push(rest);
            rest = &rest[n..];
            while let Some(f) = scanner.next_frame() {
                assert!(Frame::new_checked(f.frame_bytes()).is_ok());
                got.push(f.frame_bytes().to_vec());
            }
        }
    }
    assert_eq!(got.len(), whole.len(), "chunking changed the frames found");
    for (a, b) in got.iter().zip(&whole) {
        assert_eq!(&a[..], *b);
    }
    // The pure scan answers within the buffer.
    match scan(stream) {
        Scan::Frame { start, end } => assert!(start < end && end <= stream.len()),
        Scan::Skip(n) => assert!(n >= 1 && n <= stream.len()),
        Scan::Incomplete { needed } => assert!(needed >= 1 && stream.len() < dlt645::MAX_SCAN_LEN),
    }
});
