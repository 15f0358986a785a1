//! The multi-telegram rule against libmbus: a corpus frame asks to be polled again exactly
//! when libmbus's normalized XML (`.norm.xml`) shows a "More records follow" record.

use std::fs;
use std::path::Path;

use wired_mbus::{Frame, more_records_follow};

const FRAMES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/mbus/libmbus/frames"
);

#[test]
fn more_records_follow_agrees_with_libmbus_on_every_corpus_frame() {
    let mut dir: Vec<_> = fs::read_dir(FRAMES)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "hex"))
        .collect();
    dir.sort();
    let (mut checked, mut more) = (0, 0);
    for path in &dir {
        let bytes: Vec<u8> = fs::read_to_string(path)
            .unwrap()
            .split_whitespace()
            .map(|t| u8::from_str_radix(t, 16).unwrap())
            .collect();
        let xml = fs::read(Path::new(path).with_extension("norm.xml")).unwrap();
        let libmbus = String::from_utf8_lossy(&xml).contains("More records follow");
        let frame = Frame::new_checked(&bytes).unwrap();
        assert_eq!(more_records_follow(&frame), libmbus, "{}", path.display());
        checked += 1;
        more += usize::from(libmbus);
    }
    assert_eq!((checked, more), (51, 9));
}
