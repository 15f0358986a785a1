//! The one error type of the codec: what was wrong and where.

use thiserror::Error as ThisError;

/// Why a frame or a representation was rejected.
///
/// Offsets count from the first byte of the buffer handed to [`Frame::new_checked`]
/// (wake-up bytes included), so a caller can point at the faulty byte.
///
/// [`Frame::new_checked`]: crate::Frame::new_checked
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ThisError)]
#[non_exhaustive]
pub enum Error {
    /// The buffer ends before the frame does.
    #[error("frame truncated: at least {needed} more byte(s) needed")]
    Truncated {
        /// The fewest bytes still missing.
        needed: usize,
    },
    /// The first start byte is not 0x68.
    #[error("start byte at offset {offset} is {found:#04x}, not 0x68")]
    BadStart {
        /// Offset of the byte.
        offset: usize,
        /// The byte found there.
        found: u8,
    },
    /// The second start byte (7 bytes after the first) is not 0x68.
    #[error("second start byte at offset {offset} is {found:#04x}, not 0x68")]
    BadSecondStart {
        /// Offset of the byte.
        offset: usize,
        /// The byte found there.
        found: u8,
    },
    /// The checksum byte does not match the sum of the frame.
    #[error("checksum at offset {offset} is {found:#04x}, expected {expected:#04x}")]
    BadChecksum {
        /// Offset of the checksum byte.
        offset: usize,
        /// The checksum computed over the frame.
        expected: u8,
        /// The checksum byte found.
        found: u8,
    },
    /// The end byte is not 0x16.
    #[error("end byte at offset {offset} is {found:#04x}, not 0x16")]
    BadEnd {
        /// Offset of the byte.
        offset: usize,
        /// The byte found there.
        found: u8,
    },
    /// Bytes follow the end byte.
    #[error("{count} unexpected byte(s) after the end byte, from offset {offset}")]
    TrailingBytes {
        /// Offset of the first extra byte.
        offset: usize,
        /// How many extra bytes.
        count: usize,
    },
    /// The length byte L does not fit the function (a fixed-size request with another size,
    /// a reply too short for its DI).
    #[error("data length {len} at offset {offset} is not valid for function {function:#04x}")]
    BadLength {
        /// Offset of the length byte.
        offset: usize,
        /// The function code (D4..D0 of the control byte).
        function: u8,
        /// The length found.
        len: u8,
    },
    /// The length byte is above the limit of the function (200 for read replies, 50 for
    /// writes).
    #[error(
        "data length {len} at offset {offset} exceeds the limit {max} of function {function:#04x}"
    )]
    TooLong {
        /// Offset of the length byte.
        offset: usize,
        /// The function code.
        function: u8,
        /// The length found.
        len: u8,
        /// The limit of this function.
        max: u8,
    },
    /// A broadcast or all-AA wildcard address used with a function that does not allow it.
    #[error("address at offset {offset} is not allowed for function {function:#04x}")]
    AddressNotAllowed {
        /// Offset of the first address byte.
        offset: usize,
        /// The function code.
        function: u8,
    },
    /// A byte that must be packed BCD is not.
    #[error("byte {found:#04x} at offset {offset} is not packed BCD")]
    BadBcd {
        /// Offset of the byte.
        offset: usize,
        /// The (unscrambled) byte found.
        found: u8,
    },
    /// A code byte has a value the protocol does not define (baud word, switch command).
    #[error("byte {found:#04x} at offset {offset} is not a valid code here")]
    BadCode {
        /// Offset of the byte.
        offset: usize,
        /// The (unscrambled) byte found.
        found: u8,
    },
    /// The output buffer given to `emit` is too small.
    #[error("output buffer too small: {needed} bytes needed")]
    BufferTooSmall {
        /// Bytes `emit` needs.
        needed: usize,
    },
    /// A representation cannot be emitted: its data does not fit in one frame (L ≤ 255, or the
    /// function's limit).
    #[error("data of {len} bytes does not fit a frame of function {function:#04x}")]
    DataTooLong {
        /// The function code.
        function: u8,
        /// The data length the frame would need.
        len: usize,
    },
    /// A field of a representation is out of its range (a month of 13, a non-BCD password
    /// digit) and cannot be emitted.
    #[error("field `{field}` is out of range and cannot be emitted")]
    BadField {
        /// The name of the field.
        field: &'static str,
    },
}
