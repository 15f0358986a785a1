//! Secondary addresses (identification number, manufacturer, version, medium) and the
//! wildcard masks a master selects them with (CI 0x52).

use crate::app::{ByteOrder, LongHeader};

/// The eight bytes that identify a slave on the network layer, in the order of the variable
/// data header (EN 13757-3, long header): ID (4 bytes packed BCD, LSB first), manufacturer
/// (2 bytes, LSB first), version, medium.
///
/// Held as one `u64` (`IIIIIIIIMMMMVVDD`: ID digits, manufacturer code as a number, version,
/// medium), so that the 16 nibbles are the 16 positions of a wildcard search.
///
/// Its text ([`Display`](core::fmt::Display), [`FromStr`](core::str::FromStr)) is the one
/// libmbus and pyMeterBus use, which differs from [`as_u64`](Self::as_u64) in the manufacturer:
/// see [`SecondaryMask`]'s text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecondaryAddress(u64);

impl SecondaryAddress {
    /// Build from the fields. `id` is the packed BCD value as written (`0x12345678` for
    /// ID 12345678).
    pub const fn new(id: u32, manufacturer: u16, version: u8, medium: u8) -> Self {
        SecondaryAddress(
            ((id as u64) << 32)
                | ((manufacturer as u64) << 16)
                | ((version as u64) << 8)
                | medium as u64,
        )
    }

    /// Read the 8 wire bytes (the first 8 bytes of a long header).
    pub const fn from_bytes(b: [u8; 8]) -> Self {
        Self::new(
            u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            u16::from_le_bytes([b[4], b[5]]),
            b[6],
            b[7],
        )
    }

    /// The 8 wire bytes.
    pub const fn to_bytes(self) -> [u8; 8] {
        let id = self.id().to_le_bytes();
        let m = self.manufacturer().to_le_bytes();
        [
            id[0],
            id[1],
            id[2],
            id[3],
            m[0],
            m[1],
            self.version(),
            self.medium(),
        ]
    }

    /// The identification number as packed BCD (`0x12345678` is ID 12345678).
    pub const fn id(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// The manufacturer code (three letters, 5 bits each).
    pub const fn manufacturer(self) -> u16 {
        (self.0 >> 16) as u16
    }

    /// The version (generation) byte.
    pub const fn version(self) -> u8 {
        (self.0 >> 8) as u8
    }

    /// The medium (device type) byte.
    pub const fn medium(self) -> u8 {
        self.0 as u8
    }

    /// The address in the long header of a variable-data telegram (CI 0x72, or 0x76 with
    /// its fields MSB first), read by the application layer. `None` for other CIs or a
    /// telegram shorter than the header.
    pub fn from_long_header(ci: u8, user_data: &[u8]) -> Option<Self> {
        let order = match ci {
            0x72 => ByteOrder::LsbFirst,
            0x76 => ByteOrder::MsbFirst,
            _ => return None,
        };
        LongHeader::parse(ci, user_data, order).ok().map(Self::from)
    }

    /// The 16 nibbles as one number, most significant ID digit first, the manufacturer as its
    /// 16-bit code (so `GWF` is `1EE6`); not the libmbus text (see [`Display`](core::fmt::Display)).
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// From the 16 nibbles as one number.
    pub const fn from_u64(v: u64) -> Self {
        SecondaryAddress(v)
    }
}

/// Why a secondary address or mask text could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SecondaryTextError {
    /// Not 16 characters long.
    #[error("a secondary address is 16 hex digits, found {len} characters")]
    Length {
        /// The length found.
        len: usize,
    },
    /// A character that is not a hex digit.
    #[error("not a hex digit at character {offset}")]
    NotHex {
        /// Offset of the character.
        offset: usize,
    },
    /// An address (not a mask) with a wildcard nibble `F`.
    #[error("wildcard nibble at character {offset} in an exact address")]
    Wildcard {
        /// Offset of the nibble.
        offset: usize,
    },
}

/// The libmbus / pyMeterBus text of 8 header bytes: the ID digits as written, then the
/// manufacturer, version and medium bytes in wire order (manufacturer LSB first).
///
/// libmbus prints secondary addresses so (`mbus_frame_get_secondary_address`: `%08X` of the
/// ID, then the two manufacturer bytes as they stand in the header, then version and medium),
/// and pyMeterBus's `send_select_frame` puts such a text back on the wire in that order; the
/// libmbus corpus frame `GWF-MTKcoder.hex` (header `07 20 18 00 E6 1E 35 07`) reads
/// `00182007E61E3507`.
fn write_text(f: &mut core::fmt::Formatter<'_>, b: [u8; 8]) -> core::fmt::Result {
    let [i0, i1, i2, i3, m0, m1, v, d] = b;
    write!(
        f,
        "{:08X}{m0:02X}{m1:02X}{v:02X}{d:02X}",
        u32::from_le_bytes([i0, i1, i2, i3])
    )
}

