//! What the libmbus corpus tests share: where the corpus is and how its `.hex` files read.

use std::fs;
use std::path::Path;

/// libmbus's committed test corpus (`shared/vectors/mbus/libmbus`).
pub(crate) const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/mbus/libmbus"
);

/// The bytes of a corpus `.hex` file: its hex digits taken two by two, whatever separates
/// them (an odd digit left at the end is dropped).
pub(crate) fn hex(path: &Path) -> Vec<u8> {
    let text = fs::read_to_string(path).unwrap();
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .filter(|c| c.len() == 2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
        .collect()
}
