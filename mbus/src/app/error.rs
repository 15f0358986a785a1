//! Typed errors of the application layer: what was wrong and at which offset.
//!
//! Offsets count from the first byte of the user data handed to the parser (the byte after
//! the CI field of a long frame).

/// A telegram whose application header cannot be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The CI field names a structure this crate does not decode (for example a master to
    /// slave request, a wireless transport layer or a manufacturer-specific structure).
    #[error("CI 0x{ci:02X} is not a slave response structure this decoder knows")]
    UnsupportedCi {
        /// The CI byte.
        ci: u8,
    },
    /// The user data ends inside the data header the CI field announces.
    #[error("CI 0x{ci:02X} needs a {needed}-byte header, the user data has {len} bytes")]
    HeaderTooShort {
        /// The CI byte.
        ci: u8,
        /// Bytes the header needs.
        needed: usize,
        /// Bytes available.
        len: usize,
    },
    /// The frame has no CI field (a single character or short frame), so it carries no
    /// application data.
    #[error("frame without CI field: no application data")]
    NotLongFrame,
    /// A fixed data structure (CI 0x73/0x77) is not exactly 16 bytes long.
    #[error("fixed data structure must be 16 bytes, got {len}")]
    FixedLength {
        /// Bytes available.
        len: usize,
    },
}

/// A data record that cannot be split from the telegram. The records before it are intact;
/// the ones after it cannot be found, so the record iterator stops after yielding this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The user data ends inside the DIF/DIFE chain.
    #[error("record at offset {offset}: user data ends inside the DIF/DIFE chain")]
    TruncatedDib {
        /// Offset of the record's DIF.
        offset: usize,
    },
    /// More than 10 DIFEs (EN 13757-3 allows at most 10).
    #[error("record at offset {offset}: more than 10 DIFEs")]
    TooManyDifes {
        /// Offset of the record's DIF.
        offset: usize,
    },
    /// The user data ends where a VIF or VIFE is expected.
    #[error("record at offset {offset}: user data ends inside the VIF/VIFE chain")]
    TruncatedVib {
        /// Offset of the record's DIF.
        offset: usize,
    },
    /// More than 10 VIFEs (EN 13757-3 allows at most 10).
    #[error("record at offset {offset}: more than 10 VIFEs")]
    TooManyVifes {
        /// Offset of the record's DIF.
        offset: usize,
    },
    /// The plain-text unit of VIF 0x7C/0xFC runs past the end of the user data.
    #[error("record at offset {offset}: plain-text VIF of {len} bytes runs past the end")]
    TruncatedPlainText {
        /// Offset of the record's DIF.
        offset: usize,
        /// The announced text length.
        len: u8,
    },
    /// The data field runs past the end of the user data.
    #[error("record at offset {offset}: data needs {needed} bytes, {available} left")]
    TruncatedData {
        /// Offset of the record's DIF.
        offset: usize,
        /// Bytes the data field needs.
        needed: usize,
        /// Bytes left in the user data.
        available: usize,
    },
    /// An LVAR byte (DIF data field 0xD) in a range EN 13757-3 reserves, so its length is
    /// unknown.
    #[error("record at offset {offset}: reserved LVAR 0x{lvar:02X}")]
    ReservedLvar {
        /// Offset of the record's DIF.
        offset: usize,
        /// The LVAR byte.
        lvar: u8,
    },
    /// A reserved special DIF (0x3F, 0x4F, 0x5F, 0x6F): its length is unknown.
    #[error("record at offset {offset}: reserved special DIF 0x{dif:02X}")]
    ReservedDif {
        /// Offset of the record's DIF.
        offset: usize,
        /// The DIF byte.
        dif: u8,
    },
}

/// A record that cannot be written into the caller's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmitError {
    /// The buffer is shorter than [`buffer_len`](crate::app::RecordRepr::buffer_len).
    #[error("buffer of {len} bytes, record needs {needed}")]
    BufferTooShort {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        len: usize,
    },
    /// The value does not fit the data field coding (wrong kind, too many digits, too long).
    #[error("value does not fit data field coding {coding:?}")]
    ValueMismatch {
        /// The coding asked for.
        coding: crate::app::DataCoding,
    },
    /// Storage number, tariff or subunit needs more than 10 DIFEs.
    #[error("storage number, tariff or subunit needs more than 10 DIFEs")]
    DibOverflow,
    /// More than 10 VIFEs, or a plain-text unit longer than 255 bytes.
    #[error("VIB too long (more than 10 VIFEs or plain text over 255 bytes)")]
    VibOverflow,
}