/// Reads the text [`write_text`] writes (upper or lower case) back into 8 header bytes.
fn read_text(s: &str) -> Result<[u8; 8], SecondaryTextError> {
    if s.len() != 16 {
        return Err(SecondaryTextError::Length { len: s.len() });
    }
    // Two digits a byte, in the order written.
    let mut written = [0u8; 8];
    let mut digits = s.chars().enumerate();
    for byte in written.iter_mut() {
        for _ in 0..2 {
            let (offset, c) = digits
                .next()
                .ok_or(SecondaryTextError::Length { len: s.len() })?;
            let d = c
                .to_digit(16)
                .ok_or(SecondaryTextError::NotHex { offset })?;
            *byte = (*byte << 4) | d as u8;
        }
    }
    // The ID is written most significant digit first and sent LSB first; the rest is written
    // in wire order.
    let [i3, i2, i1, i0, m0, m1, v, d] = written;
    Ok([i0, i1, i2, i3, m0, m1, v, d])
}

impl core::fmt::Display for SecondaryAddress {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write_text(f, self.to_bytes())
    }
}

impl core::str::FromStr for SecondaryAddress {
    type Err = SecondaryTextError;

    /// The 16 hex digits of an exact address (no wildcard nibble).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mask: SecondaryMask = s.parse()?;
        match (0..SecondaryMask::POSITIONS).find(|&p| mask.nibble(p) == 0xF) {
            Some(p) => Err(SecondaryTextError::Wildcard {
                offset: text_offset(p),
            }),
            None => Ok(SecondaryAddress(mask.as_u64())),
        }
    }
}

/// The character of the libmbus text that holds nibble `position` of the `u64` form (they
/// differ only in the manufacturer, whose two bytes are swapped in the text).
const fn text_offset(position: usize) -> usize {
    match position {
        8..=9 => position + 2,
        10..=11 => position - 2,
        _ => position,
    }
}

impl From<LongHeader> for SecondaryAddress {
    fn from(h: LongHeader) -> Self {
        SecondaryAddress::new(h.id.0, h.manufacturer.0, h.version, h.medium)
    }
}

/// A selection pattern: a [`SecondaryAddress`] in which any nibble may be `F`, meaning "any
/// value here".
///
/// EN 13757-3 names whole-field wildcards for manufacturer (`FFFF`), version and medium (`FF`)
/// and per-digit wildcards in the BCD identification number; slaves in the field (and
/// libmbus's search) also apply per-nibble wildcards to the other fields, which the wildcard
/// search relies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecondaryMask(u64);

impl SecondaryMask {
    /// Every nibble a wildcard: every slave matches.
    pub const ALL: SecondaryMask = SecondaryMask(u64::MAX);
    /// The number of nibble positions.
    pub const POSITIONS: usize = 16;

    /// The mask that matches exactly one address.
    pub const fn exact(address: SecondaryAddress) -> Self {
        SecondaryMask(address.as_u64())
    }

    /// A mask for one identification number (packed BCD), everything else wildcarded.
    pub const fn id(id: u32) -> Self {
        SecondaryMask(((id as u64) << 32) | 0xFFFF_FFFF)
    }

    /// From the 16 nibbles as one number (`0x12345678FFFFFFFF`).
    pub const fn from_u64(v: u64) -> Self {
        SecondaryMask(v)
    }

    /// The 16 nibbles as one number.
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// Read the 8 bytes of a CI 0x52 payload.
    pub const fn from_bytes(b: [u8; 8]) -> Self {
        SecondaryMask(SecondaryAddress::from_bytes(b).as_u64())
    }

    /// The 8 bytes of a CI 0x52 payload.
    pub const fn to_bytes(self) -> [u8; 8] {
        SecondaryAddress::from_u64(self.0).to_bytes()
    }

    /// The nibble at `position` (0 = the most significant ID digit, 15 = the low nibble of
    /// the medium); positions past 15 read as a wildcard.
    pub const fn nibble(self, position: usize) -> u8 {
        if position >= Self::POSITIONS {
            return 0xF;
        }
        ((self.0 >> (60 - 4 * position)) & 0xF) as u8
    }

    /// The same mask with `position` set to `value` (low 4 bits); positions past 15 are ignored.
    pub const fn with_nibble(self, position: usize, value: u8) -> Self {
        if position >= Self::POSITIONS {
            return self;
        }
        let shift = 60 - 4 * position;
        SecondaryMask((self.0 & !(0xF << shift)) | (((value & 0xF) as u64) << shift))
    }

    /// Whether the mask has no wildcard nibble left.
    pub const fn is_exact(self) -> bool {
        let mut p = 0;
        while p < Self::POSITIONS {
            if self.nibble(p) == 0xF {
                return false;
            }
            p += 1;
        }
        true
    }

