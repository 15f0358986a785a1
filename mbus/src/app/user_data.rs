//! The CI field and the structure it announces: variable data (with long, short or no
//! header), fixed data, or an application error (EN 13757-3 clause 5, table 2).

use crate::app::error::AppError;
use crate::app::fixed::FixedData;
use crate::app::header::{ByteOrder, LONG_HEADER_LEN, LongHeader, SHORT_HEADER_LEN, ShortHeader};
use crate::app::record::{ParseOptions, RecordKind, Records};

/// The data header of a variable data structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Header {
    /// CI 0x72/0x76: 12-byte header with the identity.
    Long(LongHeader),
    /// CI 0x7A: 4-byte header (identity from the link layer, or none on wired M-Bus).
    Short(ShortHeader),
    /// CI 0x78: no header.
    None,
}

/// A variable data structure: header and records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariableData<'a> {
    /// The CI byte.
    pub ci: u8,
    /// The header.
    pub header: Header,
    records: &'a [u8],
    base: usize,
    opts: ParseOptions,
}

impl<'a> VariableData<'a> {
    /// Iterate over the data records (zero allocation).
    pub fn records(&self) -> Records<'a> {
        Records::new(self.records, self.base, self.opts)
    }

    /// Whether the telegram ends with DIF 0x1F: the master should ask again (REQ_UD2 with
    /// FCB toggled) for the next telegram.
    pub fn more_records_follow(&self) -> bool {
        self.records()
            .filter_map(Result::ok)
            .any(|r| r.kind() == RecordKind::MoreRecordsFollow)
    }

    /// The record bytes (after the header).
    pub fn record_bytes(&self) -> &'a [u8] {
        self.records
    }
}

/// The general application error codes of CI 0x70 (EN 13757-3 table 20; m-bus.com 6.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplicationError {
    /// 0x00, or no error byte at all.
    Unspecified,
    /// 0x01: unimplemented CI field.
    UnimplementedCi,
    /// 0x02: buffer too long, truncated.
    BufferTooLong,
    /// 0x03: too many records.
    TooManyRecords,
    /// 0x04: premature end of record.
    PrematureEnd,
    /// 0x05: more than 10 DIFEs.
    TooManyDifes,
    /// 0x06: more than 10 VIFEs.
    TooManyVifes,
    /// 0x07: reserved.
    Reserved,
    /// 0x08: application busy.
    Busy,
    /// 0x09: too many readouts.
    TooManyReadouts,
    /// Any other code.
    Unknown(u8),
}

impl ApplicationError {
    /// From the error byte.
    pub fn from_u8(v: u8) -> Self {
        use ApplicationError::*;
        match v {
            0 => Unspecified,
            1 => UnimplementedCi,
            2 => BufferTooLong,
            3 => TooManyRecords,
            4 => PrematureEnd,
            5 => TooManyDifes,
            6 => TooManyVifes,
            7 => Reserved,
            8 => Busy,
            9 => TooManyReadouts,
            other => Unknown(other),
        }
    }
}

/// What the user data of a slave response holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserData<'a> {
    /// Variable data structure (CI 0x72, 0x76, 0x78, 0x7A).
    Variable(VariableData<'a>),
    /// Fixed data structure (CI 0x73, 0x77).
    Fixed(FixedData),
    /// Application error (CI 0x70).
    Error(ApplicationError),
}

impl<'a> UserData<'a> {
    /// Parse the application layer of a checked long frame (or of a control frame, whose
    /// user data is empty: a CI 0x70 error without error byte is sent that way).
    pub fn from_frame(frame: &crate::Frame<'a>) -> Result<Self, AppError> {
        let ci = frame.ci().ok_or(AppError::NotLongFrame)?;
        Self::parse(ci, frame.user_data())
    }

    /// Parse the CI byte and the user data after it (the bytes between CI and checksum of a
    /// long frame), with default [`ParseOptions`].
    pub fn parse(ci: u8, data: &'a [u8]) -> Result<Self, AppError> {
        Self::parse_with(ci, data, ParseOptions::default())
    }

    /// As [`parse`](Self::parse), with options. The byte order in `opts` is overridden by
    /// the CI (0x76/0x77 are MSB first).
    pub fn parse_with(ci: u8, data: &'a [u8], mut opts: ParseOptions) -> Result<Self, AppError> {
        let variable = |header: Header, skip: usize, opts: ParseOptions| {
            UserData::Variable(VariableData {
                ci,
                header,
                records: data.get(skip..).unwrap_or(&[]),
                base: skip,
                opts,
            })
        };
        match ci {
            0x72 | 0x76 => {
                opts.byte_order = if ci == 0x76 {
                    ByteOrder::MsbFirst
                } else {
                    ByteOrder::LsbFirst
                };
                let h = LongHeader::parse(ci, data, opts.byte_order)?;
                Ok(variable(Header::Long(h), LONG_HEADER_LEN, opts))
            }
            0x7A => {
                opts.byte_order = ByteOrder::LsbFirst;
                let h = ShortHeader::parse(ci, data, opts.byte_order)?;
                Ok(variable(Header::Short(h), SHORT_HEADER_LEN, opts))
            }
            0x78 => {
                opts.byte_order = ByteOrder::LsbFirst;
                Ok(variable(Header::None, 0, opts))
            }
            0x73 => Ok(UserData::Fixed(FixedData::parse(
                data,
                ByteOrder::LsbFirst,
            )?)),
            0x77 => Ok(UserData::Fixed(FixedData::parse(
                data,
                ByteOrder::MsbFirst,
            )?)),
            0x70 => Ok(UserData::Error(
                data.first().map_or(ApplicationError::Unspecified, |&b| {
                    ApplicationError::from_u8(b)
                }),
            )),
            other => Err(AppError::UnsupportedCi { ci: other }),
        }
    }
}
