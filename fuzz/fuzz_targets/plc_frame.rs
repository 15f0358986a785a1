//! Q/GDW 1376.2 frames: any bytes -> checked view -> repr (both editions) -> emit -> the same
//! bytes -> the same repr. Also the scan function and the stream scanner on arbitrary chunking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qgdw1376_2::{Edition, Frame, FrameRepr, Scanner, scan};

fuzz_target!(|data: &[u8]| {
    let _ = scan(data, 2048);
    if let Ok(frame) = Frame::new_checked(data) {
        for ed in [Edition::V2009, Edition::V2013] {
            if let Ok(repr) = FrameRepr::parse(&frame, ed) {
                let mut out = vec![0u8; repr.buffer_len()];
                let n = repr.emit(&mut out).expect("a parsed frame emits");
                assert_eq!(&out[..n], data, "parse then emit reproduces the wire");
                let again = FrameRepr::parse_bytes(&out, ed).expect("emitted frame parses");
                assert_eq!(again, repr);
            }
        }
    }
    let mut s = Scanner::<2048>::new();
    for chunk in meterline_fuzz::chunked(data) {
        let mut rest = chunk;
        while !rest.is_empty() {
            let n = s.push(rest);
            rest = &rest[n..];
            while let Some(f) = s.next_frame() {
                assert!(Frame::new_checked(f.as_bytes()).is_ok());
            }
        }
    }
});
