//! Typed errors of the link layer: what was wrong and at which byte offset.

use thiserror::Error;

/// Why a byte buffer is not one valid EN 13757-2 frame.
///
/// Every variant says where the problem is (`offset` counts from the first byte of the
/// buffer handed to [`Frame::new_checked`](crate::Frame::new_checked)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The buffer ends before the frame does: `expected` bytes are needed, `actual` are there.
    #[error("frame truncated: {actual} of {expected} bytes")]
    Truncated {
        /// How many bytes the frame needs (as far as the header tells; at least `actual + 1`).
        expected: usize,
        /// How many bytes the buffer holds.
        actual: usize,
    },
    /// The first byte is none of `E5`, `A2`, `10`, `68`.
    #[error("invalid start byte {byte:#04x} at offset {offset}")]
    BadStart {
        /// Offset of the byte.
        offset: usize,
        /// The byte found.
        byte: u8,
    },
    /// The length field of a long frame is below 3 (C, A and CI are mandatory).
    #[error("invalid length field {len} at offset {offset}")]
    BadLength {
        /// Offset of the length field.
        offset: usize,
        /// The value found.
        len: u8,
    },
    /// The two length fields of a long frame differ.
    #[error("length fields differ: {first} at offset 1, {second} at offset 2")]
    LengthMismatch {
        /// The first L field (offset 1).
        first: u8,
        /// The second L field (offset 2).
        second: u8,
    },
    /// The second start byte of a long frame (offset 3) is not `68`.
    #[error("second start byte {byte:#04x} at offset {offset} is not 0x68")]
    BadSecondStart {
        /// Offset of the byte (always 3).
        offset: usize,
        /// The byte found.
        byte: u8,
    },
    /// The checksum byte does not match the sum of the bytes it covers.
    #[error("checksum {actual:#04x} at offset {offset}, computed {expected:#04x}")]
    BadChecksum {
        /// Offset of the checksum byte.
        offset: usize,
        /// The checksum computed over the frame.
        expected: u8,
        /// The checksum byte found.
        actual: u8,
    },
    /// The stop byte is not `16`.
    #[error("stop byte {byte:#04x} at offset {offset} is not 0x16")]
    BadStop {
        /// Offset of the stop byte.
        offset: usize,
        /// The byte found.
        byte: u8,
    },
    /// The buffer holds bytes after the end of the frame.
    #[error("{extra} bytes after the end of the frame at offset {offset}")]
    TrailingBytes {
        /// Offset one past the frame's stop byte.
        offset: usize,
        /// How many bytes follow.
        extra: usize,
    },
}

/// Why a frame or request could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum EmitError {
    /// The output buffer is shorter than [`buffer_len`](crate::Repr::buffer_len).
    #[error("output buffer holds {available} bytes, {needed} needed")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// User data longer than a long frame carries (252 bytes after the CI field).
    #[error("user data of {len} bytes exceeds 252")]
    DataTooLong {
        /// The length given.
        len: usize,
    },
}

/// Why a frame is not a master request this crate knows how to read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum RequestError {
    /// A single character: no request has that form.
    #[error("a single character is not a request")]
    SingleCharacter,
    /// The C field (offset 1 of a short frame, 4 of a long frame) is not a master request.
    #[error("control field {byte:#04x} at offset {offset} is not a master request")]
    NotARequest {
        /// Offset of the C field.
        offset: usize,
        /// The C field.
        byte: u8,
    },
    /// A short frame whose function carries no request this crate models.
    #[error("short frame with control field {byte:#04x} carries no known request")]
    UnknownShortRequest {
        /// The C field.
        byte: u8,
    },
    /// The selection payload (CI 0x52) is not 8 bytes long; offset of the first data byte.
    #[error("secondary selection with {len} data bytes at offset {offset}, 8 expected")]
    BadSelectionLength {
        /// Offset of the first data byte (7).
        offset: usize,
        /// Data bytes found.
        len: usize,
    },
}
