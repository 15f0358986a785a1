//! M-Bus frame layer: any bytes through `Frame::new_checked`; a frame that checks must emit
//! back to the same bytes (parse -> emit -> parse), and so must a request read from it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wired_mbus::{Frame, MAX_FRAME_LEN, Repr, Request};

fuzz_target!(|data: &[u8]| {
    let _ = wired_mbus::scan(data);
    let Ok((frame, len)) = Frame::parse_prefix(data) else {
        return;
    };
    let bytes = &data[..len];
    let repr = Repr::parse(&frame);
    let mut buf = [0u8; MAX_FRAME_LEN];
    let n = repr.emit(&mut buf).expect("a parsed frame emits");
    assert_eq!(&buf[..n], bytes);
    let again = Frame::new_checked(&buf[..n]).expect("emitted frame checks");
    assert_eq!(Repr::parse(&again), repr);
    if let Ok(req) = Request::parse(&frame) {
        let n = req.emit(&mut buf).expect("a parsed request emits");
        assert_eq!(&buf[..n], bytes);
        let again = Frame::new_checked(&buf[..n]).expect("emitted request checks");
        assert_eq!(Request::parse(&again), Ok(req));
    }
});
