//! Q/GDW 1376.1 frames: any bytes -> checked view -> repr -> emit -> the same bytes -> the
//! same repr; every data unit the catalogue knows decodes without panic, and one that decodes
//! re-emits and parses to the same value. Also the scan function and the stream scanner on
//! arbitrary chunking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qgdw1376_1::{Data, Frame, FrameRepr, Scanner, scan};

fuzz_target!(|data: &[u8]| {
    let _ = scan(data, 20_000);
    if let Ok(frame) = Frame::new_checked(data)
        && let Ok(repr) = FrameRepr::parse(&frame)
    {
        let mut out = vec![0u8; repr.buffer_len()];
        let n = repr.emit(&mut out).expect("a parsed frame emits");
        assert_eq!(&out[..n], data, "parse then emit reproduces the wire");
        let again = FrameRepr::parse_bytes(&out).expect("emitted frame parses");
        assert_eq!(again, repr);
        for unit in repr.data_units() {
            let Ok(unit) = unit else { break };
            if let (Ok(Some(d)), Some(layout)) = (unit.data(), unit.layout) {
                let mut buf = vec![0u8; d.buffer_len()];
                let n = d.emit(&mut buf).expect("a decoded unit emits");
                assert_eq!(n, unit.data.len(), "same length as on the wire");
                let back = Data::parse(layout, unit.fn_number, &buf).expect("re-parses");
                assert_eq!(back, d);
            }
        }
    }
    let mut s = Scanner::<4096>::new();
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
