//! Typed errors of the codec: what was wrong and at which byte offset of the frame.

/// Why a byte sequence is not a valid Q/GDW 1376.2 frame, or why a data unit does not decode.
///
/// Offsets count from the start byte `0x68` of the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The buffer ends before the frame does; `needed` more bytes are required at least.
    #[error("frame truncated: at least {needed} more bytes needed")]
    Truncated {
        /// The fewest bytes that must still arrive.
        needed: usize,
    },
    /// Offset 0 is not the start byte `0x68`.
    #[error("offset 0: start byte is {found:#04x}, not 0x68")]
    Start {
        /// The byte found.
        found: u8,
    },
    /// The length field (offset 1) is below the 15-byte minimum frame.
    #[error("offset 1: length field {len} is below the 15-byte minimum")]
    Length {
        /// The length field as read.
        len: u16,
    },
    /// The buffer holds more bytes than the length field says.
    #[error("offset {offset}: {extra} bytes after the end of the frame")]
    Trailing {
        /// Offset of the first byte after the frame.
        offset: usize,
        /// How many bytes follow.
        extra: usize,
    },
    /// The end byte is not `0x16`.
    #[error("offset {offset}: end byte is {found:#04x}, not 0x16")]
    End {
        /// Offset of the end byte.
        offset: usize,
        /// The byte found.
        found: u8,
    },
    /// The checksum byte does not match the sum of the bytes from C to the last data byte.
    #[error("offset {offset}: checksum {found:#04x}, computed {computed:#04x}")]
    Checksum {
        /// Offset of the checksum byte.
        offset: usize,
        /// The checksum computed over the frame.
        computed: u8,
        /// The checksum byte in the frame.
        found: u8,
    },
    /// The length is too short for the address field (as R1 announces it) plus AFN and DT.
    #[error(
        "offset {offset}: frame too short for address field, AFN and DT ({needed} bytes needed)"
    )]
    Header {
        /// Offset where the address field (or AFN) starts.
        offset: usize,
        /// The total frame length those fields need.
        needed: usize,
    },
    /// The data unit of a typed AFN/Fn does not decode.
    #[error("AFN {afn:#04x} F{fn_number}: {kind} at offset {offset}")]
    DataUnit {
        /// The AFN of the frame.
        afn: u8,
        /// The Fn of the frame (0 when DT names none).
        fn_number: u16,
        /// Offset in the frame of the offending byte.
        offset: usize,
        /// What is wrong.
        kind: UnitError,
    },
}

/// What is wrong inside a data unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnitError {
    /// The data unit ends before a field it must hold.
    #[error("data unit too short")]
    Short,
    /// Bytes remain after the last field of the data unit.
    #[error("bytes after the end of the data unit")]
    Trailing,
    /// A BCD field holds a nibble above 9.
    #[error("invalid BCD digit")]
    Bcd,
    /// A field holds a value the standard does not define.
    #[error("value out of range")]
    Value,
}

/// Why a representation could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmitError {
    /// The output buffer is shorter than [`buffer_len`](crate::FrameRepr::buffer_len).
    #[error("output buffer too small: {needed} bytes needed")]
    BufferTooSmall {
        /// The bytes the frame needs.
        needed: usize,
    },
    /// The frame would exceed the 65 535 bytes the length field can express.
    #[error("frame longer than 65535 bytes")]
    TooLong,
    /// A one-byte length or count field would overflow (a frame over 255 bytes in AFN 13 F1,
    /// more than 255 nodes in a list, ...).
    #[error("a length or count field overflows")]
    FieldOverflow,
    /// R1's communication-module flag or relay level disagrees with the address field.
    #[error("information field R1 disagrees with the address field")]
    AddressMismatch,
    /// The information field's layout (up or down) disagrees with the direction in C.
    #[error("information field layout disagrees with the direction in C")]
    DirectionMismatch,
    /// The value cannot be written in the selected edition (for example a 2013 deny code or a
    /// 2013-only confirm channel in a 2009 frame).
    #[error("value not representable in this edition")]
    Edition,
    /// A field value is outside its bit range (a 4-bit field above 15, a 15-bit rate above 32767).
    #[error("field value out of range")]
    Value,
}
