//! Typed errors of the codec: what was wrong and at which byte offset of the frame.

/// Why a byte sequence is not a valid Q/GDW 1376.1 frame.
///
/// Offsets count from the first start byte `0x68` of the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The buffer ends before the frame does; at least `needed` more bytes are required.
    #[error("frame truncated: at least {needed} more bytes needed")]
    Truncated {
        /// The fewest bytes that must still arrive.
        needed: usize,
    },
    /// A start byte (offset 0 or 5) is not `0x68`.
    #[error("offset {offset}: start byte is {found:#04x}, not 0x68")]
    Start {
        /// Offset of the start byte.
        offset: usize,
        /// The byte found.
        found: u8,
    },
    /// The two copies of the length field (offsets 1 and 3) differ.
    #[error("offset 3: length copy {second:#06x} differs from {first:#06x}")]
    LengthMismatch {
        /// The first length field.
        first: u16,
        /// The second one.
        second: u16,
    },
    /// The protocol id (D0–D1 of L) is not 2 (Q/GDW 1376.1) nor 1 (Q/GDW 130-2005).
    #[error("offset 1: protocol id {id} is neither 2 (1376.1) nor 1 (130-2005)")]
    Protocol {
        /// The two-bit protocol id.
        id: u8,
    },
    /// The user-data length is below the 8 bytes of C, A, AFN and SEQ.
    #[error("offset 1: user-data length {len} is below the 8 bytes of C, A, AFN and SEQ")]
    Length {
        /// The user-data length (L >> 2).
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
    /// The checksum byte does not match the sum of the user data.
    #[error("offset {offset}: checksum {found:#04x}, computed {computed:#04x}")]
    Checksum {
        /// Offset of the checksum byte.
        offset: usize,
        /// The checksum computed over the user data.
        computed: u8,
        /// The checksum byte in the frame.
        found: u8,
    },
    /// The user data is too short for the auxiliary fields its header announces (PW on a
    /// downlink AFN that carries it, EC when ACD is set, Tp when TpV is set).
    #[error("offset {offset}: user data too short for PW/EC/Tp ({needed} bytes needed)")]
    Aux {
        /// Offset where the data units start.
        offset: usize,
        /// The user-data length the auxiliary fields need at least.
        needed: usize,
    },
    /// The time label Tp does not decode (a BCD digit above 9, minute 60 …).
    #[error("time label: {0}")]
    TimeLabel(UnitError),
}

/// What is wrong inside a data unit, and where.
///
/// Offsets count from the start byte of the frame when the unit came from a frame, from the
/// start of the data otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnitError {
    /// The data units end inside a field (a DA/DT pair, a count, a value).
    #[error("offset {offset}: data unit truncated, {needed} more bytes needed")]
    Truncated {
        /// Offset of the first missing byte.
        offset: usize,
        /// How many bytes are missing.
        needed: usize,
    },
    /// Bytes remain after the last field of a data unit.
    #[error("offset {offset}: bytes after the end of the data unit")]
    Trailing {
        /// Offset of the first extra byte.
        offset: usize,
    },
    /// A BCD byte holds a nibble above 9.
    #[error("offset {offset}: invalid BCD byte {found:#04x}")]
    Bcd {
        /// Offset of the byte.
        offset: usize,
        /// The byte found.
        found: u8,
    },
    /// A field holds a value the standard does not define (month 13, minute 60 ...).
    #[error("offset {offset}: value out of range")]
    Range {
        /// Offset of the field.
        offset: usize,
    },
}

impl UnitError {
    /// The same error with its offset moved by `base` bytes.
    #[must_use]
    pub fn shifted(self, base: usize) -> Self {
        match self {
            Self::Truncated { offset, needed } => Self::Truncated {
                offset: offset + base,
                needed,
            },
            Self::Trailing { offset } => Self::Trailing {
                offset: offset + base,
            },
            Self::Bcd { offset, found } => Self::Bcd {
                offset: offset + base,
                found,
            },
            Self::Range { offset } => Self::Range {
                offset: offset + base,
            },
        }
    }
}

/// Why a representation could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmitError {
    /// The output buffer is shorter than the representation needs.
    #[error("output buffer too small: {needed} bytes needed")]
    BufferTooSmall {
        /// The bytes needed.
        needed: usize,
    },
    /// The user data would exceed the 16 383 bytes the length field can express.
    #[error("user data longer than 16383 bytes")]
    TooLong,
    /// A count or length field would overflow (more than 65 535 archive entries, a forwarded
    /// frame over 65 535 bytes, more than 255 event records ...).
    #[error("a length or count field overflows")]
    FieldOverflow,
    /// A field is outside its bit range (a 4-bit sequence number above 15, a master address
    /// above 127, a port above 31 ...).
    #[error("field value out of range")]
    Range,
    /// A measured value does not fit its data format: wrong exponent or unit, a negative value
    /// in an unsigned format, too many digits.
    #[error("value does not fit its data format")]
    Value,
    /// The auxiliary fields disagree with the header: PW present or absent against the AFN and
    /// direction, EC against ACD, Tp against TpV.
    #[error("PW/EC/Tp disagree with the direction, AFN, ACD or TpV")]
    AuxMismatch,
}
