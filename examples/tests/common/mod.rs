//! What several of these test programs share: DL/T 645 addresses, requests as a master sends
//! them, and the captured frames of `shared/vectors/dlt645/frames.tsv`.
#![allow(dead_code)] // each test program uses a part

use dlt645::{Address, Repr, Request};
use examples::parse_hex;

/// The captured DL/T 645 frames, one `id<TAB>hex<TAB>...` line each.
pub(crate) const DLT645_FRAMES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/dlt645/frames.tsv"
));

/// The frame of vector `id`, as listed (with its wake-up bytes, if any).
pub(crate) fn vector(id: &str) -> Vec<u8> {
    let line = DLT645_FRAMES
        .lines()
        .find(|l| l.split('\t').next() == Some(id))
        .unwrap_or_else(|| panic!("vector {id} missing"));
    parse_hex(line.split('\t').nth(1).unwrap()).unwrap()
}

/// The meter address with number `n`.
pub(crate) fn addr(n: u64) -> Address {
    Address::from_number(n).unwrap()
}

/// Request `r` to `to`, behind four FE wake-up bytes as a master sends it.
pub(crate) fn request(to: Address, r: Request<'_>) -> Vec<u8> {
    let repr = Repr::request(to, r);
    let mut buf = vec![0xFE; 4 + repr.buffer_len()];
    repr.emit(&mut buf[4..]).unwrap();
    buf
}
