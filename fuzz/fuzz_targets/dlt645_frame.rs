//! DL/T 645 frames: bytes -> check -> parse -> emit -> parse gives the same representation,
//! and the emitted bytes are the frame itself; values of every reply decode without panic.
#![no_main]

use dlt645::{Body, Edition, Frame, Repr};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(frame) = Frame::new_checked(data) else {
        return;
    };
    for hint in [None, Some(Edition::V2007), Some(Edition::V1997)] {
        let Ok(repr) = Repr::parse_as(&frame, hint) else {
            continue;
        };
        if let Body::Reply(r) = repr.body {
            for item in r.values().into_iter().flatten() {
                let _ = core::hint::black_box(item.value);
            }
        }
        let mut buf = [0u8; 300];
        let n = repr.emit(&mut buf).expect("a parsed frame emits");
        assert_eq!(&buf[..n], frame.frame_bytes(), "re-emit differs");
        let again = Frame::new_checked(&buf[..n]).expect("emitted frame checks");
        let back = Repr::parse_as(&again, hint).expect("emitted frame parses");
        assert_eq!(back, repr);
    }
});
