//! M-Bus deframer: any stream in any chunking gives the same checked frames as the stream
//! pushed in one piece, and never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meterline_fuzz::chunked;
use wired_mbus::{Deframer, Frame};

fn frames<'a>(chunks: impl Iterator<Item = &'a [u8]>) -> Vec<Vec<u8>> {
    let mut d = Deframer::new();
    let mut out = Vec::new();
    for chunk in chunks {
        let mut rest = chunk;
        while !rest.is_empty() {
            let n = d.push(rest);
            rest = &rest[n..];
            while let Some(f) = d.next_frame() {
                assert!(Frame::new_checked(f.as_bytes()).is_ok());
                out.push(f.as_bytes().to_vec());
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let stream = data.get(1..).unwrap_or(&[]);
    let whole = frames(core::iter::once(stream));
    let pieces = frames(chunked(data));
    assert_eq!(whole, pieces);
});
