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

/// Eight bytes of 0x33: the scrambling offset in every byte lane of a `u64`.
const SCRAMBLE_LANES: u64 = 0x3333_3333_3333_3333;

/// The low `n` bytes of a `u64` set (`n` in 1..=8).
#[inline]
pub(crate) fn lane_mask(n: usize) -> u64 {
    u64::MAX >> (64 - 8 * n.clamp(1, 8))
}

/// Up to 8 bytes as a little-endian `u64` (missing high bytes zero), loaded with at most two
/// overlapping fixed-size reads instead of a byte loop; `None` for an empty or longer slice.
#[inline]
pub(crate) fn load_le(raw: &[u8]) -> Option<u64> {
    let n = raw.len();
    let word = |at: usize| -> Option<u64> {
        Some(u64::from(u32::from_le_bytes(
            raw.get(at..at + 4)?.try_into().ok()?,
        )))
    };
    let half = |at: usize| -> Option<u64> {
        Some(u64::from(u16::from_le_bytes(
            raw.get(at..at + 2)?.try_into().ok()?,
        )))
    };
    // The two reads overlap when n < 8 (or n < 4); overlapping bytes land on the same lanes
    // with the same values, so OR-ing them is exact.
    Some(match n {
        8 => u64::from_le_bytes(raw.try_into().ok()?),
        4..=7 => word(0)? | (word(n - 4)? << (8 * (n - 4))),
        2..=3 => half(0)? | (half(n - 2)? << (8 * (n - 2))),
        1 => u64::from(*raw.first()?),
        _ => return None,
    })
}

/// Take 0x33 off each of the low `n` byte lanes of `x` (each byte wraps on its own, no borrow
/// crosses a lane): the unscrambling of §7.3, eight bytes at a time.
#[inline]
pub(crate) fn unscramble_lanes(x: u64, n: usize) -> u64 {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let y = SCRAMBLE_LANES & lane_mask(n);
    // Per-lane subtraction: borrow out of bit 7 is kept inside the lane by setting it first,
    // then bit 7 is fixed up by XOR (0x33 has bit 7 clear, so `y & !HIGH == y`).
    ((x | HIGH) - y) ^ ((x ^ !y) & HIGH)
}

/// Packed BCD in the byte lanes of `v` (lane 0 = the lowest two digits, as DL/T 645 sends
/// them) to its value, or `None` if a nibble is above 9. Exact for all 16 digits.
#[inline]
pub(crate) fn decode_lanes(v: u64) -> Option<u64> {
    // A nibble is above 9 exactly when its bit 3 and one of bits 2, 1 are set.
    if (v >> 3) & ((v >> 2) | (v >> 1)) & 0x1111_1111_1111_1111 != 0 {
        return None;
    }
    // Each byte to 0..=99, then pairs of bytes to 0..=9999, pairs of those to 0..=99999999,
    // and the two halves: no lane overflows at any step.
    let v = (v & 0x0F0F_0F0F_0F0F_0F0F) + ((v >> 4) & 0x0F0F_0F0F_0F0F_0F0F) * 10;
    let v = (v & 0x00FF_00FF_00FF_00FF) + ((v >> 8) & 0x00FF_00FF_00FF_00FF) * 100;
    let v = (v & 0x0000_FFFF_0000_FFFF) + ((v >> 16) & 0x0000_FFFF_0000_FFFF) * 10_000;
    Some((v & 0xFFFF_FFFF) + (v >> 32) * 100_000_000)
}

/// [`unscramble_lanes`] for at most 4 bytes in a `u32` (32-bit masks are immediates).
#[inline]
pub(crate) fn unscramble4(x: u32, n: usize) -> u32 {
    const HIGH: u32 = 0x8080_8080;
    let y = 0x3333_3333 & (u32::MAX >> (32 - 8 * n.clamp(1, 4)));
    ((x | HIGH) - y) ^ ((x ^ !y) & HIGH)
}

/// [`decode_lanes`] for 8 digits in a `u32`.
#[inline]
pub(crate) fn decode4(v: u32) -> Option<u32> {
    // A nibble is above 9 exactly when adding 6 to it carries into the next nibble: add 6 to
    // every nibble at once (in 64 bits, so the top nibble's carry is kept) and compare each
    // nibble's low bit with what it would be without carries in.
    let w = u64::from(v);
    if ((w + 0x6666_6666) ^ w ^ 0x6666_6666) & 0x1_1111_1110 != 0 {
        return None;
    }
    // Each step replaces a pair of digit groups `hi × base + lo` by `hi × 10^k + lo`, i.e.
    // subtracts `hi × (base − 10^k)`: bytes (16 → 10), 16-bit lanes (256 → 100), halves
    // (65536 → 10000). No lane borrows, as each lane's value only shrinks.
    let v = v - ((v >> 4) & 0x0F0F_0F0F) * 6;
    let v = v - ((v >> 8) & 0x00FF_00FF) * 156;
    Some(v - (v >> 16) * 55_536)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `decode4` (carry test, subtract-multiply steps) agrees with the byte-at-a-time
    /// definition on every 32-bit word whose nibbles are drawn from 0, 9, A, F (each nibble
    /// at the edge of valid), and on a million pseudo-random words.
    #[test]
    fn decode4_matches_bytes() {
        let by_bytes = |v: u32| {
            v.to_le_bytes()
                .iter()
                .rev()
                .try_fold(0u32, |s, b| Some(s * 100 + u32::from(decode(*b)?)))
        };
        for i in 0..4u32.pow(8) {
            let v = (0..8).fold(0u32, |v, k| {
                v | [0x0, 0x9, 0xA, 0xF][((i >> (2 * k)) & 3) as usize] << (4 * k)
            });
            assert_eq!(decode4(v), by_bytes(v), "{v:08X}");
        }
        let mut v = 1u32;
        for _ in 0..1_000_000 {
            v = v.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            assert_eq!(decode4(v), by_bytes(v), "{v:08X}");
        }
    }

    /// The lane helpers agree with the byte-at-a-time definitions.
    #[test]
    fn lanes_match_bytes() {
        for b in 0..=255u8 {
            for n in 1..=8 {
                for at in 0..n {
                    let mut raw = [0x42u8; 8];
                    raw[at] = b;
                    let raw = &raw[..n];
                    let x = load_le(raw).unwrap();
                    let mut want = [0u8; 8];
                    want[..n].copy_from_slice(raw);
                    assert_eq!(x, u64::from_le_bytes(want));
                    let plain = unscramble_lanes(x, n);
                    for (i, w) in want.iter_mut().enumerate().take(n) {
                        *w = raw[i].wrapping_sub(SCRAMBLE);
                    }
                    assert_eq!(
                        plain,
                        u64::from_le_bytes(want),
                        "n {n} at {at} byte {b:02X}"
                    );
                    let mut by_bytes = Some(0u64);
                    for p in want[..n].iter().rev() {
                        by_bytes = by_bytes.and_then(|s| Some(s * 100 + u64::from(decode(*p)?)));
                    }
                    assert_eq!(decode_lanes(plain), by_bytes, "n {n} at {at} byte {b:02X}");
                    if n <= 4 {
                        let p4 = unscramble4(x as u32, n);
                        assert_eq!(u64::from(p4), plain);
                        assert_eq!(decode4(p4).map(u64::from), by_bytes);
                    }
                }
            }
        }
        assert_eq!(load_le(&[]), None);
        assert_eq!(load_le(&[0; 9]), None);
        assert_eq!(
            decode_lanes(0x9999_9999_9999_9999),
            Some(9_999_999_999_999_999)
        );
    }
}
