//! Secondary addresses as 16 hex digits, the way libmbus and pyMeterBus write them.
//!
//! The text is the ID digits as written (`12345678`), then the manufacturer, version and
//! medium bytes in the order they are sent (manufacturer LSB first). libmbus prints its
//! secondary addresses so (`mbus_frame_get_secondary_address`: `%08lX` of the ID, then
//! the two manufacturer bytes as stored in the header, then version and medium) and
//! pyMeterBus's `send_select_frame` puts the text back on the wire in that order, so an
//! address printed by `scan-secondary` can be pasted into either tool and back.

use wired_mbus::{SecondaryAddress, SecondaryMask};

/// 16 hex digits (upper or lower case; `F` nibbles are wildcards) as a mask.
pub(crate) fn parse(s: &str) -> Option<SecondaryMask> {
    if s.len() != 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let id = u32::from_str_radix(s.get(..8)?, 16).ok()?.to_le_bytes();
    let tail = u32::from_str_radix(s.get(8..)?, 16).ok()?.to_be_bytes();
    let [i0, i1, i2, i3] = id;
    let [m0, m1, v, d] = tail;
    Some(SecondaryMask::from_bytes([i0, i1, i2, i3, m0, m1, v, d]))
}

fn text(bytes: [u8; 8]) -> String {
    let [i0, i1, i2, i3, m0, m1, v, d] = bytes;
    format!(
        "{:08X}{m0:02X}{m1:02X}{v:02X}{d:02X}",
        u32::from_le_bytes([i0, i1, i2, i3])
    )
}

/// The 16 hex digits of an address.
pub(crate) fn format(a: SecondaryAddress) -> String {
    text(a.to_bytes())
}

/// The 16 hex digits of a mask.
pub(crate) fn format_mask(m: SecondaryMask) -> String {
    text(m.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_id_then_wire_bytes() {
        // libmbus corpus `GWF-MTKcoder.hex`: header 07 20 18 00 E6 1E 35 07.
        let a = SecondaryAddress::from_bytes([0x07, 0x20, 0x18, 0x00, 0xE6, 0x1E, 0x35, 0x07]);
        assert_eq!(format(a), "00182007E61E3507");
        let m = parse("00182007e61e3507").unwrap();
        assert!(m.is_exact());
        assert!(m.matches(a));
        assert_eq!(format_mask(m), "00182007E61E3507");
        let w = parse("00182007FFFFFFFF").unwrap();
        assert_eq!(w, SecondaryMask::id(0x0018_2007));
        assert!(parse("0018200").is_none());
        assert!(parse("00182007E61E35G7").is_none());
    }
}