    /// Whether more than one address can match (some nibble is a wildcard); a request with
    /// such a mask may draw a collision.
    pub const fn is_wildcard(self) -> bool {
        !self.is_exact()
    }

    /// Whether `address` matches, nibble by nibble.
    pub const fn matches(self, address: SecondaryAddress) -> bool {
        let mut p = 0;
        while p < Self::POSITIONS {
            let m = self.nibble(p);
            if m != 0xF && m != SecondaryMask(address.as_u64()).nibble(p) {
                return false;
            }
            p += 1;
        }
        true
    }
}

impl core::fmt::Display for SecondaryMask {
    /// The libmbus text, `F` nibbles standing for wildcards.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write_text(f, self.to_bytes())
    }
}

impl core::str::FromStr for SecondaryMask {
    type Err = SecondaryTextError;

    /// 16 hex digits in the libmbus text; `F` nibbles are wildcards.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        read_text(s).map(SecondaryMask::from_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_order_of_the_captured_selection() {
        // Notes 1.5: selecting ID 12345678 sends 78 56 34 12 FF FF FF FF.
        let m = SecondaryMask::id(0x1234_5678);
        assert_eq!(
            m.to_bytes(),
            [0x78, 0x56, 0x34, 0x12, 0xFF, 0xFF, 0xFF, 0xFF]
        );
        assert_eq!(m.nibble(0), 1);
        assert_eq!(m.nibble(7), 8);
        assert_eq!(m.nibble(8), 0xF);
        assert!(m.is_wildcard());
    }

    #[test]
    fn address_of_a_real_long_header() {
        // libmbus corpus `GWF-MTKcoder.hex`: ID 00182007, GWF, version 0x35, water (7).
        let data = [
            0x07, 0x20, 0x18, 0x00, 0xE6, 0x1E, 0x35, 0x07, 0x4C, 0x00, 0x00, 0x00,
        ];
        let a = SecondaryAddress::from_long_header(0x72, &data).unwrap();
        assert_eq!(a, SecondaryAddress::new(0x0018_2007, 0x1EE6, 0x35, 0x07));
        assert_eq!(a.to_bytes(), data[..8]);
        assert_eq!(SecondaryAddress::from_long_header(0x78, &data), None);
        assert_eq!(SecondaryAddress::from_long_header(0x72, &data[..11]), None);
    }

    #[test]
    fn libmbus_text() {
        extern crate std;
        use std::string::ToString;
        // libmbus corpus `GWF-MTKcoder.hex`: header 07 20 18 00 E6 1E 35 07, which libmbus
        // prints as 00182007E61E3507 (manufacturer bytes in wire order).
        let a = SecondaryAddress::from_bytes([0x07, 0x20, 0x18, 0x00, 0xE6, 0x1E, 0x35, 0x07]);
        assert_eq!(a.to_string(), "00182007E61E3507");
        assert_eq!("00182007e61e3507".parse(), Ok(a));
        let m: SecondaryMask = "00182007E61E3507".parse().unwrap();
        assert!(m.is_exact() && m.matches(a));
        assert_eq!(m.to_string(), "00182007E61E3507");
        assert_eq!(
            "00182007FFFFFFFF".parse(),
            Ok(SecondaryMask::id(0x0018_2007))
        );
        assert_eq!(
            "0018200".parse::<SecondaryMask>(),
            Err(SecondaryTextError::Length { len: 7 })
        );
        assert_eq!(
            "00182007E61E35G7".parse::<SecondaryMask>(),
            Err(SecondaryTextError::NotHex { offset: 14 })
        );
        // Nibble 8 of the u64 form is the manufacturer's high nibble: character 10 of the text.
        assert_eq!(
            "00182007E6FE3507".parse::<SecondaryAddress>(),
            Err(SecondaryTextError::Wildcard { offset: 10 })
        );
    }

    #[test]
    fn nibble_matching() {
        // Header of the libmbus frame `GWF-MTKcoder.hex` style: ID, "GWF", version, water.
        let a = SecondaryAddress::new(0x1234_5678, 0x1E77, 0x3C, 0x07);
        assert_eq!(SecondaryAddress::from_bytes(a.to_bytes()), a);
        assert!(SecondaryMask::ALL.matches(a));
        assert!(SecondaryMask::exact(a).matches(a));
        assert!(SecondaryMask::ALL.with_nibble(0, 1).matches(a));
        assert!(!SecondaryMask::ALL.with_nibble(0, 2).matches(a));
        assert!(SecondaryMask::ALL.with_nibble(11, 7).matches(a));
        assert!(!SecondaryMask::ALL.with_nibble(15, 0xA).matches(a));
        assert!(SecondaryMask::exact(a).is_exact());
    }
}
