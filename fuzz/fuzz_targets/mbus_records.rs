//! The M-Bus application layer on arbitrary bytes: first byte the CI field, the rest the user
//! data. Records, values, descriptions and the libmbus XML must never panic; every data
//! record that can be re-emitted must parse back and re-emit to the same bytes (bytes →
//! parse → emit → parse → emit equal).

#![no_main]

use libfuzzer_sys::fuzz_target;
use wired_mbus::app::libmbus::{XmlError, XmlSink, write_normalized};
use wired_mbus::app::{
    ParseOptions, PlainTextMode, PlainTextPlacement, RecordKind, RecordRepr, Records, UserData,
};

/// Counts the XML bytes (no allocation needed).
struct Count(usize);

impl XmlSink for Count {
    fn put_str(&mut self, s: &str) -> Result<(), XmlError> {
        self.0 += s.len();
        Ok(())
    }
    fn put_byte(&mut self, _: u8) -> Result<(), XmlError> {
        self.0 += 1;
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&ci, user)) = data.split_first() else {
        return;
    };
    let _ = write_normalized(&mut Count(0), ci, user);
    let Ok(UserData::Variable(v)) = UserData::parse(ci, user) else {
        return;
    };
    let _ = v.more_records_follow();
    for r in v.records().flatten() {
        let _ = (r.describe(), r.number(), r.bcd_invalid());
        if r.kind() != RecordKind::Data {
            continue;
        }
        let Some(repr) = RecordRepr::from_record(&r) else {
            continue;
        };
        let mut buf = [0u8; 512];
        let Ok(n) = repr.emit(&mut buf) else { continue };
        let mode = match repr.vib.placement() {
            PlainTextPlacement::AfterVif => PlainTextMode::AfterVif,
            PlainTextPlacement::AfterVifes => PlainTextMode::AfterVifes,
        };
        let opts = ParseOptions {
            plain_text: mode,
            byte_order: r.byte_order(),
        };
        let mut again = Records::new(&buf[..n], 0, opts);
        let back = again.next().expect("one record").expect("re-parses");
        // Compare bytes, not values: a NaN real is not equal to itself.
        let back = RecordRepr::from_record(&back).expect("a data record");
        let mut buf2 = [0u8; 512];
        let m = back.emit(&mut buf2).expect("re-emits");
        assert_eq!(buf2.get(..m), buf.get(..n));
        assert!(again.next().is_none());
    }
});
