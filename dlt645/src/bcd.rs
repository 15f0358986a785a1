//! Packed BCD and the +0x33 scrambling (DL/T 645-2007 §7.3 and the same rule in 1997:
//! every DATA byte is sent as `b + 0x33`).

/// The offset added to every DATA byte on the wire.
pub const SCRAMBLE: u8 = 0x33;

/// One packed-BCD byte to its value 0..=99, or `None` if a nibble is above 9.
#[inline]
pub(crate) fn decode(b: u8) -> Option<u8> {
    let hi = b >> 4;
    let lo = b & 0x0F;
    if hi > 9 || lo > 9 {
        None
    } else {
        Some(hi * 10 + lo)
    }
}

/// A value 0..=99 to one packed-BCD byte, or `None` above 99.
#[inline]
pub(crate) fn encode(v: u8) -> Option<u8> {
    if v > 99 {
        None
    } else {
        Some(((v / 10) << 4) | (v % 10))
    }
}
